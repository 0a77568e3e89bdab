package io.rqst.session;

import io.netty.buffer.ByteBuf;

/**
 * Where a {@link TapReader} puts the frames it reads. Called only on the reader's thread.
 */
interface FrameSink {
    /** One frame; the sink owns it from now on (it must release or pass it on). */
    void frame(ByteBuf frame);

    /** The end of one read batch: hand what was collected to its connections now. */
    void endOfBatch();
}
