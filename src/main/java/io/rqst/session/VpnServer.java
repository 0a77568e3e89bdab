package io.rqst.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.rqst.config.Addresses;
import io.rqst.config.Cidr;
import io.rqst.hostnet.HostNet;
import io.rqst.hostnet.HostNetException;
import io.rqst.hostnet.LinkLocal;
import io.rqst.hub.Hub;
import io.rqst.hub.Mac;
import io.rqst.hub.Port;
import io.rqst.pki.Identity;
import io.rqst.tap.TapDevice;
import io.rqst.tap.FrameWriter;
import io.rqst.tap.StableMac;
import io.rqst.tap.TapFactory;
import io.rqst.transport.AppErrors;
import io.rqst.transport.CloseInfo;
import io.rqst.transport.Connection;
import io.rqst.transport.ConnectionListener;
import io.rqst.transport.EventLoops;
import io.rqst.transport.QuicServerTransport;
import io.rqst.transport.QuicSettings;
import io.rqst.transport.Tls;
import io.rqst.transport.TlsAlerts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rqst server: an uplink TAP, the hub, and a QUIC listener whose every authenticated client
 * becomes an isolated port of the hub.
 */
public final class VpnServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("rqst.server");

    /**
     * What the server needs.
     *
     * @param listen            UDP addresses to listen on
     * @param quic              QUIC parameters
     * @param tapName           the uplink TAP's name
     * @param mtu               the uplink TAP's MTU, which is also the tunnel MTU offered to clients
     * @param addresses         addresses to put on the uplink (may be empty)
     * @param maxMacsPerSession MAC addresses one client may use at once
     * @param pcap              where to capture the tunnel's frames, if anywhere
     * @param threads           event loops serving the clients (each client is served by one): each has a socket
     *                          per listen address ({@link QuicServerTransport#bind(QuicSettings, Tls, List,
     *                          EventLoopGroup, int, QuicServerTransport.Acceptor)}) and, where the TAP factory
     *                          makes queues, its own queue of the uplink, which it reads and writes
     */
    public record Config(List<InetSocketAddress> listen, QuicSettings quic, String tapName, int mtu,
                         List<Cidr> addresses, int maxMacsPerSession, Optional<Path> pcap, int threads) {
        public Config {
            if (threads < 1) {
                throw new IllegalArgumentException("threads " + threads + " < 1");
            }
        }

        /** A server on one event loop. */
        public Config(List<InetSocketAddress> listen, QuicSettings quic, String tapName, int mtu,
                      List<Cidr> addresses, int maxMacsPerSession, Optional<Path> pcap) {
            this(listen, quic, tapName, mtu, addresses, maxMacsPerSession, pcap, 1);
        }
    }

    private final Config config;
    private final Tls tls;
    private final TapFactory taps;
    private final HostNet hostNet;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, ServerSession> byResumeToken = new ConcurrentHashMap<>();
    private final Map<String, ServerSession> sessions = new ConcurrentHashMap<>();
    private Hub<ServerSession> hub;
    /** The uplink's first queue: its name, MTU and MAC are the uplink's. */
    private TapDevice uplink;
    /** Every queue of the uplink, the first one first; empty until it is open. */
    private List<? extends TapDevice> uplinkQueues = List.of();
    /** The event loop reading each queue but the ones without a queue (more threads than queues). */
    private final Map<EventLoop, TapDevice> queueOfLoop = new ConcurrentHashMap<>();
    /**
     * Each event loop writes to the uplink through its own queue, so that the kernel hands the answers of the flows
     * it writes back to that queue, the one it reads (the TUN driver's flow steering).
     */
    private final ThreadLocal<FrameWriter> uplinkWriters = ThreadLocal.withInitial(() -> {
        for (Map.Entry<EventLoop, TapDevice> e : queueOfLoop.entrySet()) {
            if (e.getKey().inEventLoop()) {
                return e.getValue().writer();
            }
        }
        return uplink.writer();
    });
    private Capture capture;
    /** Stop reading the uplink's queues; empty until they are read. */
    private final List<Runnable> stopReading = new ArrayList<>();
    private EventLoopGroup group;
    private QuicServerTransport transport;
    private volatile List<String> gateways = List.of();
    /** Set when {@link #close()} begins: connections accepted from then on are told goodbye at once. */
    private volatile boolean closing;
    /** Judges a client's certificate at accept and at {@link #recheck()}: why it may not hold a session, or empty. */
    private volatile Function<X509Certificate, Optional<String>> admission = cert -> Optional.empty();

    public VpnServer(Config config, Tls tls, TapFactory taps, HostNet hostNet) {
        this.config = config;
        this.tls = tls;
        this.taps = taps;
        this.hostNet = hostNet;
    }

    /**
     * Creates the uplink, starts listening and serving. On failure everything started is undone.
     *
     * @throws IOException naming what could not be set up
     */
    public void start() throws IOException, HostNetException {
        // QUIC's packets grow with the tunnel MTU, so that each of the uplink's frames fits in one DATAGRAM
        QuicSettings quic = config.quic().withMaxUdpPayload(config.quic().serverUdpPayload(Mtu.frameBytes(config.mtu())));
        try {
            hub = new Hub<>(config.maxMacsPerSession());
            uplinkQueues = taps.openQueues(config.tapName(), config.mtu(), OptionalLong.of(StableMac.forRole("server:" + config.tapName())),
                    config.threads());
            uplink = uplinkQueues.getFirst();
            hub.pinUplinkMac(uplink.macAddress());
            findGateways(config.addresses(), uplink.name());
            for (Cidr c : config.addresses()) {
                hostNet.addAddress(uplink.name(), c.toString());
            }
            capture = Capture.open(config.pcap());
            group = EventLoops.group(config.threads(), "rqst-quic");
            for (int q = 0; q < uplinkQueues.size(); q++) {
                EventLoop loop = group.next();
                queueOfLoop.put(loop, uplinkQueues.get(q));
                stopReading.add(TapReading.start(uplinkQueues.get(q), new UplinkSink(q), loop, "rqst-uplink-reader-" + q));
            }
            transport = QuicServerTransport.bind(quic, tls, config.listen(), group, config.threads(), new Acceptor());
        } catch (IOException | HostNetException | RuntimeException e) {
            close();
            throw e;
        }
        LOG.info("listening on {} (QUIC, ALPN {}, congestion control {}{}, UDP payload up to {}), uplink {} mtu {} mac {}{}",
                transport.localAddresses().stream().map(VpnServer::format).toList(), quic.alpn(), quic.congestionControl(),
                config.threads() == 1 ? "" : ", " + config.threads() + " threads", quic.maxUdpPayload(),
                uplink.name() + (uplinkQueues.size() > 1 ? " (" + uplinkQueues.size() + " queues)" : ""), uplink.mtu(),
                Mac.toString(uplink.macAddress()), config.addresses().isEmpty() ? "" : " address " + config.addresses());
        int ethernetPathMtu = Mtu.forUdpPayload(QuicSettings.ETHERNET_PATH_UDP_PAYLOAD_IPV4);
        if (uplink.mtu() > ethernetPathMtu) {
            LOG.warn("mtu {} is above what a path of 1500-byte packets carries ({} over IPv4, {} over IPv6): clients get "
                    + "that unless started with a larger --mtu (a path of jumbo frames), and the uplink's larger frames to "
                    + "them are dropped and counted", uplink.mtu(),
                    ethernetPathMtu, Mtu.forUdpPayload(QuicSettings.ETHERNET_PATH_UDP_PAYLOAD_IPV6));
        }
    }

    /**
     * Sets the rule a client's certificate must pass to hold a session, e.g. "not revoked by the CRL in force".
     * It is applied when a connection is accepted (also to a resumed TLS session, for which the certificate
     * verifier is not asked again) and to every live session at {@link #recheck()}.
     *
     * @param rule why a certificate may not hold a session (one line naming it), or empty to let it
     */
    public void admission(Function<X509Certificate, Optional<String>> rule) {
        this.admission = rule;
    }

    /**
     * Applies the admission rule to every live session again (after the CRL changed): a session whose
     * certificate it refuses is closed as rejected, with the rule's reason for the client and the log.
     */
    public void recheck() {
        Function<X509Certificate, Optional<String>> rule = admission;
        for (ServerSession s : sessions.values()) {
            s.connection().executor().execute(() -> s.connection().peerCertificate().flatMap(rule).ifPresent(s::revoke));
        }
    }

    /** The UDP addresses actually listened on. */
    public List<InetSocketAddress> boundAddresses() {
        return transport == null ? List.of() : transport.localAddresses();
    }

    /**
     * Announces the configured addresses at once, and the uplink's IPv6 link-local address (the IPv6
     * gateway) as soon as the kernel has made it, without holding up the start.
     */
    private void findGateways(List<Cidr> addresses, String dev) {
        List<String> g = new ArrayList<>();
        for (Cidr c : addresses) {
            g.add(Addresses.format(c.address()));
        }
        gateways = List.copyOf(g);
        Thread.ofVirtual().name("rqst-gateways").start(() -> LinkLocal.of(dev, 5000).ifPresent(ll -> {
            g.add(Addresses.format(ll));
            gateways = List.copyOf(g);
        }));
    }

    // ---- for sessions

    Hub<ServerSession> hub() {
        return hub;
    }

    TapDevice uplink() {
        return uplink;
    }

    /** How many readers the uplink has: one per queue. */
    int uplinkReaders() {
        return uplinkQueues.size();
    }

    /** The calling event loop's writer to the uplink (writers hold frames to coalesce them). */
    FrameWriter uplinkWriter() {
        return uplinkWriters.get();
    }

    /** The uplink's addresses, announced to clients as gateways. */
    List<String> gateways() {
        return gateways;
    }

    int keepaliveSeconds() {
        return (int) Math.max(1, config.quic().keepaliveInterval().toSeconds());
    }

    /** The tunnel MTU for a client whose DATAGRAMs hold at most {@code maxDatagram} bytes. */
    int sessionMtu(int maxDatagram) {
        if (maxDatagram <= 0) {
            return uplink.mtu(); // not known yet; oversize frames are still counted and reported
        }
        return Math.max(576, Math.min(uplink.mtu(), Mtu.forDatagram(maxDatagram)));
    }

    void capture(ByteBuf frame) {
        capture.frame(frame);
    }

    /** A client presented the resume token of an older session: that one goes. */
    void replaceOld(ServerSession newer, String token) {
        ServerSession old = byResumeToken.get(token);
        if (old != null && old != newer && sameUser(old, newer)) {
            LOG.info("session {}: resumes session {} of {}", newer.id, old.id, newer.user);
            old.connection().executor().execute(() -> old.replacedBy(newer));
        }
    }

    private static boolean sameUser(ServerSession a, ServerSession b) {
        return java.util.Objects.equals(a.user, b.user);
    }

    void removed(ServerSession s) {
        sessions.remove(s.id);
        byResumeToken.remove(s.resumeToken, s);
    }

    private final class Acceptor implements QuicServerTransport.Acceptor {
        @Override
        public ConnectionListener accept(Connection c) {
            if (closing) {
                c.close(AppErrors.SHUTDOWN, "server stopping"); // a goodbye the client retries, not a refusal
                return null;
            }
            Optional<String> refusal = c.peerCertificate().flatMap(admission);
            if (refusal.isPresent()) {
                c.close(AppErrors.REJECTED, refusal.get()); // refused() below logs it
                return null;
            }
            String user = c.peerCertificate().map(VpnServer::commonName).orElse("anonymous");
            String id = newId();
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(16));
            ServerSession s = new ServerSession(VpnServer.this, c, id, token, user);
            sessions.put(id, s);
            byResumeToken.put(token, s);
            LOG.info("session {} open: user {} from {}", id, user, format(c.remoteAddress()));
            if (closing) {
                // close() began meanwhile and may not have seen this session: tell it goodbye too, or the
                // client would take it for a working server and learn otherwise only at its idle timeout
                c.executor().execute(s::shutdown);
            }
            return s;
        }

        @Override
        public void refused(InetSocketAddress peer, CloseInfo why) {
            if (why.kind() == CloseInfo.Kind.PEER && why.alert().isPresent()) {
                // the client ended the handshake: it is this server it does not accept
                LOG.warn("{} refused this server's TLS handshake: {} (does the client trust the CA that issued this"
                        + " server's certificate, and connect by a name in it?)", format(peer), TlsAlerts.name(why.tlsAlert()));
                return;
            }
            boolean ours = why.kind() == CloseInfo.Kind.HANDSHAKE
                    || (why.kind() == CloseInfo.Kind.LOCAL && why.application() && why.code() == AppErrors.REJECTED);
            LOG.warn("refused {}: {}", format(peer), ours ? why.reason() : why.describe());
        }
    }

    private String newId() {
        String id;
        do {
            id = HexFormat.of().formatHex(randomBytes(4));
        } while (sessions.containsKey(id));
        return id;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    static String commonName(X509Certificate cert) {
        return Identity.commonName(cert);
    }

    static String format(InetSocketAddress a) {
        if (a == null) {
            return "?";
        }
        String h = a.getAddress() == null ? a.getHostString() : Addresses.format(a.getAddress());
        if (h.startsWith("::ffff:") && h.indexOf('.') > 0) {
            h = h.substring(7);
        }
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /** Routes frames read from one queue of the uplink to the sessions (that queue's reader). */
    private final class UplinkSink implements FrameSink {
        /** The queue's index, which is also its reader's among each session's readers. */
        private final int reader;
        /** Sessions with a pending batch in the current read. */
        private final List<ServerSession> touched = new ArrayList<>();

        UplinkSink(int reader) {
            this.reader = reader;
        }

        private void enqueue(ServerSession s, ByteBuf frame) {
            if (s.enqueue(frame, reader)) {
                touched.add(s); // this read's end submits
            }
        }

        @Override
        public void frame(ByteBuf frame) {
            if (frame.readableBytes() < TapDevice.ETHERNET_HEADER) {
                frame.release();
                return;
            }
            Port<ServerSession> to = hub.route(hub.uplink(), Mac.dst(frame), Mac.src(frame), System.nanoTime());
            if (to == Hub.FLOOD) {
                List<Port<ServerSession>> all = hub.sessions();
                for (int i = 0; i < all.size(); i++) {
                    enqueue(all.get(i).attachment(), frame.retainedDuplicate());
                }
                frame.release();
            } else if (to == Hub.DROP || to.attachment() == null) {
                frame.release();
            } else {
                enqueue(to.attachment(), frame);
            }
        }

        @Override
        public void endOfBatch() {
            for (int i = 0; i < touched.size(); i++) {
                touched.get(i).submit(reader);
            }
            touched.clear();
        }
    }

    /** Says goodbye to every client, then releases the uplink, the sockets and the host changes. */
    @Override
    public void close() {
        closing = true;
        if (transport != null) {
            for (ServerSession s : sessions.values()) {
                s.connection().executor().execute(s::shutdown);
            }
            if (!sessions.isEmpty()) {
                sleep(300); // let the CONNECTION_CLOSE frames leave
            }
            transport.close();
            transport = null;
        }
        stopReading.forEach(Runnable::run);
        stopReading.clear();
        for (TapDevice q : uplinkQueues) {
            q.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
            group = null;
        }
        if (capture != null) {
            capture.close();
        }
        hostNet.close();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
