package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReceiveBufferTest {
    static final long MS = 1_000_000L;
    static final int BASE = 512 << 10;

    @Test
    void theSizeIsTheBasePerFiveMillisecondsOfRoundTripUpToEightTimes() {
        assertEquals(BASE, ReceiveBuffer.sizeFor(BASE, 0));
        assertEquals(BASE, ReceiveBuffer.sizeFor(BASE, 300_000), "a LAN");
        assertEquals(BASE, ReceiveBuffer.sizeFor(BASE, 5 * MS));
        assertEquals(2 * BASE, ReceiveBuffer.sizeFor(BASE, 5 * MS + 1));
        assertEquals(8 * BASE, ReceiveBuffer.sizeFor(BASE, 40 * MS), "40 ms: 4 MiB");
        assertEquals(8 * BASE, ReceiveBuffer.sizeFor(BASE, 300 * MS), "at most 8 times");
    }

    @Test
    void theLongestRoundTripOfTheOpenConnectionsSetsTheSize() {
        ReceiveBuffer b = new ReceiveBuffer(BASE);
        Object lan = new Object();
        Object wan = new Object();
        assertEquals(0, b.roundTrip(lan, 400_000), "a LAN connection: no change");
        assertEquals(4 * BASE, b.roundTrip(wan, 18 * MS));
        assertEquals(0, b.roundTrip(lan, 300_000));
        assertEquals(2 * BASE, b.roundTrip(wan, 9 * MS), "its minimum fell");
        assertEquals(2, b.connections());
        assertEquals(BASE, b.forget(wan), "closed: back to the base");
        assertEquals(0, b.forget(wan), "twice is harmless");
        assertEquals(0, b.roundTrip(lan, 0), "no sample");
        assertEquals(BASE, b.size());
        assertEquals(1, b.connections());
    }

    /** As root (CI), the size is forced past net.core.rmem_max; the kernel reports twice what was set. */
    @Test
    void asRootTheBufferIsForcedPastTheKernelsCap() throws Exception {
        EventLoopGroup group = EventLoops.group(1, "test-rcvbuf");
        try {
            Channel ch = new Bootstrap().group(group).channel(EventLoops.datagramChannel()).handler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            try {
                long rmemMax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max")).getFirst().trim());
                int asked = (int) Math.min(64 << 20, rmemMax * 2);
                ch.eventLoop().submit(() -> ReceiveBuffer.install(ch, asked)).get(5, TimeUnit.SECONDS);
                int got = ch.config().getOption(io.netty.channel.ChannelOption.SO_RCVBUF);
                if (isRoot()) {
                    assertEquals(2L * asked, got, "forced to " + asked + " past rmem_max " + rmemMax);
                } else {
                    assertTrue(got <= 2 * rmemMax, "capped without the privilege: " + got);
                }
                assertEquals(asked, ch.attr(ReceiveBuffer.KEY).get().size());
            } finally {
                ch.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    static boolean isRoot() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
    }
}
