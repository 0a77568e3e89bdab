package io.rqst.session;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.rqst.tap.SelectableTap;
import io.rqst.tap.TapDevice;
import io.rqst.transport.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts reading a TAP for the client or the server: on the event loop of its QUIC connections when it
 * can (an epoll loop and a selectable TAP: {@link TapPoller}), else on a thread of its own
 * ({@link TapReader}; also with {@code -Drqst.tapThread=true}).
 */
final class TapReading {
    private static final Logger LOG = LoggerFactory.getLogger(TapReading.class);

    private TapReading() {}

    /**
     * @param threadName the reader thread's name, should a thread be needed
     * @return what stops the reading (before the TAP is closed); any thread
     */
    static Runnable start(TapDevice tap, FrameSink sink, EventLoop loop, String threadName) {
        if (tap instanceof SelectableTap st && EventLoops.epoll() && !Boolean.getBoolean("rqst.tapThread")) {
            try {
                TapPoller poller = TapPoller.start(st, sink, PooledByteBufAllocator.DEFAULT, loop);
                return poller::stop;
            } catch (Exception e) {
                LOG.debug("cannot poll {} on the event loop ({}); using a reader thread", tap.name(), e.toString());
            }
        }
        TapReader reader = new TapReader(tap, sink, PooledByteBufAllocator.DEFAULT, threadName);
        reader.start();
        return reader::close;
    }
}
