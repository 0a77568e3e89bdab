package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.rqst.control.ControlCodec;
import io.rqst.control.ControlMessage;
import io.rqst.control.ControlProtocol;
import io.rqst.hostnet.HostNet;
import io.rqst.session.VpnServer;
import io.rqst.tap.MemoryTap;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A peer that writes garbage on its control stream, against a real {@link VpnServer} (in-memory uplink,
 * no host changes, {@code -d} TLS on loopback): the server closes that one connection with a protocol
 * error naming the problem, and goes on serving other clients.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ControlStreamGarbageTest {
    private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");
    private static final QuicSettings QUIC = QuicSettings.defaults().withIdleTimeout(Duration.ofSeconds(3));

    private final EventLoopGroup group = EventLoops.group(1, "test-garbage");
    private VpnServer server;
    private InetSocketAddress serverAddress;

    @BeforeAll
    void startServer() throws Exception {
        HostNet noHost = new HostNet() {
            @Override
            public void addAddress(String dev, String cidr) {}

            @Override
            public void addRoute(String prefix, Optional<InetAddress> gateway, String dev) {}

            @Override
            public Optional<RouteInfo> routeTo(InetAddress destination) {
                return Optional.empty();
            }

            @Override
            public Optional<RouteInfo> defaultRoute(InetAddress family) {
                return Optional.empty();
            }

            @Override
            public void close() {}
        };
        server = new VpnServer(new VpnServer.Config(List.of(new InetSocketAddress(LOOPBACK, 0)), QUIC, "rqst-up0", 1280, List.of(), 64,
                Optional.empty()), Tls.server(io.rqst.pki.SelfSigned.generate("srv"), Optional.empty(), QuicSettings.RQST_ALPN,
                Optional.empty()), (name, mtu, mac) -> new MemoryTap(name, mtu, MemoryTap.DEFAULT_MAC, 64), noHost);
        server.start();
        serverAddress = server.boundAddresses().getFirst();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** Records what a client connection hears. */
    static final class Heard implements ConnectionListener {
        final LinkedBlockingQueue<ControlMessage> control = new LinkedBlockingQueue<>();
        final CompletableFuture<CloseInfo> closed = new CompletableFuture<>();

        @Override
        public void onDatagram(ByteBuf frame) {
            frame.release();
        }

        @Override
        public void onControl(ControlMessage message) {
            control.add(message);
        }

        @Override
        public void onControlError(String problem) {}

        @Override
        public void onClosed(CloseInfo why) {
            closed.complete(why);
        }
    }

    private Connection connect(Heard heard) throws Exception {
        Tls tls = Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
        return new QuicClientTransport(QUIC, tls, group).connect(serverAddress, "127.0.0.1", heard).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
    }

    private static byte[] hello() {
        return ControlCodec.encode(new ControlMessage.Hello(ControlProtocol.VERSION, "garbage-test/1", List.of(), Optional.empty()));
    }

    static Stream<Arguments> garbage() {
        byte[] http = "GET / HTTP/1.1\r\nHost: rqst.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] emptyHello = {0, 3, (byte) ControlProtocol.TYPE_HELLO, '{', '}'};
        byte[] notJson = {0, 5, (byte) ControlProtocol.TYPE_HELLO, 'h', 'e', 'l', 'l'};
        return Stream.of(
                Arguments.of("an HTTP request", List.of(http), false),
                Arguments.of("a zero length prefix", List.of(new byte[] {0, 0, 1, 2, 3}), false),
                Arguments.of("a Hello without fields", List.of(emptyHello), false),
                Arguments.of("a Hello that is not JSON", List.of(notJson), false),
                Arguments.of("garbage split over writes", List.of(new byte[] {(byte) 0xff}, new byte[] {(byte) 0xff, 0, 0}), false),
                Arguments.of("garbage after an accepted Hello", List.of(new byte[] {0, 0}), true),
                Arguments.of("a second Hello", List.of(hello()), true));
    }

    // Promise: garbage on the control stream ends that connection with a protocol error that names the
    // problem (so the client gives up with a reason instead of hanging), and the server goes on serving:
    // a well-behaved client connecting next is accepted.
    @ParameterizedTest(name = "{0}")
    @MethodSource("garbage")
    void garbageClosesOnlyThatConnection(String what, List<byte[]> writes, boolean helloFirst) throws Exception {
        Heard bad = new Heard();
        Connection c = connect(bad);
        // a raw stream (the first the client opens, so the server takes it as the control stream); what the
        // server writes back on it is decoded here
        CompletableFuture<ControlMessage> accepted = new CompletableFuture<>();
        QuicStreamChannel stream = ((QuicConnection) c).channel()
                .createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter() {
                    private final io.rqst.control.ControlDecoder decoder = new io.rqst.control.ControlDecoder();

                    @Override
                    public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        try {
                            for (ControlMessage m : decoder.feed((ByteBuf) msg)) {
                                accepted.complete(m);
                            }
                        } catch (io.rqst.control.ControlProtocolException e) {
                            accepted.completeExceptionally(e);
                        } finally {
                            ((ByteBuf) msg).release();
                        }
                    }
                }).get(5, TimeUnit.SECONDS);
        if (helloFirst) {
            stream.writeAndFlush(Unpooled.wrappedBuffer(hello())).get(5, TimeUnit.SECONDS);
            assertInstanceOf(ControlMessage.Accept.class, accepted.get(5, TimeUnit.SECONDS), "a valid Hello is accepted first");
        }
        for (byte[] w : writes) {
            stream.writeAndFlush(Unpooled.wrappedBuffer(w)).get(5, TimeUnit.SECONDS);
        }
        CloseInfo why = bad.closed.get(5, TimeUnit.SECONDS); // well before the 3 s idle timeout would end it anyway
        assertEquals(CloseInfo.Kind.PEER, why.kind(), why.describe());
        assertTrue(why.application(), why.describe());
        assertEquals(AppErrors.PROTOCOL_ERROR, why.code(), why.describe());
        assertTrue(!why.reason().isBlank(), "the close names the problem: " + why.describe());
        if (!helloFirst) {
            assertTrue(!accepted.isDone(), "nothing but the close answers garbage: " + accepted);
        }

        Heard good = new Heard();
        Connection g = connect(good);
        g.executor().submit(() -> {
            g.openControlStream();
            g.sendControl(new ControlMessage.Hello(ControlProtocol.VERSION, "garbage-test/1", List.of("keepalive"), Optional.empty()));
        }).get(5, TimeUnit.SECONDS);
        ControlMessage answer = good.control.poll(5, TimeUnit.SECONDS);
        assertNotNull(answer, "the server no longer answers hellos after " + what);
        assertInstanceOf(ControlMessage.Accept.class, answer);
        g.executor().submit(() -> g.close(AppErrors.NO_ERROR, "done")).get(5, TimeUnit.SECONDS);
        assertEquals(CloseInfo.Kind.LOCAL, good.closed.get(5, TimeUnit.SECONDS).kind());
    }
}
