package io.rqst.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.rqst.tap.SelectableTap;
import io.rqst.trace.Trace;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a TAP on an epoll event loop: the loop watches the TAP's descriptor (level-triggered) and,
 * when it is readable, reads one batch and feeds the {@link FrameSink} on the loop's own thread — the
 * thread of the QUIC connections the frames go to. Compared with {@link TapReader} this removes the
 * hand-off between threads and its wake-ups, and paces reading with the loop's other work: one batch
 * per readiness, then the ACKs and timers get their turn.
 */
final class TapPoller implements EpollIoHandle {
    private static final Logger LOG = LoggerFactory.getLogger(TapPoller.class);

    private final SelectableTap tap;
    private final FrameSink sink;
    private final ByteBufAllocator alloc;
    private final FileDescriptor fd;
    private final ByteBuf[] bufs = new ByteBuf[TapReader.BATCH];
    private final int capacity;
    private volatile IoRegistration registration;

    private TapPoller(SelectableTap tap, FrameSink sink, ByteBufAllocator alloc) {
        this.tap = tap;
        this.sink = sink;
        this.alloc = alloc;
        // a view of the TAP's descriptor for epoll; the TAP owns and closes it, this never does
        this.fd = new FileDescriptor(tap.fileDescriptor());
        this.capacity = tap.frameCapacity();
    }

    /** Starts polling {@code tap} on {@code loop}, which must be an epoll {@link IoEventLoop}. */
    static TapPoller start(SelectableTap tap, FrameSink sink, ByteBufAllocator alloc, EventLoop loop) throws Exception {
        TapPoller p = new TapPoller(tap, sink, alloc);
        IoRegistration r = ((IoEventLoop) loop).register(p).get(5, TimeUnit.SECONDS);
        p.registration = r;
        loop.submit(() -> r.submit(EpollIoOps.EPOLLIN)).get(5, TimeUnit.SECONDS);
        return p;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
        Trace.mark(Trace.TAP_POLL, 0);
        try {
            do {
                fill();
                int n = tap.readReady(bufs, bufs.length);
                Trace.mark(Trace.TAP_READ, n);
                if (n <= 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    ByteBuf frame = bufs[i];
                    bufs[i] = null;
                    sink.frame(frame);
                }
                sink.endOfBatch();
            } while (tap.hasPending());
        } catch (RuntimeException e) {
            LOG.error("reading {} failed: {}", tap.name(), e.toString(), e);
        }
    }

    private void fill() {
        for (int i = 0; i < bufs.length; i++) {
            if (bufs[i] == null) {
                bufs[i] = alloc.directBuffer(capacity, capacity);
            }
        }
    }

    /** Stops polling (before the TAP is closed). Any thread. */
    void stop() {
        IoRegistration r = registration;
        if (r != null) {
            r.cancel();
        }
    }

    @Override
    public void unregistered() {
        for (int i = 0; i < bufs.length; i++) {
            if (bufs[i] != null) {
                bufs[i].release();
                bufs[i] = null;
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
