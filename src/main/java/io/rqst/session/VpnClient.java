package io.rqst.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.rqst.config.Addresses;
import io.rqst.config.Cidr;
import io.rqst.config.VpnUrl;
import io.rqst.control.ControlMessage;
import io.rqst.hostnet.HostNet;
import io.rqst.hostnet.HostNetException;
import io.rqst.hub.Mac;
import io.rqst.tap.TapDevice;
import io.rqst.tap.FrameWriter;
import io.rqst.tap.StableMac;
import io.rqst.tap.TapFactory;
import io.rqst.transport.AppErrors;
import io.rqst.transport.CloseInfo;
import io.rqst.transport.Connection;
import io.rqst.transport.EventLoops;
import io.rqst.transport.QuicClientTransport;
import io.rqst.transport.QuicSettings;
import io.rqst.transport.Tls;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rqst client: connects, waits for the server's accept, brings the TAP up, carries frames, and
 * reconnects by itself after a loss. Refusals end it with a {@link ClientFailure}.
 */
public final class VpnClient implements AutoCloseable {
    /** Software name and version sent in the hello. */
    public static final String SOFTWARE = "rqst/" + Version.VERSION;
    private static final Logger LOG = LoggerFactory.getLogger("rqst.client");

    /**
     * What the client needs.
     *
     * @param server      the server URL (its host is the name the certificate must carry)
     * @param quic        QUIC parameters
     * @param tapName     the TAP's name
     * @param mtu         an MTU the user asked for; the server's and the path's limit otherwise
     * @param addresses   addresses to put on the TAP
     * @param routeAll    send all traffic through the tunnel (and the server through the old gateway)
     * @param gateways    gateways for {@code routeAll}; the server's announced ones when empty
     * @param rqstCompat  the server is an original RQST server: no control stream, no accept
     * @param pcap        where to capture the tunnel's frames, if anywhere
     * @param connectTimeout how long one connection attempt may take
     * @param helloTimeout   how long to wait for the server's accept
     * @param maxBackoff     the longest wait between reconnect attempts
     */
    public record Config(VpnUrl server, QuicSettings quic, String tapName, OptionalInt mtu, List<Cidr> addresses,
                         boolean routeAll, List<InetAddress> gateways, boolean rqstCompat, Optional<Path> pcap,
                         Duration connectTimeout, Duration helloTimeout, Duration maxBackoff) {}

    /** Why the client gave up; the message is one line for the user. */
    public static final class ClientFailure extends Exception {
        public ClientFailure(String message) {
            super(message);
        }
    }

    private final Config config;
    private final Tls tls;
    private final TapFactory taps;
    private final HostNet hostNet;
    private final CompletableFuture<Void> stopRequested = new CompletableFuture<>();
    private final Set<InetAddress> routedServers = new LinkedHashSet<>();
    /** {@code --route-all}'s routes are in place: from now on a way to the server must go around them. */
    private volatile boolean fullTunnel;
    private EventLoopGroup group;
    private final EventLoopGroup sharedLoop;
    private QuicClientTransport transport;
    private volatile TapDevice tap;
    private final ThreadLocal<FrameWriter> tapWriters = ThreadLocal.withInitial(() -> tap.writer());
    /** Stops reading the TAP; null until it is read. */
    private Runnable stopReading;
    private Capture capture;
    private volatile ClientSession current;
    /** The reason the client gives the server when it closes a session over the server's certificate. */
    static final String SERVER_REFUSED = "the client refuses the server's certificate";
    /** Judges the server's certificate once each session is set up, and the live one's at {@link #recheck()}. */
    private volatile Function<X509Certificate, Optional<String>> admission = cert -> Optional.empty();
    /** Why {@link #recheck()} refused the live session's server: the run ends with it. */
    private volatile String serverRefused;
    private List<InetAddress> lastResolved = List.of();
    private boolean closed;

    public VpnClient(Config config, Tls tls, TapFactory taps, HostNet hostNet) {
        this(config, tls, taps, hostNet, null);
    }

