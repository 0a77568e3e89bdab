package io.rqst.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.EpollQuicUtils;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Listens for QUIC connections on one or more UDP sockets and hands each to an {@link Acceptor}. */
public final class QuicServerTransport implements AutoCloseable {

    /** Decides about each peer; called on the connection's executor. */
    public interface Acceptor {
        /** A peer completed the TLS handshake: return its listener, or null to refuse it. */
        ConnectionListener accept(Connection connection);

        /** A peer never became a connection: its handshake was refused or failed. */
        void refused(InetSocketAddress peer, CloseInfo why);
    }

    private final List<Channel> channels;

    private QuicServerTransport(List<Channel> channels) {
        this.channels = channels;
    }

    /**
     * Binds every address in {@code listen}.
     *
     * @throws IOException naming the address that could not be bound and why
     */
    public static QuicServerTransport bind(QuicSettings settings, Tls tls, List<InetSocketAddress> listen,
                                           EventLoopGroup group, Acceptor acceptor) throws IOException {
        List<Channel> bound = new ArrayList<>();
        try {
            for (InetSocketAddress a : listen) {
                ChannelHandler codec = codec(settings, tls, acceptor);
                Bootstrap b = new Bootstrap().group(group).channel(EventLoops.datagramChannel())
                        .handler(withQuietTail(codec, settings));
                udpOptions(b, settings);
                try {
                    bound.add(b.bind(a).sync().channel());
                } catch (Exception e) {
                    String why = e instanceof BindException || String.valueOf(e.getMessage()).contains("in use")
                            ? "address already in use (is another server running?)" : String.valueOf(e.getMessage());
                    throw new IOException("cannot listen on " + format(a) + ": " + why, e);
                }
            }
        } catch (IOException | RuntimeException e) {
            bound.forEach(Channel::close);
            throw e;
        }
        return new QuicServerTransport(bound);
    }

    private static ChannelHandler codec(QuicSettings s, Tls tls, Acceptor acceptor) {
        QuicServerCodecBuilder b = new QuicServerCodecBuilder()
                .sslContext(tls.context())
                .maxIdleTimeout(s.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxSendUdpPayloadSize(s.maxUdpPayload())
                .maxRecvUdpPayloadSize(s.maxUdpPayload())
                .initialMaxData(16_000_000)
                .initialMaxStreamDataBidirectionalLocal(256 * 1024)
                .initialMaxStreamDataBidirectionalRemote(256 * 1024)
                .initialMaxStreamsBidirectional(4)
                .initialMaxStreamsUnidirectional(0)
                .datagram(s.datagramQueue(), s.datagramQueue())
                .congestionControlAlgorithm(s.ccAlgorithm())
                // no tokenHandler: no Retry round trip (QUIC's 3x amplification limit still applies)
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel ch) {
                        ch.pipeline().addLast(new QuicConnection(ch, tls, acceptor::accept,
                                (c, why) -> acceptor.refused(c.remoteAddress(), why)));
                    }
                })
                .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel ch) {
                        ControlStreamHandler.adopt(ch);
                    }
                });
        if (EventLoops.epoll()) {
            b.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, EpollQuicUtils.newSegmentedAllocator(s.gsoSegments()));
        }
        return b.build();
    }

    /** Receive buffer per UDP read: with GRO one read returns up to 64 KiB of same-flow packets. */
    static final int UDP_READ_BUFFER = 65536;

    /**
     * UDP reads per wake-up of the event loop, until the socket is empty: the codec's read-complete (each
     * connection's ACK and flush) then follows a burst of reads rather than each one, and one wake-up serves
     * many bundles. Netty's own default for datagram channels (16), which a
     * {@link io.netty.channel.FixedRecvByteBufAllocator} set as an option does not get: it reads once.
     */
    static final int UDP_READS_PER_WAKEUP = 16;

    /**
     * Socket options for a QUIC UDP socket: buffers sized up front (the anchors lost packets to
     * UdpRcvbufErrors with the defaults) and, with epoll, UDP GRO — the kernel hands several packets
     * of one sender in one read, which Netty splits back into packets for the codec.
     */
    static void udpOptions(io.netty.bootstrap.Bootstrap b, QuicSettings s) {
        b.option(ChannelOption.SO_RCVBUF, s.socketBuffer()).option(ChannelOption.SO_SNDBUF, s.socketBuffer());
        if (EventLoops.epoll() && s.udpGro()) {
            b.option(io.netty.channel.epoll.EpollChannelOption.UDP_GRO, true)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new io.netty.channel.FixedRecvByteBufAllocator(UDP_READ_BUFFER).maxMessagesPerRead(UDP_READS_PER_WAKEUP));
        }
    }

    /**
     * A UDP channel's pipeline: the receive queue's {@link ReceiveQueueAqm} (if configured), the codec,
     * then {@link QuietTail}.
     */
    static ChannelHandler withQuietTail(ChannelHandler codec, QuicSettings s) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ReceiveBuffer.install(ch, s.socketBuffer());
                if (s.receiveAqm() != null) {
                    ch.pipeline().addLast(new ReceiveQueueAqm(s.receiveAqm().target(), s.receiveAqm().interval()));
                }
                ch.pipeline().addLast(codec, QuietTail.INSTANCE);
            }
        };
    }

    /** The addresses actually bound (with the real port when 0 was asked for). */
    public List<InetSocketAddress> localAddresses() {
        return channels.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    /** Stops listening. Connections already closed by the caller stay closed. */
    @Override
    public void close() {
        for (Channel c : channels) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    static String format(InetSocketAddress a) {
        String h = a.getAddress() == null ? a.getHostString() : io.rqst.config.Addresses.format(a.getAddress());
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
