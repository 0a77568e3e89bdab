package io.rqst.tap;

import io.netty.buffer.ByteBuf;

/**
 * A {@link TapDevice} whose readiness an event loop can watch, so that the thread that sends the
 * frames also reads them: no hand-off between threads, the fewest wake-ups, and reading paced by the
 * loop's other work (ACKs). The same one-reader rule applies: whoever calls {@link #readReady} is the
 * device's only reader.
 */
public interface SelectableTap extends TapDevice {

    /** The file descriptor to watch for readability (level-triggered); valid until {@link #close()}. */
    int fileDescriptor();

    /**
     * Reads what is ready without waiting, as {@link #read} does once woken: up to {@code count}
     * frames into {@code bufs}, 0 when nothing is ready or the device is closing.
     */
    int readReady(ByteBuf[] bufs, int count);

    /**
     * Whether frames were read from the kernel but not handed out yet (the rest of a TSO
     * super-frame): the descriptor may not signal readiness for them, so call {@link #readReady} again.
     */
    boolean hasPending();
}
