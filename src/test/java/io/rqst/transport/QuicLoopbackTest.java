package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.rqst.control.ControlMessage;
import io.rqst.pki.SelfSigned;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two QUIC endpoints over loopback, without verification: control messages and DATAGRAMs both ways. */
class QuicLoopbackTest {
    private final EventLoopGroup group = EventLoops.group(1, "test-quic");
    private QuicServerTransport server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    static final class Recorder implements ConnectionListener {
        final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        volatile Connection connection;

        @Override
        public void onOpen(Connection c) {
            connection = c;
        }

        @Override
        public void onDatagram(ByteBuf frame) {
            byte[] b = new byte[frame.readableBytes()];
            frame.readBytes(b);
            frame.release();
            events.add(b);
        }

        @Override
        public void onControl(ControlMessage m) {
            events.add(m);
        }

        @Override
        public void onControlError(String problem) {
            events.add("error: " + problem);
        }

        @Override
        public void onClosed(CloseInfo why) {
            events.add(why);
        }
    }

    /** A server on loopback whose every connection goes to {@code listener}; refusals go to {@code refused}. */
    private QuicServerTransport bindServer(ConnectionListener listener, java.util.function.Consumer<CloseInfo> refused) throws Exception {
        Tls serverTls = Tls.server(SelfSigned.generate("srv"), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
        return QuicServerTransport.bind(QuicSettings.defaults(), serverTls,
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), group, new QuicServerTransport.Acceptor() {
                    @Override
                    public ConnectionListener accept(Connection c) {
                        return listener;
                    }

                    @Override
                    public void refused(InetSocketAddress peer, CloseInfo why) {
                        refused.accept(why);
                    }
                });
    }

