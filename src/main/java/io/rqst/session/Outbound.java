package io.rqst.session;

import io.netty.buffer.ByteBuf;
import io.rqst.transport.Connection;
import java.util.concurrent.locks.LockSupport;

/**
 * One session's frames from a TAP reader to its connection. On the connection's own event loop (the
 * TAP polled there) each frame goes to QUIC at once and the connection is flushed at the end of the
 * read; from a reader thread the frames travel to the loop in pooled {@link FrameBatch}es, at most
 * {@link #BATCHES_IN_FLIGHT} at a time, so that a reader can never flood the loop.
 *
 * <p>Thread rules: {@link #enqueue} and {@link #submit} on a reader (the loop itself, or a reader
 * thread); {@link #send} on the loop. A server has one reader per uplink queue, each with its own index and its own
 * batch being filled; a client has one, index 0.
 */
final class Outbound implements FrameBatch.Target {
    /** Batches in flight from reader threads to the loop. */
    static final int BATCHES_IN_FLIGHT = 4;

    /** What the session decides for its frames. */
    interface Owner {
        /** A frame about to be sent, for a capture. Loop thread. */
        void capture(ByteBuf frame);

        /** A frame too long for the peer's DATAGRAMs was dropped and counted; say so once. Loop thread. */
        void oversize(int length, int maxDatagram);

        /**
         * With every batch in flight: true to wait for one to come free (a client's own TAP while its
         * session lasts: the reader slows down instead of losing frames), false to drop the frame,
         * counted in {@link SessionCounters#queueDrops} (a server: one slow client must not hold up the
         * uplink for the others). Reader thread; asked again after every wait.
         */
        boolean waitForBatch();
    }

    private final Owner owner;
    private final SessionCounters counters;
    private final FrameBatch.Pool pool = new FrameBatch.Pool(BATCHES_IN_FLIGHT, this);
    private volatile Connection connection;
    /** Readers: each reader's batch being filled in its current read, by reader index (each its own slot). */
    private final FrameBatch[] pending;
    /** Reader only, when it runs on the connection's loop: frames were sent and need a flush. */
    private boolean unflushed;

    /** One reader, index 0. */
    Outbound(Owner owner, SessionCounters counters) {
        this(owner, counters, 1);
    }

    /** {@code readers} readers, indexes 0 to {@code readers - 1}. */
    Outbound(Owner owner, SessionCounters counters, int readers) {
        this.owner = owner;
        this.counters = counters;
        this.pending = new FrameBatch[readers];
    }

    /** The connection frames go to, once there is one. */
    void connect(Connection c) {
        connection = c;
    }

    /**
     * Reader: one frame, which this owns from here.
     *
     * @return whether this frame began the output of the current read, which the reader then has to
     *         end with {@link #submit}
     */
    boolean enqueue(ByteBuf frame) {
        return enqueue(frame, 0);
    }

    /**
     * Reader {@code reader}: one frame, which this owns from here.
     *
     * @return whether this frame began this reader's output of its current read, which it then has to end with
     *         {@link #submit(int)}
     */
    boolean enqueue(ByteBuf frame, int reader) {
        Connection c = connection;
        if (c.inExecutor()) {
            boolean first = !unflushed;
            unflushed = true;
            sendOne(frame, c, c.maxDatagramSize(), c.isOpen());
            return first;
        }
        boolean first = false;
        FrameBatch b = pending[reader];
        while (b == null) {
            b = pool.tryAcquire();
            if (b != null) {
                pending[reader] = b;
                first = true;
            } else if (owner.waitForBatch()) {
                Thread.onSpinWait();
                LockSupport.parkNanos(20_000);
            } else {
                counters.queueDrops++;
                frame.release();
                return false;
            }
        }
        b.add(frame);
        if (b.isFull()) {
            submit(reader);
        }
        return first;
    }

    /** Reader: at the end of a read, flushes what was sent inline, or hands the batch to the loop. */
    void submit() {
        submit(0);
    }

    /** Reader {@code reader}: {@link #submit()} for its own batch. */
    void submit(int reader) {
        if (connection.inExecutor() && unflushed) { // only the connection's own loop sends inline
            unflushed = false;
            connection.flush();
            return;
        }
        FrameBatch b = pending[reader];
        if (b == null) {
            return;
        }
        pending[reader] = null;
        try {
            connection.executor().execute(b);
        } catch (RuntimeException e) {
            b.discard();
        }
    }

    @Override
    public void send(ByteBuf[] frames, int count) {
        Connection c = connection;
        boolean open = c.isOpen();
        int max = c.maxDatagramSize();
        for (int i = 0; i < count; i++) {
            sendOne(frames[i], c, max, open);
        }
        if (open) {
            c.flush();
        }
    }

    /** On the loop: one frame to the peer (counted, captured), or dropped and counted. */
    private void sendOne(ByteBuf f, Connection c, int max, boolean open) {
        int len = f.readableBytes();
        if (!open) {
            f.release();
            return;
        }
        if (len > max) {
            counters.oversize++;
            owner.oversize(len, max);
            f.release();
            return;
        }
        owner.capture(f);
        counters.framesOut++;
        counters.bytesOut += len;
        c.sendDatagram(f);
    }
}
