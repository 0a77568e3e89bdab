package io.rqst.transport;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.util.AttributeKey;
import io.rqst.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QUIC UDP socket's receive buffer, sized by the round trip of the connections on it.
 *
 * <p>The configured size ({@link QuicSettings#DEFAULT_SOCKET_BUFFER}) is chosen for a LAN: when this end's CPU
 * is the bottleneck the buffer stands full, and everything in the tunnel waits behind it, so it is small. On
 * a path with a longer round trip the sender's bursts are larger and its recovery from each loss slower: over
 * 40 ms (bench/wan.sh, bench/RESULTS.md 2026-11-23 06:20) the 512 KiB buffer overflowed in bursts and one
 * stream ran at 293-294 Mbit/s c2s and 225-279 s2c; sized by this class, 560-570 and 523-547, with a ping
 * under it 0.6-1.6 ms slower at p50 and 3-21 ms at p99. So each connection
 * reports its minimum round trip, and the buffer is the configured size per {@link #BASE_ROUND_TRIP_NANOS} of
 * the longest of them, at most {@link #MAX_FACTOR} times it.
 *
 * <p>The size is set with {@code SO_RCVBUFFORCE} where it can be (root, or CAP_NET_ADMIN, which a VPN has
 * for its TAP), as wireguard-go does: plain {@code SO_RCVBUF} is capped by {@code net.core.rmem_max}, 208 KiB
 * on a stock kernel.
 *
 * <p>One instance per UDP channel, in its attribute {@link #KEY}; all calls on that channel's event loop.
 */
final class ReceiveBuffer {
    private static final Logger LOG = LoggerFactory.getLogger(ReceiveBuffer.class);

    static final AttributeKey<ReceiveBuffer> KEY = AttributeKey.valueOf("rqst.receiveBuffer");

    /** The round trip the configured size is for: a LAN's, where it was measured (QuicSettings). */
    static final long BASE_ROUND_TRIP_NANOS = 5_000_000L;

    /** The buffer grows to at most this many times the configured size (4 MiB from 512 KiB). */
    static final int MAX_FACTOR = 8;

    private final int base;
    private final RoundTrips roundTrips = new RoundTrips();
    private int size;

    ReceiveBuffer(int base) {
        this.base = base;
        this.size = base;
    }

    /** The size for a longest minimum round trip of {@code nanos}. */
    static int sizeFor(int base, long nanos) {
        long factor = Math.min(MAX_FACTOR, Math.max(1, (nanos + BASE_ROUND_TRIP_NANOS - 1) / BASE_ROUND_TRIP_NANOS));
        return (int) Math.min(Integer.MAX_VALUE, base * factor);
    }

    /** Connections that have reported a round trip and not closed. */
    int connections() {
        return roundTrips.size();
    }

    /** The size asked for now. */
    int size() {
        return size;
    }

    /** Connection {@code key}'s minimum round trip (ns): the new size if it changed, else 0. */
    int roundTrip(Object key, long nanos) {
        return roundTrips.put(key, nanos) ? resize() : 0;
    }

    /** Connection {@code key} has gone: the new size if it changed, else 0. */
    int forget(Object key) {
        return roundTrips.remove(key) ? resize() : 0;
    }

    private int resize() {
        int s = sizeFor(base, roundTrips.longest());
        if (s == size) {
            return 0;
        }
        size = s;
        return s;
    }

    /** Installs the sizing on a QUIC UDP channel and sets its buffer to {@code base}, forced past rmem_max if allowed. */
    static void install(Channel udp, int base) {
        udp.attr(KEY).set(new ReceiveBuffer(base));
        set(udp, base);
    }

    /** On {@code udp}'s event loop: connection {@code key}'s minimum round trip; resizes the buffer if needed. */
    static void roundTrip(Channel udp, Object key, long nanos) {
        ReceiveBuffer b = udp == null ? null : udp.attr(KEY).get();
        if (b != null) {
            resized(udp, b.roundTrip(key, nanos));
        }
    }

    /** On {@code udp}'s event loop: connection {@code key} has closed. */
    static void forget(Channel udp, Object key) {
        ReceiveBuffer b = udp == null ? null : udp.attr(KEY).get();
        if (b != null) {
            resized(udp, b.forget(key));
        }
    }

    private static void resized(Channel udp, int size) {
        if (size > 0) {
            set(udp, size);
            LOG.debug("{}: UDP receive buffer {} KiB for the longest round trip of its connections", udp.localAddress(), size >> 10);
        }
    }

    // ---- the socket option

    /** Sets the receive buffer: forced on an epoll socket if permitted, else through Netty (capped by rmem_max). */
    static void set(Channel udp, int bytes) {
        if (udp instanceof io.netty.channel.epoll.EpollDatagramChannel e && e.isOpen()) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment v = a.allocate(JAVA_INT);
                v.set(JAVA_INT, 0, bytes);
                MemorySegment cap = Libc.newErrnoSegment(a);
                if (Libc.setsockopt(cap, e.fd().intValue(), Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, v.address()) == 0) {
                    return;
                }
                LOG.debug("SO_RCVBUFFORCE: {}", Libc.strerror(Libc.errno(cap)));
            }
        }
        try {
            udp.config().setOption(ChannelOption.SO_RCVBUF, bytes);
        } catch (RuntimeException ex) {
            LOG.debug("SO_RCVBUF {}: {}", bytes, ex.toString());
        }
    }
}
