package io.rqst.trace;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Marks along the data path, for finding where a packet's time goes inside the JVM (the kernel's side is
 * seen with tcpdump, {@code bench/ping-hops.sh}; this is the user-space side, {@code bench/ping-stages.sh}).
 *
 * <p>Off unless the JVM runs with {@code -Drqst.trace=FILE}. Off, {@link #ON} is a constant false and the JIT
 * removes every {@link #mark}. On, a mark costs a {@link System#nanoTime()}, an atomic increment and four array
 * stores (the ring takes 24 MB); the last {@link #CAPACITY} marks are kept and written to FILE when the JVM exits,
 * one line per mark: the time ({@code System.nanoTime()}, {@code CLOCK_MONOTONIC} on Linux, so two JVMs on one
 * host share a clock), the point's name, its argument and the marking thread's id. Any thread.
 */
public final class Trace {
    /** A UDP datagram reached the QUIC codec (argument: its length). */
    public static final int UDP_IN = 0;
    /** The codec's read-complete returned: every connection of the read has had its ACK and flush. */
    public static final int UDP_READ_DONE = 1;
    /** A DATAGRAM frame came out of QUIC (argument: its length). */
    public static final int DATAGRAM_IN = 2;
    /** A connection's read-complete began. */
    public static final int READ_COMPLETE = 3;
    /** A {@code writev} to a TAP begins (argument: bytes). */
    public static final int TAP_WRITE = 4;
    /** That {@code writev} returned. */
    public static final int TAP_WRITE_DONE = 5;
    /** The event loop found a TAP readable. */
    public static final int TAP_POLL = 6;
    /** A TAP read returned (argument: frames). */
    public static final int TAP_READ = 7;
    /** QUIC handed a UDP datagram to the socket's pipeline (argument: its length). */
    public static final int UDP_WRITE = 8;
    /** The UDP socket's flush begins. */
    public static final int UDP_FLUSH = 9;
    /** The UDP socket's flush returned (the datagrams were sent). */
    public static final int UDP_FLUSH_DONE = 10;

    static final String[] NAMES = {"udp-in", "udp-read-done", "datagram-in", "read-complete", "tap-write",
        "tap-write-done", "tap-poll", "tap-read", "udp-write", "udp-flush", "udp-flush-done"};

    /** Marks kept (the last ones). */
    public static final int CAPACITY = 1 << 20;

    private static final String FILE = System.getProperty("rqst.trace", "");
    /** Whether this JVM traces: {@code -Drqst.trace=FILE} was given. */
    public static final boolean ON = !FILE.isEmpty();
    private static final Ring RING = ON ? start(Path.of(FILE)) : null;

    private Trace() {}

    /** Marks {@code point} now, with {@code arg}. */
    public static void mark(int point, int arg) {
        if (ON) {
            RING.mark(point, arg, System.nanoTime(), Thread.currentThread().threadId());
        }
    }

    private static Ring start(Path file) {
        Ring r = new Ring(CAPACITY);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                r.writeTo(file);
            } catch (IOException e) {
                System.err.println("rqst: cannot write the trace to " + file + ": " + e.getMessage());
            }
        }, "rqst-trace-writer"));
        return r;
    }

    /** The last {@code capacity} marks. Marking from any thread; a mark racing {@link #writeTo} may be torn. */
    static final class Ring {
        private final long[] times;
        private final int[] points;
        private final int[] args;
        private final long[] threads;
        private final int mask;
        private final AtomicLong next = new AtomicLong();

        /** @param capacity a power of two */
        Ring(int capacity) {
            if (Integer.bitCount(capacity) != 1) {
                throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
            }
            times = new long[capacity];
            points = new int[capacity];
            args = new int[capacity];
            threads = new long[capacity];
            mask = capacity - 1;
        }

        void mark(int point, int arg, long nanos, long thread) {
            int i = (int) (next.getAndIncrement() & mask);
            times[i] = nanos;
            points[i] = point;
            args[i] = arg;
            threads[i] = thread;
        }

        /** Writes the kept marks, oldest first, atomically (a temporary file, then a rename). */
        void writeTo(Path file) throws IOException {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
                writeTo(w);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }

        void writeTo(Writer w) throws IOException {
            long end = next.get();
            long start = Math.max(0, end - times.length);
            for (long k = start; k < end; k++) {
                int i = (int) (k & mask);
                int p = points[i];
                String name = p >= 0 && p < NAMES.length ? NAMES[p] : "point-" + p;
                w.write(times[i] + " " + name + " " + args[i] + " " + threads[i] + "\n");
            }
        }
    }
}
