package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.rqst.pki.ClientCertificateVerifier;
import io.rqst.pki.SelfSigned;
import io.rqst.pki.ServerCertificateVerifier;
import io.rqst.transport.QuicLoopbackTest.Recorder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Refused handshakes over loopback: the refused client learns the server's TLS alert (so that it can
 * give up with a reason instead of retrying or waiting), and the server reports the refusal with the
 * peer's address.
 */
class QuicRefusalTest {
    private final EventLoopGroup group = EventLoops.group(1, "test-quic");
    private final CompletableFuture<InetSocketAddress> refusedPeer = new CompletableFuture<>();
    private final CompletableFuture<CloseInfo> refusedWhy = new CompletableFuture<>();
    private QuicServerTransport server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private void startServer(Optional<X509TrustManager> clientVerifier) throws Exception {
        Tls tls = Tls.server(SelfSigned.generate("srv"), clientVerifier, QuicSettings.RQST_ALPN, Optional.empty());
        server = QuicServerTransport.bind(QuicSettings.defaults(), tls,
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), group, new QuicServerTransport.Acceptor() {
                    @Override
                    public ConnectionListener accept(Connection c) {
                        return new Recorder();
                    }

                    @Override
                    public void refused(InetSocketAddress peer, CloseInfo why) {
                        refusedPeer.complete(peer);
                        refusedWhy.complete(why);
                    }
                });
    }

    @Test
    void aRefusedAlpnEndsTheConnectWithTheServersAlert() throws Exception {
        startServer(Optional.empty());
        Tls clientTls = Tls.client(Optional.empty(), Optional.empty(), "xyz", Optional.empty());
        QuicClientTransport client = new QuicClientTransport(QuicSettings.defaults(), clientTls, group);

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> client.connect(server.localAddresses().getFirst(), "localhost", new Recorder())
                        .toCompletableFuture().get(10, TimeUnit.SECONDS));

        QuicClientTransport.ConnectFailure failure = assertInstanceOf(QuicClientTransport.ConnectFailure.class, e.getCause());
        CloseInfo close = failure.close().orElseThrow(() -> new AssertionError("no close info: " + failure.getMessage()));
        assertEquals(CloseInfo.Kind.PEER, close.kind());
        assertEquals(TlsAlerts.NO_APPLICATION_PROTOCOL, close.tlsAlert());
        assertEquals("no common application protocol (ALPN)", refusedWhy.get(10, TimeUnit.SECONDS).reason());
        assertNotNull(refusedPeer.get(), "the server reported the refused peer without its address");
    }

    @Test
    void aClientWithoutCertificateIsToldSoAndTheServerReportsIt() throws Exception {
        startServer(Optional.of(new ClientCertificateVerifier(SelfSigned.generate("ca").chain())));
        Tls clientTls = Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty());
        QuicClientTransport client = new QuicClientTransport(QuicSettings.defaults(), clientTls, group);
        Recorder clientSide = new Recorder();

        CompletableFuture<Connection> connect = client.connect(server.localAddresses().getFirst(), "localhost", clientSide)
                .toCompletableFuture();
        // TLS 1.3: the client may finish its handshake before the server judges its (missing) certificate
        CloseInfo close;
        try {
            connect.get(10, TimeUnit.SECONDS);
            Object event = clientSide.events.poll(10, TimeUnit.SECONDS);
            close = assertInstanceOf(CloseInfo.class, event, "the client was not told that the connection closed");
        } catch (ExecutionException e) {
            close = assertInstanceOf(QuicClientTransport.ConnectFailure.class, e.getCause()).close().orElseThrow();
        }
        assertEquals(CloseInfo.Kind.PEER, close.kind());
        assertEquals(TlsAlerts.CERTIFICATE_REQUIRED, close.tlsAlert());
        CloseInfo why = refusedWhy.get(10, TimeUnit.SECONDS);
        assertEquals(CloseInfo.Kind.HANDSHAKE, why.kind());
        assertTrue(why.reason().contains("no certificate"), why.reason());
        assertNotNull(refusedPeer.get(), "the server reported the refused peer without its address");
    }

    @Test
    void aClientThatRefusesTheServersCertificateIsReportedByTheServerWithTheClientsAlert() throws Exception {
        startServer(Optional.empty());
        // the client trusts another CA than the one that made the server's certificate
        Tls clientTls = Tls.client(Optional.empty(),
                Optional.of(new ServerCertificateVerifier(SelfSigned.generate("other-ca").chain(), "localhost")),
                QuicSettings.RQST_ALPN, Optional.empty());
        QuicClientTransport client = new QuicClientTransport(QuicSettings.defaults(), clientTls, group);

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> client.connect(server.localAddresses().getFirst(), "localhost", new Recorder())
                        .toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertInstanceOf(QuicClientTransport.ConnectFailure.class, e.getCause());

        // well before the server's idle timeout (30 s), which was how it learned of this refusal before
        CloseInfo why = refusedWhy.get(10, TimeUnit.SECONDS);
        assertEquals(CloseInfo.Kind.PEER, why.kind(), why.describe());
        assertEquals(TlsAlerts.UNKNOWN_CA, why.tlsAlert(), why.describe());
        assertEquals("peer refused the TLS handshake: unknown_ca", why.describe());
        assertNotNull(refusedPeer.get(), "the server reported the refused peer without its address");
    }
}
