package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import org.junit.jupiter.api.Test;

/** The UDP socket options both transports use. */
class UdpOptionsTest {
    // Promise: with epoll and GRO, one wake-up of the event loop reads up to 16 UDP datagrams (until the socket
    // is empty), not one: Netty gives its datagram channels 16 only for its own default allocator, and a
    // FixedRecvByteBufAllocator set as an option reads once per wake-up unless told otherwise.
    @Test
    void severalReadsPerWakeupWithGro() {
        assertTrue(EventLoops.epoll(), "this test runs where the VPN runs: Linux with native epoll");
        QuicSettings s = QuicSettings.defaults();
        assertTrue(s.udpGro());
        Bootstrap b = new Bootstrap();
        QuicServerTransport.udpOptions(b, s);
        assertEquals(Boolean.TRUE, b.config().options().get(EpollChannelOption.UDP_GRO));
        RecvByteBufAllocator a = (RecvByteBufAllocator) b.config().options().get(ChannelOption.RECVBUF_ALLOCATOR);
        assertEquals(QuicServerTransport.UDP_READS_PER_WAKEUP, ((MaxMessagesRecvByteBufAllocator) a).maxMessagesPerRead());
        assertEquals(16, QuicServerTransport.UDP_READS_PER_WAKEUP);
        assertEquals(QuicServerTransport.UDP_READ_BUFFER, a.newHandle().guess());
        assertEquals(s.socketBuffer(), b.config().options().get(ChannelOption.SO_RCVBUF));
    }

    // Promise: a UDP channel's pipeline starts with the receive queue's CoDel when it is configured, and has
    // none when it is off (the default); the codec and the quiet tail follow either way.
    @Test
    void theReceiveQueueAqmGoesFirstInTheUdpPipeline() {
        io.netty.channel.ChannelHandler codec = new io.netty.channel.ChannelInboundHandlerAdapter();
        io.netty.channel.ChannelHandler codec2 = new io.netty.channel.ChannelInboundHandlerAdapter();
        io.netty.channel.embedded.EmbeddedChannel on = new io.netty.channel.embedded.EmbeddedChannel(
                QuicServerTransport.withQuietTail(codec, QuicSettings.defaults().withReceiveAqm(QuicSettings.SUGGESTED_RECEIVE_AQM)));
        assertTrue(on.pipeline().first() instanceof ReceiveQueueAqm, on.pipeline().names().toString());
        assertEquals(null, QuicSettings.defaults().receiveAqm());
        io.netty.channel.embedded.EmbeddedChannel off = new io.netty.channel.embedded.EmbeddedChannel(
                QuicServerTransport.withQuietTail(codec2, QuicSettings.defaults()));
        assertTrue(off.pipeline().first() == codec2, off.pipeline().names().toString());
        assertTrue(off.pipeline().last() instanceof QuietTail);
        on.finishAndReleaseAll();
        off.finishAndReleaseAll();
    }
}
