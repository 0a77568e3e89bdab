package io.rqst.session;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Up to {@link TapReader#BATCH} frames on their way from a TAP reader thread to one connection's
 * event loop, as one task. Batches are pooled per destination ({@link Pool}): the pool's size bounds
 * how many batches are in flight, so a reader can never flood an event loop and starve its ACK
 * processing.
 */
final class FrameBatch implements Runnable {

    /** Sends a batch on the destination's event loop; must release or pass on every frame. */
    interface Target {
        void send(ByteBuf[] frames, int count);
    }

    /** A fixed set of batches for one destination. */
    static final class Pool {
        private final ArrayBlockingQueue<FrameBatch> free;

        Pool(int batches, Target target) {
            free = new ArrayBlockingQueue<>(batches);
            for (int i = 0; i < batches; i++) {
                free.add(new FrameBatch(this, target));
            }
        }

        /** A free batch, or null when all are in flight. */
        FrameBatch tryAcquire() {
            return free.poll();
        }

        /** A free batch, waiting for one; null if interrupted. */
        FrameBatch acquire() {
            try {
                return free.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        void release(FrameBatch b) {
            free.offer(b);
        }
    }

    private final Pool pool;
    private final Target target;
    final ByteBuf[] frames = new ByteBuf[TapReader.BATCH];
    int count;

    private FrameBatch(Pool pool, Target target) {
        this.pool = pool;
        this.target = target;
    }

    boolean isFull() {
        return count == frames.length;
    }

    void add(ByteBuf frame) {
        frames[count++] = frame;
    }

    /** Drops the frames (the destination is gone) and returns the batch to its pool. */
    void discard() {
        for (int i = 0; i < count; i++) {
            frames[i].release();
            frames[i] = null;
        }
        count = 0;
        pool.release(this);
    }

    @Override
    public void run() {
        try {
            target.send(frames, count);
        } finally {
            java.util.Arrays.fill(frames, 0, count, null);
            count = 0;
            pool.release(this);
        }
    }
}
