package io.rqst.sys;

import io.netty.buffer.ByteBuf;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads and copies at a buffer's memory address, without the bounds, reference-count and liveness checks a
 * {@code ByteBuf} makes on every read and without the objects Netty allocates to copy between direct
 * buffers: for per-frame code such as the checksum's loop and TSO splitting, whose callers check once that
 * the whole range lies in a buffer they hold, and for the capture's copies into its record buffer.
 */
public final class Memory {
    /** All of memory: a global-scope segment, so a read costs a load and nothing else once compiled. */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private Memory() {}

    /**
     * {@return the 8 bytes at {@code address}, in the machine's byte order} A load once compiled, and no object:
     * a loop over {@code address + i} with an {@code int} counter that runs to a fixed bound ({@code i < end}) is
     * unrolled and vectorised by C2 as a loop over a segment would be.
     */
    public static long getLong(long address) {
        return ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, address);
    }

    /** {@return the byte at {@code address}, 0-255} */
    public static int getUnsignedByte(long address) {
        return ALL.get(ValueLayout.JAVA_BYTE, address) & 0xff;
    }

    /**
     * Checks that {@code length} bytes at absolute index {@code from} lie within {@code buf}'s capacity, as a
     * {@code ByteBuf} checks each access, once for a range read by address.
     *
     * @throws IndexOutOfBoundsException naming the range and the capacity
     */
    public static void checkRange(ByteBuf buf, int from, int length) {
        if (from < 0 || length < 0 || from > buf.capacity() - length) {
            throw new IndexOutOfBoundsException(length + " bytes at " + from + " of a buffer of " + buf.capacity());
        }
    }

    /**
     * Appends {@code length} bytes of {@code src} from absolute index {@code from} at {@code out}'s writer
     * index, as {@code out.writeBytes(src, from, length)} does, indexes of {@code src} untouched. Between two
     * buffers with memory addresses (our TAP buffers) it is one memory copy: Netty, which does not use
     * {@code sun.misc.Unsafe} on this JDK, copies between direct buffers through a {@code ByteBuffer} view it
     * allocates for each copy, two per TSO segment.
     */
    public static void append(ByteBuf out, ByteBuf src, int from, int length) {
        if (src.hasMemoryAddress()) {
            checkRange(src, from, length);
            out.ensureWritable(length); // first: growing may move out's memory
            if (out.hasMemoryAddress()) {
                int at = out.writerIndex();
                MemorySegment.copy(ALL, src.memoryAddress() + from, ALL, out.memoryAddress() + at, length);
                out.writerIndex(at + length);
                return;
            }
        }
        out.writeBytes(src, from, length);
    }

    /**
     * Copies {@code length} bytes of {@code src} from absolute index {@code from} to {@code dst[at...]}, as
     * {@code src.getBytes(from, dst, at, length)} does, but from a direct buffer without the {@code ByteBuffer}
     * duplicate Netty allocates for each such call when it does not use {@code sun.misc.Unsafe} (its default
     * on JDK 24+).
     */
    public static void copy(ByteBuf src, int from, byte[] dst, int at, int length) {
        if (!src.hasArray() && src.hasMemoryAddress()) {
            checkRange(src, from, length);
            MemorySegment.copy(ALL, ValueLayout.JAVA_BYTE, src.memoryAddress() + from, dst, at, length);
        } else {
            src.getBytes(from, dst, at, length); // heap: System.arraycopy; composite: per component
        }
    }
}
