package io.rqst.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.handler.codec.quic.EpollQuicUtils;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.rqst.trace.Trace;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Listens for QUIC connections on one or more UDP sockets and hands each to an {@link Acceptor}. */
public final class QuicServerTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QuicServerTransport.class);

    /** Decides about each peer; called on the connection's executor. */
    public interface Acceptor {
        /** A peer completed the TLS handshake: return its listener, or null to refuse it. */
        ConnectionListener accept(Connection connection);

        /** A peer never became a connection: its handshake was refused or failed. */
        void refused(InetSocketAddress peer, CloseInfo why);
    }

    private final List<Channel> channels;
    private final List<AddressCover> covers;

    private QuicServerTransport(List<Channel> channels, List<AddressCover> covers) {
        this.channels = channels;
        this.covers = covers;
    }

    /**
     * Binds every address in {@code listen}, one socket each, on {@code group}.
     *
     * @throws IOException naming the address that could not be bound and why
     */
    public static QuicServerTransport bind(QuicSettings settings, Tls tls, List<InetSocketAddress> listen,
                                           EventLoopGroup group, Acceptor acceptor) throws IOException {
        return bind(settings, tls, listen, group, 1, acceptor);
    }

    /**
     * Binds every address in {@code listen} with {@code loops} sockets, each registered on the next event loop of
     * {@code group}, so that the connections spread over that many threads. With more than one (epoll only) the
     * sockets share the address through {@code SO_REUSEPORT}: the kernel gives each client to one of them by its
     * address and port, and a packet that reaches another socket than its connection's (a client whose NAT gave it
     * a new port) is passed to the right one by {@link ConnectionRoutes}, which finds it from the connection ID
     * (each socket's IDs carry its index). An address in use by anyone else is refused as with one
     * socket: it is first bound once without {@code SO_REUSEPORT}.
     *
     * <p>A wildcard address ({@code 0.0.0.0}, {@code ::}) is, with epoll, also bound on each address of the host, so
     * that every client gets its answers from the address it sent to ({@link AddressCover}).
     *
     * @param loops sockets per address, at least 1; without epoll there is one
     * @throws IOException naming the address that could not be bound and why
     */
    public static QuicServerTransport bind(QuicSettings settings, Tls tls, List<InetSocketAddress> listen,
                                           EventLoopGroup group, int loops, Acceptor acceptor) throws IOException {
        return bind(settings, tls, listen, group, loops, acceptor, AddressCover::interfaceAddresses);
    }

    /** {@link #bind(QuicSettings, Tls, List, EventLoopGroup, int, Acceptor)} with the host's addresses read by {@code hostAddresses} (tests). */
    static QuicServerTransport bind(QuicSettings settings, Tls tls, List<InetSocketAddress> listen, EventLoopGroup group,
                                    int loops, Acceptor acceptor, Supplier<Collection<InetAddress>> hostAddresses) throws IOException {
        if (loops < 1) {
            throw new IllegalArgumentException("loops " + loops + " < 1");
        }
        int perAddress = EventLoops.epoll() ? loops : 1;
        ConnectionRoutes routes = new ConnectionRoutes();
        Function<ConnectionRoutes.Route, ChannelHandler> codec = route -> codecBuilder(settings, tls, acceptor, route)
                .localConnectionIdLength(ConnectionRoutes.CONNECTION_ID_LENGTH)
                .connectionIdAddressGenerator(routes.ids(route))
                .build();
        List<Channel> bound = new ArrayList<>();
        List<AddressCover> covers = new ArrayList<>();
        try {
            for (InetSocketAddress a : listen) {
                boolean cover = EventLoops.epoll() && a.getAddress() != null && a.getAddress().isAnyLocalAddress();
                // several sockets share the address; a wildcard shares its port with its addresses' sockets
                boolean reusePort = perAddress > 1 || cover;
                if (reusePort) {
                    refuseIfInUse(a);
                }
                if (!cover) {
                    bound.addAll(bindGroup(group, settings, routes, codec, null, a, perAddress, reusePort, false));
                    continue;
                }
                AddressCover c = new AddressCover(a.getAddress(),
                        at -> bindGroup(group, settings, routes, codec, null, at, perAddress, true, true), hostAddresses,
                        datagram -> routes.indexOf(datagram) >= 0);
                covers.add(c);
                List<Channel> wildcard = bindGroup(group, settings, routes, codec, c.initialHandler(), a, perAddress, true,
                        false);
                bound.addAll(wildcard);
                c.start(((InetSocketAddress) wildcard.getFirst().localAddress()).getPort());
            }
        } catch (IOException | RuntimeException e) {
            covers.forEach(AddressCover::close);
            bound.forEach(Channel::close);
            throw e;
        }
        return new QuicServerTransport(bound, covers);
    }

    /**
     * Binds {@code count} sockets on {@code a}, each on the next event loop; with port 0 the first one's port is
     * taken for the others. Each has its own codec, made by {@code codec} with the connection IDs of its route in
     * {@code routes}, in one group; with more than one socket the kernel is asked to steer the group's packets by
     * connection ID ({@link ConnectionRoutes.Group#steer}). {@code first}, if not null, goes before the codec. On
     * failure none stays bound.
     */
    private static List<Channel> bindGroup(EventLoopGroup group, QuicSettings settings, ConnectionRoutes routes,
                                           Function<ConnectionRoutes.Route, ChannelHandler> codec, ChannelHandler first,
                                           InetSocketAddress a, int count, boolean reusePort, boolean freeBind) throws IOException {
        List<Channel> bound = new ArrayList<>();
        InetSocketAddress at = a;
        ConnectionRoutes.Group sharing = routes.group();
        try {
            for (int k = 0; k < count; k++) {
                ConnectionRoutes.Route route = sharing.add();
                Bootstrap b = new Bootstrap().group(group).channel(EventLoops.datagramChannel())
                        .handler(withQuietTail(codec.apply(route), first, route, settings));
                if (reusePort) {
                    b.option(EpollChannelOption.SO_REUSEPORT, true);
                }
                if (freeBind) {
                    // an IPv6 address still in duplicate address detection can be bound all the same
                    b.option(EpollChannelOption.IP_FREEBIND, true);
                }
                Channel ch;
                try {
                    ch = bindOne(b, settings, at);
                } catch (IOException | RuntimeException e) {
                    routes.remove(route);
                    throw e;
                }
                bound.add(ch);
                at = (InetSocketAddress) ch.localAddress(); // with port 0: the port the first one got
            }
        } catch (IOException | RuntimeException e) {
            bound.forEach(Channel::close);
            throw e;
        }
        if (count > 1) {
            String why = sharing.steer(bound);
            if (why != null) {
                LOG.info("{}: packets are left to the kernel's hash over its {} sockets, and new clients are not balanced"
                        + " over the loops: cannot steer by connection ID ({})", format(at), count, why);
            }
        }
        return bound;
    }

    private static Channel bindOne(Bootstrap b, QuicSettings settings, InetSocketAddress a) throws IOException {
        udpOptions(b, settings);
        try {
            return b.bind(a).sync().channel();
        } catch (Exception e) {
            throw inUse(a, e);
        }
    }

    static IOException inUse(InetSocketAddress a, Exception e) {
        return new IOException("cannot listen on " + format(a) + ": " + bindProblem(e), e);
    }

    /** Why a bind failed, for the user: the kernel's errno as the message names it (EADDRINUSE, EADDRNOTAVAIL, EACCES). */
    static String bindProblem(Exception e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("Cannot assign requested address")) {
            return "no such address on this host (check --listen against 'ip address')";
        }
        if (m.contains("Permission denied")) {
            return "permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)";
        }
        if (m.contains("in use") || (e instanceof BindException && !m.contains("failed:"))) {
            return "address already in use (is another server running?)";
        }
        return m;
    }

    /**
     * Binds {@code a} once without {@code SO_REUSEPORT} and lets it go: sockets that share an address with
     * {@code SO_REUSEPORT} would otherwise also share it with another server of the same user started on it,
     * each getting part of the clients, where a second server must be told the address is in use.
     */
    static void refuseIfInUse(InetSocketAddress a) throws IOException {
        if (a.getPort() == 0) {
            return;
        }
        // the address's own family: an IPv6 socket on the IPv4 wildcard would test the IPv6 one as well
        try (DatagramChannel probe = DatagramChannel.open(a.getAddress() instanceof java.net.Inet4Address
                ? java.net.StandardProtocolFamily.INET : java.net.StandardProtocolFamily.INET6)) {
            probe.bind(a);
        } catch (IOException e) {
            throw inUse(a, e);
        } catch (UnsupportedOperationException e) {
            // Java finds no IPv6 here (a namespace without an IPv6 address yet) where the kernel has it: Netty's own
            // socket binds all the same, untested for another owner
            LOG.debug("cannot test whether {} is in use: {}", format(a), e.getMessage());
        }
    }

    private static QuicServerCodecBuilder codecBuilder(QuicSettings s, Tls tls, Acceptor acceptor,
                                                       ConnectionRoutes.Route route) {
        QuicServerCodecBuilder b = new QuicServerCodecBuilder()
                .sslContext(tls.context())
                .maxIdleTimeout(s.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                // a tunnel sets it (VpnServer); without one, RQST's
                .maxSendUdpPayloadSize(s.serverUdpPayload(0))
                .maxRecvUdpPayloadSize(s.serverUdpPayload(0))
                .initialMaxData(16_000_000)
                .initialMaxStreamDataBidirectionalLocal(256 * 1024)
                .initialMaxStreamDataBidirectionalRemote(256 * 1024)
                .initialMaxStreamsBidirectional(4)
                .initialMaxStreamsUnidirectional(0)
                .datagram(s.datagramQueue(), s.datagramQueue())
                .congestionControlAlgorithm(s.ccAlgorithm())
                .activeConnectionIdLimit(PATHS_PER_CONNECTION)
                // no tokenHandler: no Retry round trip (QUIC's 3x amplification limit still applies)
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel ch) {
                        route.opened(ch);
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
            b.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, EpollQuicUtils.newSegmentedAllocator(s.gsoSegmentsFor(s.serverUdpPayload(0))));
        }
        return b;
    }

    /**
     * The server's {@code active_connection_id_limit}, which quiche also takes as the number of paths (client
     * addresses) one connection may have used. quiche keeps every one: with its default of 2 a client whose NAT
     * changed its port twice in one connection lost it until the idle timeout (bench/RESULTS.md 2026-11-23 22:10,
     * {@code ServerThreadsTest}). 64 lets a port change 63 times per connection; the client issues no connection
     * IDs of its own, so the limit costs nothing else.
     */
    static final int PATHS_PER_CONNECTION = 64;

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
     * A UDP channel's pipeline: {@link UdpTrace} (if tracing), the receive queue's {@link ReceiveQueueAqm} (if
     * configured), the codec, then {@link QuietTail}.
     */
    static ChannelHandler withQuietTail(ChannelHandler codec, QuicSettings s) {
        return withQuietTail(codec, null, null, s);
    }

    /**
     * {@link #withQuietTail(ChannelHandler, QuicSettings)} with {@code first}, if not null, before the codec, and
     * {@code route}, if not null, right before it.
     */
    private static ChannelHandler withQuietTail(ChannelHandler codec, ChannelHandler first, ConnectionRoutes.Route route,
                                                QuicSettings s) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ReceiveBuffer.install(ch, s.socketBuffer());
                if (first != null) {
                    ch.pipeline().addLast(first);
                }
                if (s.receiveAqm() != null) {
                    ch.pipeline().addLast(new ReceiveQueueAqm(s.receiveAqm().target(), s.receiveAqm().interval()));
                }
                if (route != null) {
                    ch.pipeline().addLast(route);
                }
                ch.pipeline().addLast(codec, QuietTail.INSTANCE);
                if (Trace.ON) {
                    ch.pipeline().addFirst(UdpTrace.INSTANCE);
                }
            }
        };
    }

    /**
     * The addresses listened on (with the real port when 0 was asked for), each once; not the host's addresses a
     * wildcard one was also bound on.
     */
    public List<InetSocketAddress> localAddresses() {
        return channels.stream().map(c -> (InetSocketAddress) c.localAddress()).distinct().toList();
    }

    /** The UDP channels of the addresses listened on, in the order they were bound (tests). */
    List<Channel> channels() {
        return channels;
    }

    /** The host's addresses that a wildcard address listened on was also bound on (tests). */
    Set<InetAddress> coveredAddresses() {
        Set<InetAddress> out = new LinkedHashSet<>();
        covers.forEach(c -> out.addAll(c.covered()));
        return out;
    }

    /** Has every wildcard address's cover scan the host's addresses now; whether a scan bound one (tests). */
    boolean scanNow() throws Exception {
        boolean found = false;
        for (AddressCover c : covers) {
            java.util.concurrent.CompletableFuture<Boolean> f = new java.util.concurrent.CompletableFuture<>();
            c.afterScan(f::complete);
            found |= f.get(5, TimeUnit.SECONDS);
        }
        return found;
    }

    /** Stops listening. Connections already closed by the caller stay closed. */
    @Override
    public void close() {
        covers.forEach(AddressCover::close);
        for (Channel c : channels) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    static String format(InetSocketAddress a) {
        String h = a.getAddress() == null ? a.getHostString() : io.rqst.config.Addresses.format(a.getAddress());
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
