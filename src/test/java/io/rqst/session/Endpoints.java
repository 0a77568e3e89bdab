package io.rqst.session;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.rqst.config.Addresses;
import io.rqst.config.Cidr;
import io.rqst.config.VpnUrl;
import io.rqst.hostnet.HostNet;
import io.rqst.hub.Mac;
import io.rqst.pki.Identity;
import io.rqst.pki.SelfSigned;
import io.rqst.tap.MemoryTap;
import io.rqst.tap.TapDevice;
import io.rqst.tap.TapFactory;
import io.rqst.transport.QuicSettings;
import io.rqst.transport.Tls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Test fixtures for whole endpoints in one JVM: the in-memory fakes of the device seams (TAPs, host
 * network), {@code -d}-style TLS on loopback, Ethernet frames, and polling helpers.
 */
final class Endpoints {
    private Endpoints() {}

    static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");
    /** Short enough for quick tests, and QuicSettings/CLI minimum is 3 s. */
    static final QuicSettings QUIC = QuicSettings.defaults().withIdleTimeout(Duration.ofSeconds(3));
    static final Identity SERVER_ID = SelfSigned.generate("rqst-test-server");
    static final long UPLINK_MAC = Mac.parse("02:00:00:00:00:01");
    /** IEEE 802 "local experimental" EtherTypes: the test's payload frames and its readiness probes. */
    static final int ETHERTYPE_TEST = 0x88b5;
    static final int ETHERTYPE_PROBE = 0x88b6;