    /**
     * A client that runs on {@code sharedLoop} (a group of one event loop, which it does not shut down)
     * instead of an event loop of its own: for a load generator that holds many clients in one JVM.
     */
    public VpnClient(Config config, Tls tls, TapFactory taps, HostNet hostNet, EventLoopGroup sharedLoop) {
        this.config = config;
        this.tls = tls;
        this.taps = taps;
        this.hostNet = hostNet;
        this.sharedLoop = sharedLoop;
    }

    /**
     * Runs until {@link #stop()} (returns normally) or a refusal (throws). Cleans up either way.
     */
    public void run() throws ClientFailure {
        try {
            runLoop();
        } finally {
            close();
        }
    }

    private void runLoop() throws ClientFailure {
        group = sharedLoop != null ? sharedLoop : EventLoops.group(1, "rqst-quic");
        QuicSettings quic = config.quic();
        if (quic.maxUdpPayload() == QuicSettings.UDP_PAYLOAD_AUTO && config.mtu().isPresent()) {
            // the client's own --mtu sizes its packets, as the server's does: for a path narrower than 1500-byte
            // packets (the server's larger frames are then counted and reported) or wider (jumbo frames)
            quic = quic.withMaxUdpPayload(QuicSettings.udpPayloadForFrames(Mtu.frameBytes(config.mtu().getAsInt())));
        }
        transport = new QuicClientTransport(quic, tls, group);
        try {
            capture = Capture.open(config.pcap());
        } catch (IOException e) {
            throw new ClientFailure(e.getMessage());
        }
        Backoff backoff = new Backoff(Duration.ofSeconds(1), config.maxBackoff(), ThreadLocalRandom.current());
        String resume = null;
        while (!stopRequested.isDone()) {
            List<InetAddress> addresses = resolve();
            if (fullTunnel) {
                for (InetAddress a : addresses) { // a reconnect under the tunnel's routes: keep its way out
                    routeServerAround(a, true);
                }
            }
            ClientSession session = null;
            InetAddress connectedTo = null;
            String lastProblem = "no address";
            for (InetAddress a : addresses) {
                ClientSession s = new ClientSession(this, config.rqstCompat(), Optional.ofNullable(resume));
                CompletableFuture<Connection> attempt = transport.connect(new InetSocketAddress(a, config.server().port()),
                        config.server().tlsName(), s).toCompletableFuture();
                try {
                    try {
                        CompletableFuture.anyOf(attempt, stopRequested).get(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    } catch (ExecutionException failed) {
                        // the attempt failed: attempt.get() below throws why
                    }
                    if (!attempt.isDone()) { // stop() while the server has not answered yet: leave now
                        attempt.thenAccept(late -> late.executor().execute(() -> late.close(AppErrors.NO_ERROR, "client stopped")));
                        return;
                    }
                    attempt.get();
                    session = s;
                    connectedTo = a;
                    break;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof QuicClientTransport.ConnectFailure f && f.close().isPresent()) {
                        Optional<String> fatal = Verdicts.fatal(f.close().get(), config.quic().alpn());
                        if (fatal.isPresent()) {
                            throw new ClientFailure(fatal.get());
                        }
                    }
                    if (tls.verifier().flatMap(v -> v.lastFailure()).isPresent()) {
                        throw new ClientFailure("refusing the server: " + tls.verifier().get().lastFailure().get());
                    }
                    lastProblem = cause.getMessage();
                } catch (TimeoutException e) {
                    lastProblem = "no answer within " + config.connectTimeout().toSeconds() + "s";
                    // given up on: if it still completes, close it rather than leave a session on the server
                    attempt.thenAccept(late -> late.executor().execute(() -> late.close(AppErrors.NO_ERROR, "connection attempt timed out")));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (stopRequested.isDone()) {
                    return;
                }
            }
            if (session == null) {
                Duration d = backoff.next();
                LOG.warn("cannot reach {} ({}): {}; retrying in {}s", config.server(), join(addresses), lastProblem, secs(d));
                if (waitOrStop(d)) {
                    return;
                }
                continue;
            }
            ControlMessage.Accept accept;
            try {
                accept = awaitAccept(session);
            } catch (RetryException e) {
                Duration d = backoff.next();
                LOG.warn("{}; retrying in {}s", e.getMessage(), secs(d));
                if (waitOrStop(d)) {
                    return;
                }
                continue;
            }
            if (accept == null) {
                return; // stopped
            }
            resume = accept.resume().equals("-") ? null : accept.resume();
            Connection c = session.connection();
            boolean freshTap = tap == null;
            if (freshTap) {
                try {
                    openTap(accept, c.maxDatagramSize());
                } catch (ClientFailure e) {
                    goodbye(session, "client failed: " + e.getMessage()); // or the server keeps the session until its idle timeout
                    throw e;
                }
            } else if (accept.mtu() < tap.mtu()) {
                LOG.warn("the server now offers mtu {} but {} keeps mtu {}; larger frames are counted and dropped",
                        accept.mtu(), tap.name(), tap.mtu());
            }
            // carry before the TAP has an address: the host's first frame (an ARP request for the server, say)
            // would otherwise be dropped, and the host would ask again only a second later
            current = session; // before the check: a recheck from now on sees this session, one before it the new CRL
            Optional<String> refused = judge(c);
            if (refused.isPresent()) {
                goodbye(session, SERVER_REFUSED);
                throw new ClientFailure("refusing the server: " + refused.get());
            }
            session.startCarrying();
            if (freshTap) {
                try {
                    configureTap(accept);
                } catch (ClientFailure e) {
                    goodbye(session, "client failed: " + e.getMessage());
                    throw e;
                }
            }
            if (config.routeAll()) {
                routeServerAround(connectedTo, false);
            }
            LOG.info("connected to {} ({}): session {}, mtu {}, {}, congestion control {}", config.server(), format(connectedTo, config.server().port()),
                    accept.session(), tap.mtu(), config.rqstCompat() ? "RQST compatibility mode" : "control version " + accept.version(),
                    config.quic().congestionControl());
            backoff.reset();
            CloseInfo why = awaitClosed(session);
            current = null;
            if (serverRefused != null) {
                throw new ClientFailure("refusing the server: " + serverRefused);
            }
            if (why == null || stopRequested.isDone()) {
                LOG.info("disconnected from {}: session {} ({})", config.server(), accept.session(), session.summary());
                return;
            }
            Optional<String> fatal = session.serverReason().isPresent() && Verdicts.fatal(why, config.quic().alpn()).isPresent()
                    ? Optional.of("the server refused this client: " + session.serverReason().get())
                    : Verdicts.fatal(why, config.quic().alpn());
            if (fatal.isPresent()) {
                throw new ClientFailure(fatal.get());
            }
            Duration d = backoff.next();
            LOG.warn("connection lost ({}; {}): reconnecting in {}s", session.serverReason().orElse(why.describe()),
                    session.summary(), secs(d));
            if (waitOrStop(d)) {
                return;
            }
        }
    }

    /**
     * Sets the rule that judges the server's certificate once each session is set up, and the live session's at
     * {@link #recheck()}: a reconnect resumes its TLS session (Netty's QUIC client keeps a session cache; CaIT
     * sees it), for which the TLS stack does not ask the verifier again, so a CRL that changed since the first
     * handshake would otherwise not count.
     *
     * @param rule why the server may not be used (one line naming its certificate), or empty to use it
     */
    public void admission(Function<X509Certificate, Optional<String>> rule) {
        this.admission = rule;
    }

    /**
     * Applies the admission rule to the live session's server again (after the CRL changed): if it refuses,
     * the session is closed and {@link #run()} throws with the rule's reason instead of reconnecting.
     */
    public void recheck() {
        ClientSession s = current;
        if (s == null) {
            return; // between sessions: the next one is judged when it is set up
        }
        Connection c = s.connection();
        c.executor().execute(() -> c.peerCertificate().flatMap(admission).ifPresent(why -> {
            serverRefused = why;
            LOG.warn("refusing the server: {}; closing session", why);
            c.close(AppErrors.NO_ERROR, SERVER_REFUSED);
        }));
    }

    /** The admission rule's verdict on {@code c}'s server, on its event loop (where its TLS engine lives). */
    private Optional<String> judge(Connection c) throws ClientFailure {
        try {
            return CompletableFuture.supplyAsync(() -> c.peerCertificate().flatMap(admission), c.executor()).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientFailure("interrupted while checking the server's certificate");
        } catch (ExecutionException | TimeoutException e) {
            throw new ClientFailure("cannot check the server's certificate: " + e);
        }
    }

    /** Waits for the accept; throws if the server refused, returns null if stopped. */
    private ControlMessage.Accept awaitAccept(ClientSession s) throws ClientFailure {
        CompletableFuture<Object> either = CompletableFuture.anyOf(s.accepted, s.closed, stopRequested);
        try {
            either.get(config.helloTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            s.stop();
            if (tap != null) {
                // this server has accepted us before, so it speaks the control protocol: a slow answer on a
                // reconnect (a server still starting, a busy host) is worth retrying, not a reason to give up
                throw new RetryException("no answer to the hello within " + config.helloTimeout().toSeconds()
                        + "s (should the server now be an original RQST server, use --rqst-compat)");
            }
            throw new ClientFailure("the server at " + config.server() + " completed the QUIC handshake but did not answer the hello within "
                    + config.helloTimeout().toSeconds() + "s; if it is an original RQST server, use --rqst-compat");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            throw new ClientFailure(e.getCause().getMessage());
        }
        if (stopRequested.isDone()) {
            s.stop();
            return null;
        }
        if (s.accepted.isDone()) {
            return s.accepted.join();
        }
        CloseInfo why = s.closed.join();
        Optional<String> fatal = Verdicts.fatal(why, config.quic().alpn());
        if (s.serverReason().isPresent()) {
            throw new ClientFailure("the server refused this client: " + s.serverReason().get());
        }
        if (fatal.isPresent()) {
            throw new ClientFailure(fatal.get());
        }
        // closed before accepting for a reason worth retrying (e.g. server restarting): let the loop retry
        throw new RetryException("the server closed before accepting (" + why.describe() + ")");
    }

    private CloseInfo awaitClosed(ClientSession s) {
        try {
            CompletableFuture.anyOf(s.closed, stopRequested).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // cannot happen: neither future fails
        }
        if (stopRequested.isDone()) {
            s.stop();
            try {
                s.closed.get(1, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // leaving anyway
            }
            return null;
        }
        return s.closed.join();
    }

    /** Internal: the server closed before accepting, for a reason worth retrying. */
    private static final class RetryException extends RuntimeException {
        RetryException(String m) {
            super(m, null, false, false);
        }
    }

    /** Opens the TAP, without an address yet, and starts reading it: until {@link #current} is set, frames are dropped. */
    private void openTap(ControlMessage.Accept accept, int maxDatagram) throws ClientFailure {
        int limit = Math.min(accept.mtu(), Mtu.forDatagram(maxDatagram));
        int mtu = limit;
        if (config.mtu().isPresent()) {
            mtu = config.mtu().getAsInt();
            if (mtu > limit) {
                LOG.warn("--mtu {} is above what the tunnel carries ({}): larger frames will be counted and dropped", mtu, limit);
            }
        }
        try {
            // a stable MAC: the server's hub and DHCP, and our peers' neighbour caches, know us after a restart
            tap = taps.open(config.tapName(), mtu, OptionalLong.of(StableMac.forRole("client:" + config.tapName())));
        } catch (IOException e) {
            throw new ClientFailure(e.getMessage());
        }
        stopReading = TapReading.start(tap, new TapSink(), group.next(), "rqst-tap-reader");
    }

    /** Gives the open TAP its addresses and, with --route-all, the routes through it. */
    private void configureTap(ControlMessage.Accept accept) throws ClientFailure {
        TapDevice t = tap;
        try {
            for (Cidr a : config.addresses()) {
                hostNet.addAddress(t.name(), a.toString());
            }
            LOG.info("{} is up: mtu {}, mac {}{}", t.name(), t.mtu(), Mac.toString(t.macAddress()),
                    config.addresses().isEmpty() ? " (no address: run a DHCP client on it, or use --address)" : ", address " + config.addresses());
            if (config.routeAll()) {
                routeAll(accept, t);
            }
        } catch (HostNetException e) {
            throw new ClientFailure(e.getMessage());
        }
    }

    private void routeAll(ControlMessage.Accept accept, TapDevice t) throws HostNetException, ClientFailure {
        Optional<InetAddress> gw4 = gateway(accept, Inet4Address.class);
        Optional<InetAddress> gw6 = gateway(accept, Inet6Address.class);
        if (gw4.isEmpty()) {
            throw new ClientFailure("--route-all needs an IPv4 gateway in the tunnel: the server announced none (give the server an --address, or pass --gateway)");
        }
        for (InetAddress a : lastResolved) {
            routeServerAround(a, false);
        }
        fullTunnel = true; // from the first /1 route on: a later way to the server goes around them
        hostNet.addRoute("0.0.0.0/1", gw4, t.name());
        hostNet.addRoute("128.0.0.0/1", gw4, t.name());
        if (gw6.isPresent()) {
            hostNet.addRoute("::/1", gw6, t.name());
            hostNet.addRoute("8000::/1", gw6, t.name());
        } else {
            LOG.warn("--route-all: the server announced no IPv6 gateway, so IPv6 traffic keeps its usual route");
        }
        LOG.info("routing all traffic through {} (gateway {}{})", t.name(), Addresses.format(gw4.get()),
                gw6.map(g -> ", " + Addresses.format(g)).orElse(""));
    }

    private Optional<InetAddress> gateway(ControlMessage.Accept accept, Class<? extends InetAddress> family) {
        for (InetAddress g : config.gateways()) {
            if (family.isInstance(g)) {
                return Optional.of(g);
            }
        }
        for (String s : accept.gateways()) {
            InetAddress g = Addresses.parseLiteral(s);
            if (family.isInstance(g)) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    /**
     * Tells the server this client is leaving, with {@code reason} (it failed, or refuses the server, after the accept),
     * and waits a moment for the close to leave: the shutdown that follows closes the sockets, after which nothing is
     * sent and the server would keep the session until its idle timeout.
     */
    private void goodbye(ClientSession session, String reason) {
        current = null;
        Connection c = session.connection();
        c.executor().execute(() -> c.close(AppErrors.NO_ERROR, reason));
        try {
            session.closed.get(GOODBYE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // leave anyway: the server's idle timeout ends the session
        }
    }

    /** How long a failing client waits for its goodbye to leave. */
    private static final Duration GOODBYE_WAIT = Duration.ofSeconds(1);

    /**
     * Keeps {@code server} reachable outside the tunnel under {@code --route-all}'s routes: a host route through
     * the way the host reaches it now. {@code verify}: look again even if it was routed (before a reconnect, when
     * the route may have gone with its link).
     */
    private void routeServerAround(InetAddress server, boolean verify) {
        if (server == null || tap == null || (!verify && routedServers.contains(server))) {
            return;
        }
        try {
            Optional<HostNet.RouteInfo> r = hostNet.routeTo(server);
            if (r.isEmpty()) {
                LOG.warn("no route to the server {} outside the tunnel; not adding a host route", Addresses.format(server));
                return;
            }
            String prefix = Addresses.format(server) + (server instanceof Inet4Address ? "/32" : "/128");
            if (r.get().device().equals(tap.name())) {
                if (!fullTunnel) {
                    return; // the server is reached through the tunnel's own subnet: nothing to route around
                }
                // Our host route is gone (or this address is new): the link it used went down (the kernel removes
                // its routes) or the host moved to another network. Under the tunnel's /1 routes only the default
                // route still says where the way out is now; without the host route every reconnect would go into
                // the tunnel itself.
                Optional<HostNet.RouteInfo> out = hostNet.defaultRoute(server);
                if (out.isEmpty() || out.get().device().equals(tap.name())) {
                    LOG.warn("no way to the server {} outside the tunnel now (no default route); trying again at the next attempt",
                            Addresses.format(server));
                    return;
                }
                hostNet.addRoute(prefix, out.get().gateway(), out.get().device());
                routedServers.add(server);
                LOG.info("the route to the server {} outside the tunnel was gone; added again{} dev {}", Addresses.format(server),
                        out.get().gateway().map(g -> " via " + Addresses.format(g)).orElse(""), out.get().device());
                return;
            }
            if (routedServers.contains(server)) {
                return; // still routed outside the tunnel
            }
            hostNet.addRoute(prefix, r.get().gateway(), r.get().device());
            routedServers.add(server);
        } catch (HostNetException e) {
            LOG.warn("cannot keep the server {} outside the tunnel: {}", Addresses.format(server), e.getMessage());
        }
    }

    private List<InetAddress> resolve() throws ClientFailure {
        Optional<InetAddress> literal = config.server().literalAddress();
        if (literal.isPresent()) {
            lastResolved = List.of(literal.get());
            return lastResolved;
        }
        try {
            lastResolved = List.of(InetAddress.getAllByName(config.server().host()));
        } catch (UnknownHostException e) {
            if (lastResolved.isEmpty()) {
                throw new ClientFailure("cannot resolve " + config.server().host() + ": unknown host");
            }
            LOG.warn("cannot resolve {} now; using {}", config.server().host(), join(lastResolved));
        }
        return lastResolved;
    }

    // ---- for sessions

    TapDevice tap() {
        return tap;
    }

    /** The calling event loop's writer to the TAP. */
    FrameWriter tapWriter() {
        return tapWriters.get();
    }

    long keepaliveSeconds() {
        return config.quic().keepaliveInterval().toSeconds();
    }

    void capture(ByteBuf frame) {
        capture.frame(frame);
    }

    /** Frames read from the TAP go to the current connection, or nowhere while reconnecting. */
    private final class TapSink implements FrameSink {
        private ClientSession batchOwner;
        private long droppedWhileDown;

        @Override
        public void frame(ByteBuf frame) {
            ClientSession s = current;
            if (s == null) {
                droppedWhileDown++;
                frame.release();
                return;
            }
            if (batchOwner != null && batchOwner != s) {
                batchOwner.submit();
            }
            batchOwner = s;
            s.enqueue(frame);
        }

        @Override
        public void endOfBatch() {
            if (batchOwner != null) {
                batchOwner.submit();
            }
        }
    }

    /** Asks {@link #run()} to say goodbye to the server and return. Any thread. */
    public void stop() {
        stopRequested.complete(null);
    }

    private boolean waitOrStop(Duration d) {
        try {
            stopRequested.get(d.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** Removes the TAP, the routes and addresses, and the sockets. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (stopReading != null) {
            stopReading.run();
        }
        if (tap != null) {
            tap.close();
        }
        hostNet.close();
        if (group != null && group != sharedLoop) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
        if (capture != null) {
            capture.close();
        }
    }

    private static String join(List<InetAddress> as) {
        List<String> s = new ArrayList<>();
        for (InetAddress a : as) {
            s.add(Addresses.format(a));
        }
        return String.join(", ", s);
    }

    private static String format(InetAddress a, int port) {
        String h = Addresses.format(a);
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
    }

    private static long secs(Duration d) {
        return Math.max(1, Math.round(d.toMillis() / 1000.0));
    }
}
