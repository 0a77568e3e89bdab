package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The verifiers inside a real TLS 1.3 handshake between two JDK SSLEngines, in memory, with the manual's files. */
class TlsHandshakeTest {
    private static ManualPki pki;

    @BeforeAll
    static void buildPki() throws Exception {
        pki = ManualPki.shared();
    }

    @Test
    void mutualAuthenticationWithTheManualsCertificatesSucceeds() throws Exception {
        var serverVerifier = new ClientCertificateVerifier(Pem.readCertificates(pki.path("server/ca.crt")));
        var clientVerifier = new ServerCertificateVerifier(Pem.readCertificates(pki.path("client/ca.crt")),
                "rqst4.example.com");
        SSLEngine server = serverEngine(serverVerifier);
        SSLEngine client = clientEngine(Identity.load(pki.path("client/client.key"), pki.path("client/client.crt")),
                clientVerifier);

        handshake(client, server);

        assertEquals("TLSv1.3", client.getSession().getProtocol());
        var clientCert = (X509Certificate) server.getSession().getPeerCertificates()[0];
        assertEquals(1, clientCert.getVersion());
        assertEquals(Optional.of("alice"), Names.commonName(clientCert.getSubjectX500Principal()));
        var serverCert = (X509Certificate) client.getSession().getPeerCertificates()[0];
        assertEquals(Optional.of("rqst.example.com"), Names.commonName(serverCert.getSubjectX500Principal()));
        assertEquals(Optional.empty(), serverVerifier.lastFailure());
        assertEquals(Optional.empty(), clientVerifier.lastFailure());
    }

    @Test
    void aWrongServerNameFailsTheHandshakeAndTheReasonIsKept() throws Exception {
        var clientVerifier = new ServerCertificateVerifier(Pem.readCertificates(pki.path("client/ca.crt")),
                "other.example.com");
        SSLEngine server = serverEngine(new ClientCertificateVerifier(pki.ca()));
        SSLEngine client = clientEngine(Identity.load(pki.path("client/client.key"), pki.path("client/client.crt")),
                clientVerifier);

        assertThrows(SSLHandshakeException.class, () -> handshake(client, server));
        assertEquals(Optional.of("server certificate \"CN=rqst.example.com\" names rqst.example.com,"
                + " rqst4.example.com, not \"other.example.com\""), clientVerifier.lastFailure());
    }

    @Test
    void aClientOfAnotherCaFailsTheHandshakeAndTheReasonIsKept() throws Exception {
        var serverVerifier = new ClientCertificateVerifier(pki.ca());
        SSLEngine server = serverEngine(serverVerifier);
        SSLEngine client = clientEngine(
                Identity.load(pki.path("other/other-client.key"), pki.path("other/other-client.crt")),
                new ServerCertificateVerifier(pki.ca(), "rqst.example.com"));

        assertThrows(SSLHandshakeException.class, () -> handshake(client, server));
        assertEquals(Optional.of("client certificate \"CN=alice\" is not issued by our CA \"CN=RQST CA\" (it is"
                + " issued by \"CN=Other CA\")"), serverVerifier.lastFailure());
    }

    @Test
    void aStandardKeyManagerHidesTheReasonThatIdentityKeyManagerLetsTheServerGive() throws Exception {
        // the JDK's own key manager offers no certificate the server's CA list does not cover, so the server
        // fails on an empty chain without asking its verifier
        var serverVerifier = new ClientCertificateVerifier(pki.ca());
        SSLEngine server = serverEngine(serverVerifier);
        Identity foreign = Identity.load(pki.path("other/other-client.key"), pki.path("other/other-client.crt"));
        SSLContext standard = SSLContext.getInstance("TLSv1.3");
        standard.init(standardKeyManagers(foreign),
                new TrustManager[] {new ServerCertificateVerifier(pki.ca(), "rqst.example.com")}, null);
        SSLEngine client = standard.createSSLEngine("rqst.example.com", 3456);
        client.setUseClientMode(true);

        var e = assertThrows(SSLHandshakeException.class, () -> handshake(client, server));
        assertTrue(e.getMessage().contains("Empty client certificate chain"), e.getMessage());
        assertEquals(Optional.empty(), serverVerifier.lastFailure());
    }

    private static SSLEngine serverEngine(TrustManager verifier) throws Exception {
        Identity id = Identity.load(pki.path("server/server.key"), pki.path("server/server.crt"));
        SSLEngine engine = context(id, verifier).createSSLEngine();
        engine.setUseClientMode(false);
        engine.setNeedClientAuth(true);
        return engine;
    }

    private static SSLEngine clientEngine(Identity id, TrustManager verifier) throws Exception {
        SSLEngine engine = context(id, verifier).createSSLEngine("rqst.example.com", 3456);
        engine.setUseClientMode(true);
        return engine;
    }

    private static SSLContext context(Identity id, TrustManager verifier) throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(new KeyManager[] {new IdentityKeyManager(id)}, new TrustManager[] {verifier}, null);
        return context;
    }

    private static KeyManager[] standardKeyManagers(Identity id) throws Exception {
        char[] password = "unused".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("rqst", id.key(), password, id.chain().toArray(X509Certificate[]::new));
        KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
        factory.init(store, password);
        return factory.getKeyManagers();
    }

    /** Runs the handshake to its end; an engine's failure propagates as its SSLException. */
    private static void handshake(SSLEngine client, SSLEngine server) throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocate(1 << 16);
        ByteBuffer toClient = ByteBuffer.allocate(1 << 16);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 50; round++) {
            boolean progress = step(client, toServer, toClient) | step(server, toClient, toServer);
            if (!progress && finished(client) && finished(server)) {
                return;
            }
        }
        fail("the handshake did not finish: client " + client.getHandshakeStatus() + ", server "
                + server.getHandshakeStatus());
    }

    private static boolean finished(SSLEngine engine) {
        return engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING;
    }

    /** Does what the engine asks until it waits for the peer; returns whether anything happened. */
    private static boolean step(SSLEngine engine, ByteBuffer out, ByteBuffer in) throws SSLException {
        ByteBuffer application = ByteBuffer.allocate(1 << 16);
        boolean progress = false;
        while (true) {
            SSLEngineResult result;
            switch (engine.getHandshakeStatus()) {
                case NEED_TASK -> {
                    for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                        task.run();
                    }
                    progress = true;
                    continue;
                }
                case NEED_WRAP -> result = engine.wrap(ByteBuffer.allocate(0), out);
                default -> { // NEED_UNWRAP, or done but a post-handshake message (session ticket) may be waiting
                    if (in.position() == 0) {
                        return progress;
                    }
                    in.flip();
                    result = engine.unwrap(in, application);
                    in.compact();
                }
            }
            if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
                return progress;
            }
            progress = true;
        }
    }
}
