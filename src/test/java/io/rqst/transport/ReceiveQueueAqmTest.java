package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReceiveQueueAqmTest {
    static final long MS = 1_000_000L;
    static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 4433);
    static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 3456);

    long now = 1;
    long sojourn;
    int probed;
    final List<DatagramPacket> passed = new ArrayList<>();

    final ReceiveQueueAqm.Shared loop = new ReceiveQueueAqm.Shared(new CoDel(1 * MS, 10 * MS));

    EmbeddedChannel channel() {
        ReceiveQueueAqm aqm = new ReceiveQueueAqm(() -> loop, ch -> () -> {
            probed++;
            return sojourn;
        }, () -> now, "test");
        EmbeddedChannel ch = new EmbeddedChannel(aqm);
        return ch;
    }

    /** A full-size 1-RTT packet (bulk). */
    static DatagramPacket shortHeader() {
        return packet(0x40, 1350);
    }

    static DatagramPacket longHeader() {
        return packet(0xc0, 1350);
    }

    static DatagramPacket packet(int firstByte, int size) {
        byte[] b = new byte[size];
        b[0] = (byte) firstByte;
        return new DatagramPacket(Unpooled.wrappedBuffer(b), LOCAL, PEER);
    }

    /** One burst of reads at {@code now}: the packets that came out the other side. */
    int burst(EmbeddedChannel ch, DatagramPacket... packets) {
        ch.writeInbound((Object[]) packets);
        int n = 0;
        for (Object o; (o = ch.readInbound()) != null; ) {
            passed.add((DatagramPacket) o);
            n++;
        }
        return n;
    }

    @Test
    void aQueueThatDrainsPassesEverything() {
        EmbeddedChannel ch = channel();
        sojourn = 0;
        for (int i = 0; i < 100; i++, now += MS) {
            assertEquals(3, burst(ch, shortHeader(), shortHeader(), shortHeader()));
        }
        assertEquals(100, probed);
        passed.forEach(DatagramPacket::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void aStandingQueueLosesOneShortHeaderPacketAfterAnInterval() {
        EmbeddedChannel ch = channel();
        sojourn = 3 * MS;
        int in = 0;
        for (; now < 10 * MS; now += MS, in += 2) {
            assertEquals(2, burst(ch, shortHeader(), shortHeader()), "no drop within the first interval, at " + now);
        }
        int out = 0;
        for (; now < 12 * MS; now += MS, in += 2) {
            out += burst(ch, shortHeader(), shortHeader());
        }
        assertEquals(in - 20 - 1, out, "one packet dropped after the queue stood for an interval");
        ReceiveQueueAqm aqm = ch.pipeline().get(ReceiveQueueAqm.class);
        assertEquals(1, aqm.loopDrops());
        passed.forEach(DatagramPacket::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void handshakePacketsAreNeverDropped() {
        EmbeddedChannel ch = channel();
        sojourn = 3 * MS;
        for (; now < 40 * MS; now += MS) {
            assertEquals(2, burst(ch, longHeader(), longHeader()));
        }
        // the drop CoDel asked for falls on the next short-header packet, not on these
        assertEquals(1, burst(ch, longHeader(), shortHeader()));
        assertEquals(0x80, passed.getLast().content().getByte(0) & 0x80);
        passed.forEach(DatagramPacket::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void smallPacketsAreNeverDropped() {
        EmbeddedChannel ch = channel();
        sojourn = 3 * MS;
        for (; now < 40 * MS; now += MS) {
            assertEquals(3, burst(ch, packet(0x40, 60), packet(0x41, 140), packet(0x40, ReceiveQueueAqm.DROP_MIN_BYTES - 1)));
        }
        // the drop owed falls on the next full-size one
        assertEquals(2, burst(ch, packet(0x40, 60), shortHeader(), shortHeader()));
        assertEquals(60, passed.get(passed.size() - 2).content().readableBytes());
        passed.forEach(DatagramPacket::release);
        ch.finishAndReleaseAll();
    }

    // Promise: sockets on one event loop share its CoDel: a standing queue costs the loop one drop at a
    // time, not one per socket.
    @Test
    void socketsOnOneLoopShareOneDropDecision() {
        EmbeddedChannel a = channel();
        EmbeddedChannel b = channel();
        sojourn = 3 * MS;
        int in = 0;
        int out = 0;
        for (; now < 12 * MS; now += MS, in += 4) {
            out += burst(a, shortHeader(), shortHeader());
            out += burst(b, shortHeader(), shortHeader());
        }
        assertEquals(in - 1, out, "one drop for both sockets");
        assertEquals(1, loop.dropped());
        assertEquals(1, a.pipeline().get(ReceiveQueueAqm.class).loopDrops());
        passed.forEach(DatagramPacket::release);
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }

    @Test
    void aWakeUpThatReadNothingIsNotASample() {
        EmbeddedChannel ch = channel();
        sojourn = 3 * MS;
        for (int i = 0; i < 50; i++, now += MS) {
            ch.pipeline().fireChannelReadComplete();
        }
        assertEquals(0, probed);
        assertEquals(1, burst(ch, shortHeader()));
        passed.forEach(DatagramPacket::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void aChannelWithoutAProbePassesEverything() {
        ReceiveQueueAqm aqm = new ReceiveQueueAqm(() -> loop, c -> null, () -> now, "test");
        EmbeddedChannel ch = new EmbeddedChannel(aqm);
        for (int i = 0; i < 50; i++, now += MS) {
            assertEquals(1, burst(ch, shortHeader()));
        }
        assertEquals(0, aqm.loopDrops());
        passed.forEach(DatagramPacket::release);
        ch.finishAndReleaseAll();
    }

    // Promise: on a real epoll UDP socket the probe reports how long the last packet read had waited in the
    // kernel, and 0 once a burst has emptied the socket.
    @Test
    void theSocketProbeMeasuresTheWaitInTheKernel() throws Exception {
        assertTrue(EventLoops.epoll(), "this test runs where the VPN runs: Linux with native epoll");
        List<Long> samples = new java.util.concurrent.CopyOnWriteArrayList<>();
        ReceiveQueueAqm aqm = new ReceiveQueueAqm(() -> loop, c -> {
            ReceiveQueueAqm.QueueProbe real = ReceiveQueueAqm.SocketProbe.of(c);
            assertTrue(real != null, "an epoll datagram channel gets a socket probe");
            return () -> {
                long v = real.sojournNanos();
                samples.add(v);
                return v;
            };
        }, System::nanoTime, "test");
        io.netty.channel.EventLoopGroup group = EventLoops.group(1, "aqm-test");
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        try (java.net.DatagramSocket sender = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            io.netty.channel.Channel ch = new io.netty.bootstrap.Bootstrap().group(group).channel(EventLoops.datagramChannel())
                                        .handler(new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
                        @Override
                        protected void initChannel(io.netty.channel.Channel c) {
                            c.pipeline().addLast(aqm, new io.netty.channel.ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                                    received.incrementAndGet();
                                    io.netty.util.ReferenceCountUtil.release(msg);
                                }
                            });
                        }
                    }).bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0)).sync().channel();
            try {
                // a first burst that empties the socket; then 40 packets wait 50 ms while the loop is busy
                sender.send(new java.net.DatagramPacket(new byte[] {0x40, 1}, 2, ch.localAddress()));
                waitFor(() -> received.get() == 1 && samples.size() == 1);
                assertEquals(0L, samples.getFirst(), "one packet, read at once: the socket is empty after it");
                java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.atomic.AtomicLong busyUntil = new java.util.concurrent.atomic.AtomicLong();
                int before = samples.size();
                ch.eventLoop().execute(() -> {
                    busy.countDown();
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    busyUntil.set(System.nanoTime());
                });
                busy.await();
                for (int i = 0; i < 40; i++) {
                    sender.send(new java.net.DatagramPacket(new byte[] {0x40, (byte) i}, 2, ch.localAddress()));
                }
                // on loopback a packet is queued when send returns: the last one waits at least from here
                // until the loop is free again (a little under 50 ms, since the sleep began before the sends)
                long lastQueued = System.nanoTime();
                waitFor(() -> received.get() == 41);
                waitFor(() -> samples.size() >= before + 3);
                List<Long> after = samples.subList(before, samples.size());
                long leastWait = busyUntil.get() - lastQueued;
                assertTrue(leastWait > 25 * MS, "the loop was busy long enough to measure: " + leastWait);
                assertTrue(after.get(0) >= leastWait - MS && after.get(0) < 5_000 * MS,
                        "the first burst's last packet waited at least " + leastWait + " ns (less 1 ms for clocks): " + after);
                assertEquals(0L, after.getLast(), "the last burst emptied the socket: " + after);
            } finally {
                ch.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        for (int i = 0; i < 400 && !c.getAsBoolean(); i++) {
            Thread.sleep(5);
        }
        assertTrue(c.getAsBoolean(), "timed out");
    }

    @Test
    void anEmbeddedChannelGetsNoSocketProbe() {
        assertNull(ReceiveQueueAqm.SocketProbe.of(new EmbeddedChannel()));
    }

    @Test
    void theIntervalFollowsTheLongestRoundTripOfTheLoopsConnectionsAndNeverFallsBelowTheConfiguredOne() {
        ReceiveQueueAqm.Shared s = new ReceiveQueueAqm.Shared(new CoDel(MS / 2, 5 * MS)); // --rx-aqm on
        Object lan = new Object();
        Object wan = new Object();
        assertFalse(s.roundTrip(lan, 300_000), "a LAN round trip is below the configured interval");
        assertEquals(5 * MS, s.codel.intervalNanos());
        assertTrue(s.roundTrip(wan, 40 * MS + 123), "a 40 ms path");
        assertEquals(41 * MS, s.codel.intervalNanos(), "rounded up to whole milliseconds");
        assertEquals(41 * MS / 10, s.codel.targetNanos(), "the target keeps its tenth of the interval");
        assertFalse(s.roundTrip(lan, 250_000), "a lower LAN round trip changes nothing");
        assertTrue(s.roundTrip(wan, 30 * MS), "the WAN path's minimum fell");
        assertEquals(30 * MS, s.codel.intervalNanos());
        assertFalse(s.roundTrip(wan, 30 * MS), "the same again is no change");
        assertTrue(s.forget(wan), "the WAN connection closed");
        assertEquals(5 * MS, s.codel.intervalNanos(), "back to the configured interval");
        assertEquals(MS / 2, s.codel.targetNanos());
        assertFalse(s.forget(wan), "forgetting twice is harmless");
        assertFalse(s.roundTrip(lan, 0), "no sample yet");
    }
}
