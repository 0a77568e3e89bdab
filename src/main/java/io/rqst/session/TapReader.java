package io.rqst.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.rqst.tap.TapDevice;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform thread that reads a TAP device in batches and feeds a {@link FrameSink}.
 *
 * <p>It keeps {@link #BATCH} empty pooled direct buffers ready, lets the device fill as many as are
 * ready in one call, gives the filled ones to the sink (which owns them from then on) and replaces
 * only those. Nothing else is allocated per frame.
 */
final class TapReader implements AutoCloseable {
    /** Frames read per device call at most, and per hand-over to an event loop. */
    static final int BATCH = 64;
    private static final Logger LOG = LoggerFactory.getLogger(TapReader.class);

    private final TapDevice tap;
    private final FrameSink sink;
    private final ByteBufAllocator alloc;
    private final Thread thread;
    private volatile boolean stopping;

    TapReader(TapDevice tap, FrameSink sink, ByteBufAllocator alloc, String threadName) {
        this.tap = tap;
        this.sink = sink;
        this.alloc = alloc;
        this.thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        ByteBuf[] bufs = new ByteBuf[BATCH];
        int capacity = tap.frameCapacity();
        try {
            for (int i = 0; i < BATCH; i++) {
                bufs[i] = alloc.directBuffer(capacity, capacity);
            }
            while (!stopping) {
                int n = tap.read(bufs, BATCH);
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    ByteBuf frame = bufs[i];
                    bufs[i] = alloc.directBuffer(capacity, capacity);
                    sink.frame(frame);
                }
                if (n > 0) {
                    sink.endOfBatch();
                }
            }
        } catch (IOException e) {
            if (!stopping) {
                LOG.error("reading {} failed: {}", tap.name(), e.getMessage());
            }
        } catch (RuntimeException | Error e) {
            LOG.error("reader of {} stopped: {}", tap.name(), e.toString(), e);
        } finally {
            for (ByteBuf b : bufs) {
                if (b != null) {
                    b.release();
                }
            }
        }
    }

    /** Stops the thread (closing the device wakes it) and waits briefly for it. */
    @Override
    public void close() {
        stopping = true;
        tap.close();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
