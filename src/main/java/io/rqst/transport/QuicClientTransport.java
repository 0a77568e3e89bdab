package io.rqst.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.EpollQuicUtils;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelBootstrap;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicClosedChannelException;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Makes one QUIC connection to a server. Each {@link #connect} uses a fresh UDP socket, so a
 * reconnect after a network change starts clean.
 */
public final class QuicClientTransport {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QuicClientTransport.class);
    private final QuicSettings settings;
    private final Tls tls;
    private final EventLoopGroup group;
    /** The route MTU last said to narrow the packets, so that reconnects over the same route do not say it again. */
    private volatile int lastNarrowRoute;

    public QuicClientTransport(QuicSettings settings, Tls tls, EventLoopGroup group) {
        this.settings = settings;
        this.tls = tls;
        this.group = group;
    }

    /**
     * Connects to {@code server}, checking its certificate against {@code serverName}.
     *
     * @return completes when the connection is established and {@code listener.onOpen} has run, or
     *         exceptionally with a {@link ConnectFailure} that says why
     */
    public CompletionStage<Connection> connect(InetSocketAddress server, String serverName, ConnectionListener listener) {
        CompletableFuture<Connection> result = new CompletableFuture<>();
        int udpPayload = udpPayloadTo(server);
        ChannelHandler codec = new QuicClientCodecBuilder()
                .sslEngineProvider(q -> tls.context().newEngine(q.alloc(), serverName, server.getPort()))
                .maxIdleTimeout(settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxSendUdpPayloadSize(udpPayload)
                .maxRecvUdpPayloadSize(udpPayload)
                .initialMaxData(16_000_000)
                .initialMaxStreamDataBidirectionalLocal(256 * 1024)
                .initialMaxStreamDataBidirectionalRemote(256 * 1024)
                .initialMaxStreamsBidirectional(0)
                .initialMaxStreamsUnidirectional(0)
                .datagram(settings.datagramQueue(), settings.datagramQueue())
                .congestionControlAlgorithm(settings.ccAlgorithm())
                .build();
        Bootstrap b = new Bootstrap().group(group).channel(EventLoops.datagramChannel())
                .handler(QuicServerTransport.withQuietTail(codec, settings));
        QuicServerTransport.udpOptions(b, settings);
        InetSocketAddress local = new InetSocketAddress(server.getAddress() instanceof java.net.Inet6Address
                ? java.net.InetAddress.ofLiteral("::") : java.net.InetAddress.ofLiteral("0.0.0.0"), 0);
        b.bind(local).addListener(bf -> {
            if (!bf.isSuccess()) {
                result.completeExceptionally(new ConnectFailure("cannot open a UDP socket: " + bf.cause().getMessage(), null, bf.cause()));
                return;
            }
            Channel udp = ((io.netty.channel.ChannelFuture) bf).channel();
            AtomicReference<QuicChannel> quic = new AtomicReference<>();
            ConnectionListener wrapped = new ConnectionListener() {
                @Override
                public void onOpen(Connection c) {
                    listener.onOpen(c);
                    result.complete(c);
                }

                @Override
                public void onDatagram(io.netty.buffer.ByteBuf frame) {
                    listener.onDatagram(frame);
                }

                @Override
                public void onReadComplete() {
                    listener.onReadComplete();
                }

                @Override
                public void onControl(io.rqst.control.ControlMessage m) {
                    listener.onControl(m);
                }

                @Override
                public void onControlError(String problem) {
                    listener.onControlError(problem);
                }

                @Override
                public void onMaxDatagramSize(int bytes) {
                    listener.onMaxDatagramSize(bytes);
                }

                @Override
                public void onClosed(CloseInfo why) {
                    if (!result.isDone()) {
                        // the same words as the connect future's own failure below, whichever comes first
                        String message = why.kind() == CloseInfo.Kind.HANDSHAKE ? why.reason() : why.describe();
                        ConnectFailure failure = new ConnectFailure(message, why, null);
                        closeThenReport(udp, quic.get(), () -> result.completeExceptionally(failure));
                        return; // never opened: the caller learns it from the future
                    }
                    closeThenReport(udp, quic.get(), () -> { });
                    if (!result.isCompletedExceptionally()) {
                        listener.onClosed(why);
                    }
                }
            };
            QuicChannelBootstrap qb = QuicChannel.newBootstrap(udp)
                    .handler(new io.netty.channel.ChannelInitializer<QuicChannel>() {
                        @Override
                        protected void initChannel(QuicChannel ch) {
                            quic.set(ch);
                            ch.pipeline().addLast(new QuicConnection(ch, tls, c -> wrapped,
                                    (c, why) -> wrapped.onClosed(why)));
                        }
                    })
                    .streamHandler(new io.netty.channel.ChannelInboundHandlerAdapter())
                    .remoteAddress(server);
            if (EventLoops.epoll()) {
                qb.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, EpollQuicUtils.newSegmentedAllocator(
                        settings.gsoSegmentsFor(udpPayload)));
            }
            Future<QuicChannel> f = qb.connect();
            f.addListener(cf -> {
                if (!cf.isSuccess() && !result.isDone()) {
                    Throwable cause = cf.cause();
                    ConnectFailure failure;
                    // the server refused the handshake (e.g. a TLS alert for the ALPN): say how, so that
                    // the caller can tell a refusal from a server that is just not there
                    if (cause instanceof QuicClosedChannelException closed && closed.event() != null) {
                        CloseInfo peer = QuicConnection.peerCloseInfo(closed.event());
                        failure = new ConnectFailure(peer.describe(), peer, cause);
                    } else {
                        String why = tls.verifier().flatMap(VerifierAdapter::lastFailure)
                                .orElse(QuicConnection.handshakeText(cause));
                        failure = new ConnectFailure(why, null, cause);
                    }
                    closeThenReport(udp, quic.get(), () -> result.completeExceptionally(failure));
                }
            });
        });
        return result;
    }

    /**
     * The UDP payload for this attempt ({@link QuicSettings#clientUdpPayload}): the route to {@code server} is
     * looked up each time, so that a reconnect after the laptop moved to a narrower link (PPPoE, a VPN under this
     * one) sizes its packets for it; said once per change of the route's MTU.
     */
    private int udpPayloadTo(InetSocketAddress server) {
        java.util.OptionalInt route = settings.maxUdpPayload() == QuicSettings.UDP_PAYLOAD_AUTO ? RouteMtu.of(server) : java.util.OptionalInt.empty();
        int payload = settings.clientUdpPayload(server.getAddress(), route);
        int ethernet = QuicSettings.udpPayloadOfEthernetPath(server.getAddress());
        if (route.isPresent() && payload < ethernet && route.getAsInt() != lastNarrowRoute) {
            lastNarrowRoute = route.getAsInt();
            if (QuicSettings.udpPayloadOfMtu(server.getAddress(), route.getAsInt()) < QuicSettings.MIN_UDP_PAYLOAD) {
                LOG.warn("the route to {} carries packets of {} bytes, too few for QUIC's {}-byte datagrams; packets of {} "
                        + "bytes will be sent and may not arrive", server.getAddress().getHostAddress(), route.getAsInt(),
                        QuicSettings.MIN_UDP_PAYLOAD, payload);
            } else {
                LOG.info("the route to {} carries packets of {} bytes: QUIC packets of up to {} bytes (not {})",
                        server.getAddress().getHostAddress(), route.getAsInt(), payload, ethernet);
            }
        } else if (payload >= ethernet) {
            lastNarrowRoute = 0;
        }
        return payload;
    }

    /**
     * Closes the QUIC channel (after the current event loop task, see
     * {@link QuicConnection#closeAfterCurrentTask}), then its UDP socket, then runs {@code report}. A
     * handshake we refuse (the server's certificate fails our check) is reported from inside quiche's
     * send, and Netty leaves the QUIC channel open: closed in this order, the channel sends its
     * CONNECTION_CLOSE with our TLS alert and the server can log why it was refused (before, the socket
     * closed first and the server logged an idle timeout 30 s later). The caller learns of the failure
     * only then, so that a client that exits on it has sent its alert first.
     *
     * @param quic the connection's QUIC channel, or null if none was created
     */
    private static void closeThenReport(Channel udp, QuicChannel quic, Runnable report) {
        Runnable closeUdp = () -> {
            udp.close();
            report.run();
        };
        QuicConnection.closeAfterCurrentTask(quic != null ? quic : udp, closeUdp);
    }

    /** Why a connection attempt failed. */
    public static final class ConnectFailure extends Exception {
        private final transient CloseInfo close;

        ConnectFailure(String message, CloseInfo close, Throwable cause) {
            super(message, cause);
            this.close = close;
        }

        /** How the connection closed, when it got far enough to have one. */
        public java.util.Optional<CloseInfo> close() {
            return java.util.Optional.ofNullable(close);
        }
    }
}
