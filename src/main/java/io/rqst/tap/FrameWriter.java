package io.rqst.tap;

import io.netty.buffer.ByteBuf;

/**
 * Writes frames to a {@link TapDevice} from one thread. A writer may hold frames until
 * {@link #flush()} to combine them (e.g. TCP segments of one connection into one super-frame for the
 * host's GRO-capable stack), so the caller flushes at the end of every batch it receives.
 *
 * <p>Contract: one thread uses a writer; {@code write} takes ownership of the frame (the writer
 * releases it); frames of one connection leave in the order written; nothing blocks; a frame the host
 * refuses is counted by the device, never thrown.
 */
public interface FrameWriter {
    /** Takes one frame (its readable bytes); it may go out now or at {@link #flush()}. */
    void write(ByteBuf frame);

    /** Writes everything held. */
    void flush();
}
