package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.rqst.pki.ClientCertificateVerifier;
import io.rqst.pki.Identity;
import io.rqst.pki.SelfSigned;
import io.rqst.pki.ServerCertificateVerifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Refusals over real QUIC on loopback: the refused side hears why at once (not at its idle timeout), and
 * the server's refusal report names the peer and the reason, so that its log can say who was refused.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RefusalTest {
    private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");
    /** Every wait below is shorter than this: hearing of a refusal only through the idle timeout fails the test. */
    private static final QuicSettings QUIC = QuicSettings.defaults().withIdleTimeout(Duration.ofSeconds(5));
    private static final long WAIT_SECONDS = 3;

    private final EventLoopGroup serverGroup = EventLoops.group(1, "test-refusal-server");
    private final EventLoopGroup clientGroup = EventLoops.group(1, "test-refusal-client");
    private final CompletableFuture<InetSocketAddress> refusedPeer = new CompletableFuture<>();
    private final CompletableFuture<CloseInfo> refusedWhy = new CompletableFuture<>();
    private QuicServerTransport server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** A server whose acceptor accepts nobody (returns null) and records refusals. */
    private InetSocketAddress startServer(Optional<X509TrustManager> clientVerifier) throws Exception {
        server = QuicServerTransport.bind(QUIC, Tls.server(SelfSigned.generate("srv"), clientVerifier, QuicSettings.RQST_ALPN, Optional.empty()),
                List.of(new InetSocketAddress(LOOPBACK, 0)), serverGroup, new QuicServerTransport.Acceptor() {
                    @Override
                    public ConnectionListener accept(Connection connection) {
                        return null;
                    }

                    @Override
                    public void refused(InetSocketAddress peer, CloseInfo why) {
                        refusedPeer.complete(peer);
                        refusedWhy.complete(why);
                    }
                });
        return server.localAddresses().getFirst();
    }

    /** Connects and returns how the connection ended, as the client saw it. */
    private CloseInfo clientOutcome(InetSocketAddress to, Tls tls) throws Exception {
        ControlStreamGarbageTest.Heard heard = new ControlStreamGarbageTest.Heard();
        try {
            new QuicClientTransport(QUIC, tls, clientGroup).connect(to, "127.0.0.1", heard).toCompletableFuture()
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            QuicClientTransport.ConnectFailure f = assertInstanceOf(QuicClientTransport.ConnectFailure.class, e.getCause());
            return f.close().orElseThrow(() -> new AssertionError("connect failed without a close: " + f.getMessage()));
        }
        return heard.closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private void assertRefusalNamesThePeer() throws Exception {
        InetSocketAddress peer = refusedPeer.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(peer, "the refusal names the peer (" + refusedWhy.getNow(null) + ")");
        assertEquals(LOOPBACK, peer.getAddress());
        assertTrue(peer.getPort() > 0);
    }

    // Promise: a peer the server's acceptor turns away is told "rejected" (which a client does not retry),
    // and the server's refusal report carries the peer's address (the server logs "refused ADDRESS: why").
    @Test
    void refusedByTheAcceptor() throws Exception {
        CloseInfo why = clientOutcome(startServer(Optional.empty()),
                Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty()));
        assertEquals(CloseInfo.Kind.PEER, why.kind(), why.describe());
        assertTrue(why.application() && why.code() == AppErrors.REJECTED, why.describe());
        assertEquals("refused", why.reason());
        assertEquals(CloseInfo.Kind.LOCAL, refusedWhy.get(WAIT_SECONDS, TimeUnit.SECONDS).kind());
        assertRefusalNamesThePeer();
    }

    // Promise: a client whose certificate the server does not trust learns it at once from the TLS alert
    // ("not issued by the server's CA"), and the server reports the refusal with the peer and the reason.
    @Test
    void serverRefusesAClientCertificateOfAnotherCa() throws Exception {
        Identity ca = SelfSigned.generate("rqst-test-ca");
        InetSocketAddress at = startServer(Optional.of(new ClientCertificateVerifier(List.of(ca.certificate()))));
        CloseInfo why = clientOutcome(at,
                Tls.client(Optional.of(SelfSigned.generate("stranger")), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty()));
        assertEquals(CloseInfo.Kind.PEER, why.kind(), why.describe());
        assertEquals(TlsAlerts.UNKNOWN_CA, why.tlsAlert(), why.describe());
        assertEquals("the server does not trust this client's certificate: it is not issued by the server's CA",
                TlsAlerts.describeFromServer(why.tlsAlert(), QuicSettings.RQST_ALPN));

        CloseInfo serverSide = refusedWhy.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(CloseInfo.Kind.HANDSHAKE, serverSide.kind(), serverSide.describe());
        assertTrue(serverSide.reason().contains("\"CN=stranger\" is not issued by our CA \"CN=rqst-test-ca\""), serverSide.reason());
        assertRefusalNamesThePeer();
    }

    // Promise: a client that sends no certificate to a server that requires one learns it at once, and the
    // server reports the refusal with the peer's address.
    @Test
    void serverRefusesAClientWithoutCertificate() throws Exception {
        Identity ca = SelfSigned.generate("rqst-test-ca");
        InetSocketAddress at = startServer(Optional.of(new ClientCertificateVerifier(List.of(ca.certificate()))));
        CloseInfo why = clientOutcome(at, Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.empty()));
        assertEquals(CloseInfo.Kind.PEER, why.kind(), why.describe());
        assertEquals(TlsAlerts.CERTIFICATE_REQUIRED, why.tlsAlert(), why.describe());
        assertEquals("the server requires a client certificate and this client sent none",
                TlsAlerts.describeFromServer(why.tlsAlert(), QuicSettings.RQST_ALPN));
        CloseInfo serverSide = refusedWhy.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(CloseInfo.Kind.HANDSHAKE, serverSide.kind(), serverSide.describe());
        assertEquals("the client sent no certificate", serverSide.reason());
        assertRefusalNamesThePeer();
    }

    // Promise: a client refuses a server whose certificate its CA did not issue, at once and saying why.
    @Test
    void clientRefusesAServerOfAnotherCa() throws Exception {
        InetSocketAddress at = startServer(Optional.empty());
        ServerCertificateVerifier verifier = new ServerCertificateVerifier(List.of(SelfSigned.generate("rqst-test-ca").certificate()),
                "127.0.0.1");
        Tls tls = Tls.client(Optional.empty(), Optional.of(verifier), QuicSettings.RQST_ALPN, Optional.empty());
        ControlStreamGarbageTest.Heard heard = new ControlStreamGarbageTest.Heard();
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> new QuicClientTransport(QUIC, tls, clientGroup).connect(at, "127.0.0.1", heard).toCompletableFuture()
                        .get(WAIT_SECONDS, TimeUnit.SECONDS));
        QuicClientTransport.ConnectFailure f = assertInstanceOf(QuicClientTransport.ConnectFailure.class, e.getCause());
        assertEquals("server certificate \"CN=srv\" is not issued by our CA \"CN=rqst-test-ca\" (it is issued by \"CN=srv\")", f.getMessage());
    }
}
