package io.rqst.tap;

import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * A virtual Ethernet device: frames the host sends on it are {@linkplain #read read} here, frames
 * {@linkplain #write written} here are received by the host.
 *
 * <p>Contract (the Java counterpart of wireguard-go's {@code tun.Device}):
 * <ul>
 *   <li><b>Frames.</b> Every call moves whole Ethernet frames: destination MAC first, no preamble, no
 *       FCS, no packet-information header. A frame is at most {@link #frameCapacity()} bytes.</li>
 *   <li><b>Threads.</b> Exactly one thread calls {@link #read} (a platform thread: the call blocks in
 *       native code). Any number of threads may call {@link #write} at the same time.</li>
 *   <li><b>Buffers belong to the caller.</b> They must be direct buffers with a memory address
 *       ({@link ByteBuf#hasMemoryAddress()}). {@code read} appends one frame to each buffer it fills,
 *       starting at that buffer's writer index, and advances the writer index; it never retains or
 *       releases a buffer. {@code write} sends the bytes between reader and writer index as one frame,
 *       leaves both indexes and the reference count as they were, and does not keep the buffer.</li>
 *   <li><b>Batches.</b> {@code read} blocks until at least one frame is available (or the device is
 *       closing), then takes as many frames as are ready, up to {@code count}, without blocking again.</li>
 *   <li><b>Never blocks on write.</b> When the host cannot take a frame right now, {@code write}
 *       returns {@code false} and the frame is lost; the caller counts it.</li>
 *   <li><b>Close.</b> {@link #close()} may be called from any thread, any number of times. It wakes a
 *       blocked reader, which then returns {@code -1}, and removes the device from the host.</li>
 * </ul>
 */
public interface TapDevice extends AutoCloseable {

    /** Bytes of an Ethernet header: destination MAC, source MAC, EtherType. */
    int ETHERNET_HEADER = 14;
    /** Bytes an IEEE 802.1Q VLAN tag adds to a frame. */
    int VLAN_TAG = 4;

    /** The interface name on the host, e.g. {@code rqst0}. */
    String name();

    /** The interface MTU: the largest IP packet the host puts in one frame. */
    int mtu();

    /** The largest frame this device reads or writes: {@code mtu() + ETHERNET_HEADER + VLAN_TAG}. */
    default int frameCapacity() {
        return mtu() + ETHERNET_HEADER + VLAN_TAG;
    }

    /** The device's own MAC address, 48 bits in the low bits of the long (first octet most significant). */
    long macAddress();

    /**
     * Reads a batch of frames.
     *
     * @param bufs  buffers to fill; {@code bufs[0..count)} must each have at least
     *              {@link #frameCapacity()} writable bytes
     * @param count how many buffers may be filled, at least 1
     * @return the number of buffers filled ({@code bufs[0..n)}, one frame each), 0 if woken without
     *         a frame (an implementation may also wake itself periodically, e.g. after a one-second
     *         backstop timeout; the caller just calls again), or -1 once the device is closed
     * @throws IOException if the device failed; the message names the device and the error
     */
    int read(ByteBuf[] bufs, int count) throws IOException;

    /**
     * Writes one frame without blocking.
     *
     * @param frame the frame between reader and writer index; not modified, not released
     * @return {@code true} if the host took the frame, {@code false} if it was dropped
     *         (the host's queue was full or the device is closing)
     */
    boolean write(ByteBuf frame);

    /**
     * A writer for the calling thread's exclusive use (see {@link FrameWriter}). The default writes
     * each frame at once with {@link #write}.
     */
    default FrameWriter writer() {
        return new FrameWriter() {
            @Override
            public void write(ByteBuf frame) {
                try {
                    TapDevice.this.write(frame);
                } finally {
                    frame.release();
                }
            }

            @Override
            public void flush() {
                // nothing held
            }
        };
    }

    /** Wakes the reader and removes the device. Idempotent; never throws. */
    @Override
    void close();
}