    static Tls serverTls() {
        return Tls.server(SERVER_ID, Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
    }

    static Tls clientTls() {
        return Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
    }

    /** A {@link TapFactory} that makes {@link MemoryTap}s with consecutive MACs and remembers them. */
    static final class MemoryTaps implements TapFactory {
        final List<MemoryTap> opened = new CopyOnWriteArrayList<>();
        private final long firstMac;
        private final AtomicInteger next = new AtomicInteger();
        /** Runs inside {@link #open}, before the device is handed out (to observe the world at that moment). */
        volatile Consumer<String> onOpen = name -> { };

        MemoryTaps(long firstMac) {
            this.firstMac = firstMac;
        }

        /** Ignores the requested MAC: clients in one JVM share a namespace, so their stable MACs would be equal. */
        @Override
        public TapDevice open(String name, int mtu, java.util.OptionalLong mac) throws IOException {
            try {
                onOpen.accept(name);
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause(); // a hook's way to make the open fail (a TAP name in use, say)
            }
            MemoryTap t = new MemoryTap(name, mtu, firstMac + next.getAndIncrement(), MemoryTap.DEFAULT_QUEUE_CAPACITY);
            opened.add(t);
            return t;
        }

        MemoryTap awaitOpened(Duration timeout) throws InterruptedException {
            poll(() -> !opened.isEmpty(), timeout, "no TAP was opened");
            return opened.getFirst();
        }
    }

    /** A {@link HostNet} that records every call, one line each; {@code routeTo} answers a fixed route. */
    static final class RecordingHostNet implements HostNet {
        static final InetAddress OLD_GATEWAY = InetAddress.ofLiteral("192.0.2.254");
        static final String OLD_DEVICE = "eth-test";
        final List<String> calls = new CopyOnWriteArrayList<>();
        /** Runs inside {@link #addAddress}, before the call is recorded: the moment the host could first send from it. */
        volatile Consumer<String> onAddAddress = cidr -> { };

        @Override
        public void addAddress(String dev, String cidr) {
            onAddAddress.accept(cidr);
            calls.add("addAddress " + dev + " " + cidr);
        }

        @Override
        public void addRoute(String prefix, Optional<InetAddress> gateway, String dev) {
            calls.add("addRoute " + prefix + " via " + gateway.map(Addresses::format).orElse("-") + " dev " + dev);
        }

        @Override
        public Optional<RouteInfo> routeTo(InetAddress destination) {
            calls.add("routeTo " + Addresses.format(destination));
            return Optional.of(new RouteInfo(destination, Optional.of(OLD_GATEWAY), OLD_DEVICE));
        }

        @Override
        public Optional<RouteInfo> defaultRoute(InetAddress family) {
            calls.add("defaultRoute " + Addresses.format(family));
            return Optional.of(new RouteInfo(family, Optional.of(OLD_GATEWAY), OLD_DEVICE));
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    /** A server on loopback with a MemoryTap uplink ({@link #UPLINK_MAC}) and address 10.8.0.1/24. */
    static final class Server implements AutoCloseable {
        final MemoryTaps taps = new MemoryTaps(UPLINK_MAC);
        final RecordingHostNet hostNet = new RecordingHostNet();
        final VpnServer server;
        final MemoryTap uplink;

        Server(int port) throws Exception {
            this(port, serverTls());
        }

        /** A server with its own TLS (e.g. one that requires client certificates). */
        Server(int port, Tls tls) throws Exception {
            this(port, tls, QUIC);
        }

        /** A server with its own QUIC settings (e.g. a tiny DATAGRAM queue). */
        Server(int port, QuicSettings quic) throws Exception {
            this(port, serverTls(), quic);
        }

        private Server(int port, Tls tls, QuicSettings quic) throws Exception {
            server = new VpnServer(new VpnServer.Config(List.of(new InetSocketAddress(LOOPBACK, port)), quic, "rqst-up0", 1280,
                    List.of(Cidr.parse("10.8.0.1/24")), 64, Optional.empty()), tls, taps, hostNet);
            server.start();
            uplink = taps.opened.getFirst();
        }

        int port() {
            return server.boundAddresses().getFirst().getPort();
        }

        @Override
        public void close() {
            server.close();
        }
    }

    /** A client running {@link VpnClient#run} on its own thread, with its own fakes. */
    static final class Client implements AutoCloseable {
        final MemoryTaps taps;
        final RecordingHostNet hostNet;
        final VpnClient client;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Thread thread;

        Client(VpnClient.Config config, long mac) {
            this(config, mac, name -> { });
        }

        Client(VpnClient.Config config, long mac, Consumer<String> onTapOpen) {
            this(config, mac, onTapOpen, clientTls());
        }

        /** A client with its own TLS (e.g. one that presents a certificate). */
        Client(VpnClient.Config config, long mac, Tls tls) {
            this(config, mac, name -> { }, tls);
        }

        /** A client on an event loop it shares with others (a load generator's way), not one of its own. */
        Client(VpnClient.Config config, long mac, io.netty.channel.EventLoopGroup sharedLoop) {
            this(config, mac, name -> { }, clientTls(), sharedLoop);
        }

        private Client(VpnClient.Config config, long mac, Consumer<String> onTapOpen, Tls tls) {
            this(config, mac, onTapOpen, tls, null);
        }

        /** A client whose host changes go to {@code hostNet} (e.g. one with an {@link RecordingHostNet#onAddAddress} hook). */
        Client(VpnClient.Config config, long mac, RecordingHostNet hostNet) {
            this(config, mac, name -> { }, clientTls(), null, hostNet);
        }

        private Client(VpnClient.Config config, long mac, Consumer<String> onTapOpen, Tls tls, io.netty.channel.EventLoopGroup sharedLoop) {
            this(config, mac, onTapOpen, tls, sharedLoop, new RecordingHostNet());
        }

        private Client(VpnClient.Config config, long mac, Consumer<String> onTapOpen, Tls tls, io.netty.channel.EventLoopGroup sharedLoop,
                RecordingHostNet hostNet) {
            this.hostNet = hostNet;
            taps = new MemoryTaps(mac);
            taps.onOpen = onTapOpen;
            client = new VpnClient(config, tls, taps, hostNet, sharedLoop);
            thread = Thread.ofPlatform().daemon(true).name("test-client-" + config.tapName()).start(() -> {
                try {
                    client.run();
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
        }

        MemoryTap tap() {
            return taps.opened.getFirst();
        }

        /** For failure messages: whether run() is still running, or how it ended. */
        String describe() {
            if (!done.isDone()) {
                return "client running";
            }
            try {
                done.getNow(null);
                return "client returned";
            } catch (java.util.concurrent.CompletionException e) {
                return "client failed: " + e.getCause();
            }
        }

        long mac() {
            return tap().macAddress();
        }

        /** Stops the client and waits for run() to return. */
        @Override
        public void close() {
            client.stop();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Client settings for tests: 2 s to connect, 5 s for the hello (see {@link #quickHello}), a 200 ms backoff ceiling. */
    static VpnClient.Config clientConfig(int port, String tap, List<Cidr> addresses, boolean routeAll, boolean compat) {
        return new VpnClient.Config(VpnUrl.parse("vpn://127.0.0.1:" + port), QUIC, tap, OptionalInt.empty(), addresses, routeAll,
                List.of(), compat, Optional.empty(), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMillis(200));
    }

    /**
     * {@code c} with a 1 s hello timeout, for tests that wait for the timeout itself; the others keep 5 s, so a
     * loaded CI machine answering a hello late is not taken for a server that never answers.
     */
    static VpnClient.Config quickHello(VpnClient.Config c) {
        return new VpnClient.Config(c.server(), c.quic(), c.tapName(), c.mtu(), c.addresses(), c.routeAll(), c.gateways(),
                c.rqstCompat(), c.pcap(), c.connectTimeout(), Duration.ofSeconds(1), c.maxBackoff());
    }

    // ---- frames

    /** An Ethernet frame {@code dst, src, type} whose payload is {@code text}, padded to the 60-byte minimum. */
    static byte[] frame(long dst, long src, int type, String text) {
        byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(Math.max(60, 14 + payload.length));
        putMac(b, dst);
        putMac(b, src);
        b.putShort((short) type);
        b.put(payload);
        return b.array();
    }

    private static void putMac(ByteBuffer b, long mac) {
        for (int i = 5; i >= 0; i--) {
            b.put((byte) (mac >>> (8 * i)));
        }
    }

    static int etherType(byte[] f) {
        return ((f[12] & 0xff) << 8) | (f[13] & 0xff);
    }

    static String text(byte[] f) {
        return new String(f, 14, f.length - 14, StandardCharsets.US_ASCII).replace("\0", "");
    }

    /** The next frame written to {@code tap} that is not a readiness probe, or null after {@code timeout}. */
    static byte[] take(MemoryTap tap, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            ByteBuf b = tap.takeWritten(Duration.ofNanos(Math.max(0, left)));
            if (b == null) {
                return null;
            }
            byte[] f = new byte[b.readableBytes()];
            b.readBytes(f);
            b.release();
            if (etherType(f) != ETHERTYPE_PROBE) {
                return f;
            }
        }
    }

    static byte[] takeOrFail(MemoryTap tap, String what) throws InterruptedException {
        byte[] f = take(tap, Duration.ofSeconds(5));
        assertNotNull(f, "nothing came out of " + tap.name() + ": expected " + what);
        return f;
    }

    /**
     * Waits until frames flow from the uplink to the client's TAP (the client has been accepted, its TAP is
     * up and it carries): injects broadcast probes at the uplink until one comes out of the client TAP.
     * Fails on any other frame.
     */
    static void awaitCarrying(MemoryTap uplink, Client client, Duration timeout) throws InterruptedException {
        try {
            awaitCarrying(uplink, client.taps.awaitOpened(timeout), timeout);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (" + client.describe() + ")", e);
        }
    }

    static void awaitCarrying(MemoryTap uplink, MemoryTap clientTap, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int n = 0;
        while (System.nanoTime() < deadline) {
            uplink.inject(frame(Mac.BROADCAST, uplink.macAddress(), ETHERTYPE_PROBE, "probe " + n++));
            ByteBuf b = clientTap.takeWritten(Duration.ofMillis(100));
            if (b != null) {
                byte[] f = new byte[b.readableBytes()];
                b.readBytes(f);
                b.release();
                if (etherType(f) == ETHERTYPE_PROBE) {
                    return;
                }
                fail("unexpected frame at " + clientTap.name() + " while waiting for a probe: " + text(f));
            }
        }
        fail("no probe from the uplink reached " + clientTap.name() + " within " + timeout);
    }

    /** Polls {@code condition} every 10 ms until it holds; fails with {@code message} after {@code timeout}. */
    static void poll(BooleanSupplier condition, Duration timeout, String message) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(message + " (after " + timeout + ")");
            }
            Thread.sleep(10);
        }
    }

    /** Copies what is written to System.err (where slf4j-simple logs) while open, still passing it through. */
    static final class StderrTap implements AutoCloseable {
        private final PrintStream original = System.err;
        private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

        StderrTap() {
            OutputStream tee = new OutputStream() {
                @Override
                public void write(int b) {
                    captured.write(b);
                    original.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    captured.write(b, off, len);
                    original.write(b, off, len);
                }
            };
            System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
        }

        List<String> lines() {
            return captured.toString(StandardCharsets.UTF_8).lines().toList();
        }

        /** Waits for a line containing all of {@code parts}; returns it. */
        String await(Duration timeout, String... parts) throws InterruptedException {
            String[] found = new String[1];
            poll(() -> {
                for (String l : lines()) {
                    if (List.of(parts).stream().allMatch(l::contains)) {
                        found[0] = l;
                        return true;
                    }
                }
                return false;
            }, timeout, "no log line with " + List.of(parts) + " in:\n" + String.join("\n", lines()));
            return found[0];
        }

        @Override
        public void close() {
            System.setErr(original);
        }
    }
}
