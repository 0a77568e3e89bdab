package io.rqst.tap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory {@link TapDevice} for tests of the layers above the TAP (no root, no kernel).
 *
 * <p>The test plays the host: frames it {@linkplain #inject injects} are returned by {@link #read}, and
 * frames the code under test {@linkplain #write writes} are queued for the test to
 * {@linkplain #takeWritten take}. Both queues are bounded; a full queue drops the frame, as the kernel
 * would ({@code write} returns {@code false} and counts it in {@link #writeErrors()}).
 *
 * <p>It honours the same contract as {@link LinuxTap}, checks included: buffers must have a memory
 * address and room for {@link #frameCapacity()} bytes, {@code read} runs on a platform thread, blocks
 * until a frame arrives, the device closes (then returns -1) or one second passes (then returns 0),
 * and neither call retains nor releases a caller's buffer. Written frames must be 14 bytes (an Ethernet
 * header) to {@code frameCapacity()} bytes long, or they are dropped.
 */
public final class MemoryTap implements TapDevice {

    /** The MAC of {@link #MemoryTap()}: {@code 02:00:00:00:00:01}, locally administered. */
    public static final long DEFAULT_MAC = 0x0200_0000_0001L;
    /** The queue capacity of {@link #MemoryTap()}, in frames, for each direction. */
    public static final int DEFAULT_QUEUE_CAPACITY = 1024;
    /** How long a {@code read} waits for a frame before it returns 0. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(1);

    private final String name;
    private final int mtu;
    private final long mac;
    private final int queueCapacity;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition inboundReady = lock.newCondition();
    private final Condition writtenReady = lock.newCondition();
    private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
    private final ArrayDeque<byte[]> written = new ArrayDeque<>();
    private boolean closed;
    private final AtomicLong writeErrors = new AtomicLong();

    /** {@code mem0}, MTU 1500, {@link #DEFAULT_MAC}, {@link #DEFAULT_QUEUE_CAPACITY} frames a direction. */
    public MemoryTap() {
        this("mem0", 1500, DEFAULT_MAC, DEFAULT_QUEUE_CAPACITY);
    }

    /**
     * @param name          the name {@link #name()} returns (checked like a Linux interface name)
     * @param mtu           68 to 65535
     * @param mac           the MAC {@link #macAddress()} returns, in the low 48 bits
     * @param queueCapacity frames each direction holds before dropping, at least 1
     */
    public MemoryTap(String name, int mtu, long mac, int queueCapacity) {
        this.name = Ifreq.checkName(name);
        this.mtu = Taps.checkMtu(name, mtu);
        if ((mac >>> 48) != 0) {
            throw new IllegalArgumentException("MAC 0x" + Long.toHexString(mac) + " has more than 48 bits");
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queue capacity " + queueCapacity + " is below 1");
        }
        this.mac = mac;
        this.queueCapacity = queueCapacity;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public long macAddress() {
        return mac;
    }

    /**
     * The host sends {@code frame} (copied): a later {@link #read} returns it.
     *
     * @return {@code false} if the inbound queue is full or the device is closed
     * @throws IllegalArgumentException if the frame is shorter than an Ethernet header or longer than
     *         {@link #frameCapacity()}
     */
    public boolean inject(byte[] frame) {
        if (frame.length < ETHERNET_HEADER || frame.length > frameCapacity()) {
            throw new IllegalArgumentException("injected frame of " + frame.length + " bytes is outside "
                    + ETHERNET_HEADER + ".." + frameCapacity());
        }
        lock.lock();
        try {
            if (closed || inbound.size() >= queueCapacity) {
                return false;
            }
            inbound.add(frame.clone());
            inboundReady.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The oldest frame written to the device, as a copy the caller owns (an unpooled heap buffer), or
     * {@code null} if none arrives within {@code timeout}. Still works after {@link #close()}.
     */
    public ByteBuf takeWritten(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (written.isEmpty()) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = writtenReady.awaitNanos(nanos);
            }
            return Unpooled.wrappedBuffer(written.poll());
        } finally {
            lock.unlock();
        }
    }

    /** Frames written and not yet taken. */
    public int writtenPending() {
        lock.lock();
        try {
            return written.size();
        } finally {
            lock.unlock();
        }
    }

    /** Frames injected and not yet read. */
    public int inboundPending() {
        lock.lock();
        try {
            return inbound.size();
        } finally {
            lock.unlock();
        }
    }

    /** Frames {@link #write} dropped (queue full, closed, or not a valid frame length). */
    public long writeErrors() {
        return writeErrors.get();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read(ByteBuf[] bufs, int count) throws IOException {
        Taps.checkRead(bufs, count, frameCapacity());
        long nanos = READ_TIMEOUT.toNanos();
        lock.lock();
        try {
            while (inbound.isEmpty() && !closed) {
                if (nanos <= 0) {
                    return 0;
                }
                try {
                    nanos = inboundReady.awaitNanos(nanos);
                } catch (InterruptedException e) {
                    // an interrupt ends the wait like a wake-up without a frame; the flag stays set
                    Thread.currentThread().interrupt();
                    return 0;
                }
            }
            if (closed) {
                return -1;
            }
            int n = 0;
            while (n < count && !inbound.isEmpty()) {
                bufs[n].writeBytes(inbound.poll());
                n++;
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean write(ByteBuf frame) {
        Taps.checkWrite(frame);
        int length = frame.readableBytes();
        if (length < ETHERNET_HEADER || length > frameCapacity()) {
            writeErrors.incrementAndGet();
            return false;
        }
        byte[] copy = new byte[length];
        frame.getBytes(frame.readerIndex(), copy);
        lock.lock();
        try {
            if (closed || written.size() >= queueCapacity) {
                writeErrors.incrementAndGet();
                return false;
            }
            written.add(copy);
            writtenReady.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            inboundReady.signalAll();
            writtenReady.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "MemoryTap[" + name + ", mtu " + mtu + ", mac " + Taps.formatMac(mac) + "]";
    }

    /** Waits until the inbound queue is empty (the reader took every injected frame), up to {@code timeout}. */
    public boolean awaitInboundDrained(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inboundPending() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(1);
        }
        return true;
    }
}