    @Test
    void controlMessagesAndDatagramsFlowBothWays() throws Exception {
        Recorder serverSide = new Recorder();
        server = bindServer(serverSide, serverSide.events::add);
        Tls clientTls = Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
        Recorder clientSide = new Recorder();
        QuicClientTransport client = new QuicClientTransport(QuicSettings.defaults(), clientTls, group);
        Connection c = client.connect(server.localAddresses().getFirst(), "localhost", clientSide)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        c.executor().submit(() -> {
            c.openControlStream();
            c.sendControl(new ControlMessage.Ping(7));
        }).get();
        Object got = serverSide.events.poll(5, TimeUnit.SECONDS);
        assertEquals(new ControlMessage.Ping(7), got);
        CompletableFuture<Void> sent = new CompletableFuture<>();
        serverSide.connection.executor().execute(() -> {
            serverSide.connection.sendControl(new ControlMessage.Pong(7));
            sent.complete(null);
        });
        sent.get(5, TimeUnit.SECONDS);
        assertEquals(new ControlMessage.Pong(7), clientSide.events.poll(5, TimeUnit.SECONDS));
        assertTrue(c.maxDatagramSize() >= 1298, "max datagram " + c.maxDatagramSize());
        c.executor().submit(() -> {
            c.sendDatagram(io.netty.buffer.Unpooled.directBuffer().writeBytes(new byte[] {1, 2, 3}));
            c.flush();
        }).get();
        assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) serverSide.events.poll(5, TimeUnit.SECONDS));
    }

    // Promise: every received DATAGRAM is followed by a read-complete (the listener's cue to write out what it
    // held to combine): a frame never waits in a TAP writer for the next packet to arrive.
    @Test
    void everyDatagramIsFollowedByAReadComplete() throws Exception {
        LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
        ConnectionListener serverSide = new ConnectionListener() {
            @Override
            public void onDatagram(ByteBuf frame) {
                frame.release();
                seen.add("d");
            }

            @Override
            public void onReadComplete() {
                seen.add("rc");
            }

            @Override
            public void onControl(ControlMessage m) {}

            @Override
            public void onControlError(String problem) {}

            @Override
            public void onClosed(CloseInfo why) {}
        };
        server = bindServer(serverSide, why -> {});
        Tls clientTls = Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
        Connection c = new QuicClientTransport(QuicSettings.defaults(), clientTls, group)
                .connect(server.localAddresses().getFirst(), "localhost", new Recorder()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        int n = 200;
        for (int round = 0; round < 4; round++) {
            c.executor().submit(() -> {
                for (int i = 0; i < n / 4; i++) {
                    c.sendDatagram(io.netty.buffer.Unpooled.directBuffer().writeBytes(new byte[1000]));
                }
                c.flush();
            }).get();
        }
        int datagrams = 0;
        int completes = 0;
        String last = null;
        while (datagrams < n || !"rc".equals(last)) {
            last = seen.poll(5, TimeUnit.SECONDS);
            assertNotNull(last, "after " + datagrams + " datagrams and " + completes + " read-completes: "
                    + (datagrams < n ? "datagrams lost on loopback" : "the last datagrams were never followed by a read-complete"));
            if (last.equals("d")) {
                datagrams++;
            } else {
                completes++;
            }
        }
        assertEquals(n, datagrams);
        assertTrue(completes >= 1 && completes <= n, completes + " read-completes for " + n + " datagrams");
    }

    // Promise: with CoDel on the receive queues (--rx-aqm), a connection tells its event loop's CoDel its
    // round trip, which lifts an interval below it; when the connections close, the interval falls back.
    @Test
    void withCoDelOnTheConnectionsRoundTripLiftsItsLoopsIntervalUntilTheyClose() throws Exception {
        assertTrue(EventLoops.epoll(), "native epoll, which CoDel needs, is there on Linux x86-64");
        // a 100 us floor: any round trip, rounded up to whole milliseconds, is longer
        QuicSettings settings = QuicSettings.defaults().withReceiveAqm(new QuicSettings.Aqm(java.time.Duration.ofNanos(10_000),
                java.time.Duration.ofNanos(100_000)));
        Tls serverTls = Tls.server(SelfSigned.generate("srv"), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
        Recorder serverSide = new Recorder();
        server = QuicServerTransport.bind(settings, serverTls, List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                group, new QuicServerTransport.Acceptor() {
                    @Override
                    public ConnectionListener accept(Connection c) {
                        return serverSide;
                    }

                    @Override
                    public void refused(InetSocketAddress peer, CloseInfo why) {
                        serverSide.events.add(why);
                    }
                });
        Tls clientTls = Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
        QuicClientTransport client = new QuicClientTransport(settings, clientTls, group);
        Recorder clientSide = new Recorder();
        Connection c = client.connect(server.localAddresses().getFirst(), "localhost", clientSide)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        c.executor().submit(() -> {
            c.openControlStream();
            c.sendControl(new ControlMessage.Ping(1));
        }).get();
        assertEquals(new ControlMessage.Ping(1), serverSide.events.poll(5, TimeUnit.SECONDS));
        // a few datagrams right after the handshake: quiche's round trip is still mostly the handshake's first sample
        for (int i = 0; i < 4; i++) {
            bounce(c, serverSide, clientSide, i);
        }
        Thread.sleep(50);
        assertEquals(100_000, c.executor().submit(ReceiveQueueAqm::intervalOnThisLoop).get(),
                "a connection that has received a handful of packets has not told its round trip yet");
        Channel serverUdp = ((QuicConnection) serverSide.connection).channel().parent();
        ReceiveBuffer buffer = serverUdp.attr(ReceiveBuffer.KEY).get();
        assertEquals(0, c.executor().submit(buffer::connections).get(), "nor has the server's");
        // one at a time both ways: each end receives more than ROUND_TRIP_AFTER_PACKETS packets
        for (int i = 0; i < QuicConnection.ROUND_TRIP_AFTER_PACKETS; i++) {
            bounce(c, serverSide, clientSide, i);
        }
        long interval = 0;
        for (int i = 0; i < 100 && (interval = c.executor().submit(ReceiveQueueAqm::intervalOnThisLoop).get()) == 100_000; i++) {
            Thread.sleep(20);
        }
        assertTrue(interval >= 1_000_000, "the interval is at least the round trip, in whole ms: " + interval + " ns");
        assertEquals(1, c.executor().submit(buffer::connections).get(), "the server's socket knows the connection's round trip");
        c.executor().submit(() -> c.close(AppErrors.NO_ERROR, "done")).get();
        assertInstanceOf(CloseInfo.class, serverSide.events.poll(5, TimeUnit.SECONDS), "the server saw the close");
        long after = -1;
        for (int i = 0; i < 100 && (after = c.executor().submit(ReceiveQueueAqm::intervalOnThisLoop).get()) != 100_000; i++) {
            Thread.sleep(20);
        }
        assertEquals(100_000, after, "both connections closed: the configured interval again");
        assertEquals(0, c.executor().submit(buffer::connections).get(), "and the socket forgot it");
    }

    /** A datagram from the client to the server and one back, each awaited. */
    private static void bounce(Connection c, Recorder serverSide, Recorder clientSide, int i) throws Exception {
        c.executor().submit(() -> {
            c.sendDatagram(io.netty.buffer.Unpooled.directBuffer().writeInt(i));
            c.flush();
        }).get();
        assertInstanceOf(byte[].class, serverSide.events.poll(5, TimeUnit.SECONDS), "datagram " + i + " reached the server");
        Connection s = serverSide.connection;
        s.executor().submit(() -> {
            s.sendDatagram(io.netty.buffer.Unpooled.directBuffer().writeInt(i));
            s.flush();
        }).get();
        assertInstanceOf(byte[].class, clientSide.events.poll(5, TimeUnit.SECONDS), "datagram " + i + " reached the client");
    }

    // Promise: a peer that never answers ends the handshake at the idle timeout, said in words (it used to read
    // "the connection closed during the handshake (QuicClosedChannelException)").
    @Test
    void aPeerThatNeverAnswersEndsTheHandshakeInWords() throws Exception {
        try (java.nio.channels.DatagramChannel blackHole = java.nio.channels.DatagramChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Tls clientTls = Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
            QuicClientTransport client = new QuicClientTransport(QuicSettings.defaults().withIdleTimeout(java.time.Duration.ofSeconds(1)),
                    clientTls, group);
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> client.connect(
                    (InetSocketAddress) blackHole.getLocalAddress(), "localhost", new Recorder()).toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals("no answer to the handshake within the idle timeout", e.getCause().getMessage());
        }
    }
}
