package io.rqst.transport;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.rqst.config.Durations;
import io.rqst.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CoDel on a QUIC socket's receive queue (opt-in, {@code --rx-aqm}): the UDP packets waiting in the kernel
 * for this end's event loop.
 *
 * <p>When this end cannot keep up (its CPU is the bottleneck of the tunnel), the peer's congestion control
 * grows its window until the socket buffer overflows, so the buffer stays nearly full and everything in
 * the tunnel — a ping, an SSH keystroke — waits behind it (3-6 ms p50, 7-20 ms p99 under one TCP stream
 * with a 512 KiB buffer). A smaller buffer shortens the wait but also drops the bursts a large one absorbs.
 * This handler keeps the large buffer and drops instead when the queue <em>stands</em>: after each burst of
 * reads it asks the kernel when the last packet read had arrived ({@code SIOCGSTAMPNS}: the socket then
 * timestamps packets on arrival), and {@link CoDel} decides; a drop discards the next full-size 1-RTT
 * (short header) packet before the QUIC codec sees it, so the peer's QUIC stack sees a loss and slows down.
 * Handshake (long header) packets and small packets (ACKs, pings, keystrokes) are never dropped.
 *
 * <p>Measured (bench/RESULTS.md, 2026-11-22 14:20): one TCP stream kept its throughput and a ping under it
 * waited 1.56 / 5.59 ms p50 / p99 instead of 4.46 / 9.86; sixteen clients that saturate the server's CPU
 * sent 230 Mbit/s instead of 445, because sixteen senders each slowed by one drop barely lower the load and
 * CoDel drops ever faster. And over a 10 ms round trip a handful of drops cost one stream a third to a half of
 * its rate: each drop slows QUIC's cubic and the inner TCP's at once (2026-11-23 19:50). Hence off by default,
 * even for a sole connection.
 *
 * <p>The configured interval is a floor: the loop's QUIC connections tell it their minimum round trip
 * ({@link #roundTrip}), and the interval grows to the longest of them, the target with it (see {@link Shared}),
 * so that a sender a long round trip away is not dropped from again before it could have slowed down.
 *
 * <p>A burst that left the socket empty never counts as a standing queue (RFC 8289's rule that a queue of
 * one packet is never dropped from), and a wake-up that read nothing is not a sample: the kernel's timestamp
 * is then the previous packet's.
 *
 * <p>Sits before the QUIC codec in a UDP channel's pipeline; all calls run on that channel's event loop.
 * Only epoll channels have a descriptor to ask; with NIO it passes everything through.
 */
final class ReceiveQueueAqm extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ReceiveQueueAqm.class);

    /** What the handler asks about the socket after a burst of reads; called on the event loop only. */
    interface QueueProbe {
        /** How long the last packet read had waited in the socket (ns); 0 if the socket is now empty; -1 if unknown. */
        long sojournNanos();
    }

    /** Bit 7 of a QUIC packet's first byte: set in long (handshake) headers (RFC 9000 section 17.2). */
    static final int QUIC_LONG_HEADER = 0x80;

    /**
     * Packets smaller than this are never dropped: one carrying only ACKs, a ping, a keystroke or a DNS query
     * carries no bulk, and dropping it would slow nobody down. A full-size tunnel packet is 1350 bytes.
     */
    static final int DROP_MIN_BYTES = 1000;

    /**
     * The event loop is the bottleneck the queues share, so its sockets share one CoDel: with a socket per
     * connection (a client fleet), sixteen sockets that each wait for the other fifteen must not each drop.
     */
    private static final io.netty.util.concurrent.FastThreadLocal<Shared> PER_LOOP = new io.netty.util.concurrent.FastThreadLocal<>();

    /**
     * One event loop's CoDel, the drop it owes, and the round trips of the connections it serves.
     *
     * <p>The configured target and interval are a floor. CoDel's interval should be about the round trip of
     * the flows through the queue (RFC 8289 section 4.2): a sender hears of a drop one round trip later, so
     * with an interval much shorter than that CoDel keeps dropping while the first drop is still on its way.
     * On a 40 ms path with the server's CPU the bottleneck, {@code on} (500us/5ms) halved one TCP stream
     * (81-87 against 173-208 Mbit/s) after a handful of drops (bench/RESULTS.md, 2026-11-23 05:45). So the
     * interval follows the longest minimum round trip of the connections on the loop, and the target keeps
     * its configured share of the interval.
     */
    static final class Shared {
        final CoDel codel;
        private final long floorTarget;
        private final long floorInterval;
        private final RoundTrips roundTrips = new RoundTrips();
        private int dropsPending;
        private long dropped;

        Shared(CoDel codel) {
            this.codel = codel;
            this.floorTarget = codel.targetNanos();
            this.floorInterval = codel.intervalNanos();
        }

        /**
         * The minimum round trip seen so far by the connection {@code key} on this loop (ns, from QUIC's RTT
         * samples). Returns true if CoDel's interval changed.
         */
        boolean roundTrip(Object key, long nanos) {
            return roundTrips.put(key, nanos) && retune();
        }

        /** The connection {@code key} has gone; returns true if CoDel's interval changed. */
        boolean forget(Object key) {
            return roundTrips.remove(key) && retune();
        }

        private boolean retune() {
            long rtt = roundTrips.longest();
            long interval = Math.max(floorInterval, (rtt + MS - 1) / MS * MS); // whole ms: no retuning on every sample
            if (interval == codel.intervalNanos()) {
                return false;
            }
            // the target keeps its share of the interval (RFC 8289 section 4.3: 5-10 % of it)
            long target = Math.max(floorTarget, (long) ((double) floorTarget / floorInterval * interval));
            codel.retune(target, interval);
            return true;
        }

        /** One burst's sample ({@code sojourn} 0: the burst emptied its socket); a drop is owed if CoDel says so. */
        void sample(long now, long sojourn) {
            if (codel.dequeue(now, sojourn)) {
                dropsPending = 1;
            }
        }

        /** Pays a drop owed with this 1-RTT packet if it is a full-size one. */
        boolean dropPacket(int length) {
            if (dropsPending > 0 && length >= DROP_MIN_BYTES) {
                dropsPending--;
                dropped++;
                return true;
            }
            return false;
        }

        /** Packets dropped so far. */
        long dropped() {
            return dropped;
        }
    }

    private static final long MS = 1_000_000L;

    /**
     * Tells this thread's event loop's CoDel, if it has one, the minimum round trip seen so far by the
     * connection {@code key} (ns). For a QUIC connection, on its event loop.
     */
    static void roundTrip(Object key, long nanos) {
        Shared s = PER_LOOP.getIfExists();
        if (s != null && s.roundTrip(key, nanos)) {
            retuned(s);
        }
    }

    /** The connection {@code key}, on this thread's event loop, has closed. */
    static void forget(Object key) {
        Shared s = PER_LOOP.getIfExists();
        if (s != null && s.forget(key)) {
            retuned(s);
        }
    }

    /** This thread's event loop's CoDel interval (ns), or -1 if it runs none. For tests. */
    static long intervalOnThisLoop() {
        Shared s = PER_LOOP.getIfExists();
        return s == null ? -1 : s.codel.intervalNanos();
    }

    private static void retuned(Shared s) {
        // debug: every connection's minimum round trip settles over its first seconds (the handshake's is long)
        LOG.debug("receive queue: CoDel interval {}, target {} (the longest round trip of this event loop's connections, or the configured floor)",
                Durations.format(Duration.ofNanos(s.codel.intervalNanos())), Durations.format(Duration.ofNanos(s.codel.targetNanos())));
    }

    private final String describe;
    private final java.util.function.Supplier<Shared> shared;
    private final java.util.function.Function<Channel, QueueProbe> probes;
    private final java.util.function.LongSupplier clock;
    private QueueProbe probe;
    private Shared loop;
    private int readsInBurst;

    ReceiveQueueAqm(Duration target, Duration interval) {
        this(() -> {
            Shared s = PER_LOOP.get();
            if (s == null) {
                s = new Shared(new CoDel(target.toNanos(), interval.toNanos()));
                PER_LOOP.set(s);
            }
            return s;
        }, SocketProbe::of, System::nanoTime, "target " + Durations.format(target) + ", interval " + Durations.format(interval));
    }

    /**
     * With the CoDel {@code shared} returns on the channel's event loop, the probe {@code probes} makes for
     * the channel (null: no management) and a nanosecond clock.
     */
    ReceiveQueueAqm(java.util.function.Supplier<Shared> shared, java.util.function.Function<Channel, QueueProbe> probes,
                    java.util.function.LongSupplier clock, String describe) {
        this.describe = describe;
        this.shared = shared;
        this.probes = probes;
        this.clock = clock;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        probe = probes.apply(ctx.channel());
        if (probe != null) {
            LOG.info("receive queue: CoDel on ({}; longer on paths with a longer round trip)", describe);
        } else {
            LOG.warn("receive queue: CoDel asked for but not available on this socket (it needs native epoll); off");
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readsInBurst++;
        if (loop != null && loop.dropsPending > 0 && msg instanceof DatagramPacket p) {
            ByteBuf b = p.content();
            int n = b.readableBytes();
            if (n > 0 && (b.getByte(b.readerIndex()) & QUIC_LONG_HEADER) == 0 && loop.dropPacket(n)) {
                p.release();
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (probe != null && readsInBurst > 0) {
            if (loop == null) {
                loop = shared.get(); // on the channel's event loop
            }
            long sojourn = probe.sojournNanos();
            if (sojourn < 0) {
                probe = null;
            } else {
                loop.sample(clock.getAsLong(), sojourn);
            }
        }
        readsInBurst = 0;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (loop != null && loop.dropped > 0) {
            LOG.info("receive queue: {} packets dropped so far on this event loop to keep it short (CoDel)", loop.dropped);
        }
        ctx.fireChannelInactive();
    }

    /** Packets dropped so far on this handler's event loop (by any of its sockets). */
    long loopDrops() {
        return loop == null ? 0 : loop.dropped();
    }

    /**
     * The kernel's answer for an epoll UDP socket: {@code SIOCINQ} (the next packet's size, 0 when empty),
     * then {@code SIOCGSTAMPNS} (when the last packet read had arrived; the first call turns on arrival
     * timestamps for the socket) against {@code CLOCK_REALTIME}, the clock of those timestamps.
     */
    static final class SocketProbe implements QueueProbe {
        /** Offsets in {@code scratch}: the last read packet's arrival (a timespec), now (a timespec), SIOCINQ's int. */
        private static final int ARRIVED = 0;
        private static final int NOW = ARRIVED + Libc.TIMESPEC_SIZE;
        private static final int INQ = NOW + Libc.TIMESPEC_SIZE;

        private final int fd;
        private final MemorySegment scratch;
        private final MemorySegment errnoState;

        private SocketProbe(int fd) {
            this.fd = fd;
            Arena arena = Arena.ofAuto();
            this.scratch = arena.allocate(INQ + Integer.BYTES, 8);
            this.errnoState = Libc.newErrnoSegment(arena);
        }

        /** A probe for an epoll UDP channel (arrival timestamps turned on now), or null for any other. */
        static QueueProbe of(Channel ch) {
            if (!(ch instanceof io.netty.channel.epoll.EpollDatagramChannel e)) {
                return null;
            }
            SocketProbe p = new SocketProbe(e.fd().intValue());
            int ignored = Libc.ioctl(p.errnoState, p.fd, Libc.SIOCGSTAMPNS, p.scratch.address() + ARRIVED); // ENOENT: none yet
            return p;
        }

        @Override
        public long sojournNanos() {
            long a = scratch.address();
            if (Libc.ioctl(errnoState, fd, Libc.SIOCINQ, a + INQ) != 0) {
                return off("SIOCINQ");
            }
            if (scratch.get(JAVA_INT, INQ) == 0) {
                return 0;
            }
            if (Libc.ioctl(errnoState, fd, Libc.SIOCGSTAMPNS, a + ARRIVED) != 0) {
                return Libc.errno(errnoState) == Libc.ENOENT ? 0 : off("SIOCGSTAMPNS");
            }
            int ignored = Libc.clockGettime(Libc.CLOCK_REALTIME, a + NOW);
            long arrived = scratch.get(JAVA_LONG, ARRIVED) * 1_000_000_000L + scratch.get(JAVA_LONG, ARRIVED + 8);
            long now = scratch.get(JAVA_LONG, NOW) * 1_000_000_000L + scratch.get(JAVA_LONG, NOW + 8);
            return Math.max(0, now - arrived);
        }

        private long off(String call) {
            LOG.debug("{} failed ({}): no receive-queue management on this socket", call, Libc.strerror(Libc.errno(errnoState)));
            return -1;
        }
    }
}
