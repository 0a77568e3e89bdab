package io.rqst.pcap;

import io.netty.buffer.ByteBuf;
import io.rqst.sys.FileErrors;
import io.rqst.sys.Memory;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes Ethernet frames to a classic pcap file (the libpcap format tcpdump and Wireshark read:
 * microsecond timestamps, version 2.4, link type {@value #LINKTYPE_ETHERNET}, little-endian fields).
 *
 * <p>Thread-safe: {@link #write} may be called from several threads; records are copied into one
 * preallocated buffer under a lock and the buffer goes to the file when it fills, on {@link #flush()}
 * and on {@link #close()}. {@code write} allocates nothing. Frames longer than {@link #SNAPLEN} are cut
 * to it (the record keeps their original length).
 *
 * <p>The file is written in place, not atomically: a capture is a stream that other tools may read
 * while it grows. A new file gets mode 0600 (frames carry the users' traffic).
 */
public final class PcapWriter implements AutoCloseable {

    /** Magic number of a classic pcap file with microsecond timestamps. */
    public static final int PCAP_MAGIC_MICROS = 0xa1b2c3d4;
    /** Major version of the pcap format written. */
    public static final short PCAP_VERSION_MAJOR = 2;
    /** Minor version of the pcap format written. */
    public static final short PCAP_VERSION_MINOR = 4;
    /** Most bytes of a frame captured. */
    public static final int SNAPLEN = 65535;
    /** LINKTYPE_ETHERNET: IEEE 802.3 frames, destination MAC first. */
    public static final int LINKTYPE_ETHERNET = 1;
    /** Bytes of the pcap global header. */
    public static final int GLOBAL_HEADER_BYTES = 24;
    /** Bytes of a pcap record header. */
    public static final int RECORD_HEADER_BYTES = 16;

    static final int BUFFER_BYTES = 256 * 1024;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    /** Mode of a new capture file: 0600. */
    private static final FileAttribute<?> PRIVATE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Path path;
    private final FileChannel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private final ByteBuffer out = ByteBuffer.wrap(buffer);
    private int used;        // guarded by lock
    private boolean closed;  // guarded by lock

    private PcapWriter(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /**
     * Creates (or truncates) {@code path} and writes the pcap global header.
     *
     * @throws IOException naming the file and the reason if it cannot be created or written
     */
    public static PcapWriter open(Path path) throws IOException {
        FileChannel channel;
        try {
            Set<StandardOpenOption> options = Set.of(
                    StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            channel = path.getFileSystem().supportedFileAttributeViews().contains("posix")
                    ? FileChannel.open(path, options, PRIVATE)
                    : FileChannel.open(path, options);
        } catch (IOException | UnsupportedOperationException e) {
            throw new IOException("cannot create pcap file " + path + ": " + reason(e), e);
        }
        PcapWriter w = new PcapWriter(path, channel);
        byte[] b = w.buffer;
        INT.set(b, 0, PCAP_MAGIC_MICROS);
        SHORT.set(b, 4, PCAP_VERSION_MAJOR);
        SHORT.set(b, 6, PCAP_VERSION_MINOR);
        INT.set(b, 8, 0);   // thiszone: timestamps are UTC
        INT.set(b, 12, 0);  // sigfigs
        INT.set(b, 16, SNAPLEN);
        INT.set(b, 20, LINKTYPE_ETHERNET);
        w.used = GLOBAL_HEADER_BYTES;
        try {
            w.flush();
        } catch (IOException e) {
            w.closeQuietly();
            throw e;
        }
        return w;
    }

    /** The file written. */
    public Path path() {
        return path;
    }

    /**
     * Appends one record: the bytes of {@code frame} between reader and writer index (indexes and
     * reference count untouched), stamped {@code epochMicros} (microseconds since 1970 UTC). Does
     * nothing once the writer is closed.
     *
     * @throws IOException naming the file if the buffer had to be written and that failed
     */
    public void write(ByteBuf frame, long epochMicros) throws IOException {
        int length = frame.readableBytes();
        int captured = Math.min(length, SNAPLEN);
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (used + RECORD_HEADER_BYTES + captured > BUFFER_BYTES) {
                drain();
            }
            byte[] b = buffer;
            int at = used;
            INT.set(b, at, (int) Math.floorDiv(epochMicros, 1_000_000L));
            INT.set(b, at + 4, (int) Math.floorMod(epochMicros, 1_000_000L));
            INT.set(b, at + 8, captured);
            INT.set(b, at + 12, length);
            copy(frame, b, at + RECORD_HEADER_BYTES, captured);
            used = at + RECORD_HEADER_BYTES + captured;
        } finally {
            lock.unlock();
        }
    }

    /** Copies the first {@code length} readable bytes of {@code frame} to {@code dst[at...]} without allocating. */
    private static void copy(ByteBuf frame, byte[] dst, int at, int length) {
        Memory.copy(frame, frame.readerIndex(), dst, at, length);
    }

    /** Writes the buffered records to the file. */
    public void flush() throws IOException {
        lock.lock();
        try {
            if (!closed) {
                drain();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Flushes and closes the file. Idempotent. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            try {
                drain();
            } finally {
                closed = true;
                try {
                    channel.close();
                } catch (IOException e) {
                    throw new IOException("cannot close pcap file " + path + ": " + reason(e), e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void closeQuietly() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing; the first error is the one reported
        }
    }

    /** Writes buffer[0, used) to the file; guarded by lock. */
    private void drain() throws IOException {
        out.clear().limit(used);
        try {
            while (out.hasRemaining()) {
                channel.write(out);
            }
        } catch (IOException e) {
            throw new IOException("cannot write pcap file " + path + ": " + reason(e), e);
        } finally {
            used = 0; // on failure the buffered records are lost rather than written twice
        }
    }

    private static String reason(Exception e) {
        return e instanceof IOException x ? FileErrors.reason(x) : String.valueOf(e.getMessage());
    }
}
