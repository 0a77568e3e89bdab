package io.rqst.transport;

import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.rqst.pki.Identity;
import io.rqst.pki.IdentityKeyManager;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.X509TrustManager;

/**
 * A QUIC TLS context plus the verifier that judges the peer.
 *
 * @param context  the context to make engines from
 * @param verifier the verifier that remembers why peers were refused; empty when the peer is not
 *                 verified ({@code -d})
 */
public record Tls(QuicSslContext context, Optional<VerifierAdapter> verifier) {

    /**
     * A server context.
     *
     * @param identity       the server's key and certificate chain
     * @param clientVerifier judges client certificates; empty to accept clients without one ({@code -d})
     */
    public static Tls server(Identity identity, Optional<X509TrustManager> clientVerifier,
                             String alpn, Optional<KeyLogFile> keylog) {
        QuicSslContextBuilder b = QuicSslContextBuilder.forServer(identity.key(), null, identity.chain().toArray(X509Certificate[]::new))
                .applicationProtocols(alpn)
                .earlyData(false);
        Optional<VerifierAdapter> v = clientVerifier.map(VerifierAdapter::new);
        if (v.isPresent()) {
            b.trustManager(v.get()).clientAuth(ClientAuth.REQUIRE);
        } else {
            b.clientAuth(ClientAuth.NONE);
        }
        keylog.ifPresent(b::keylog);
        return new Tls(b.build(), v);
    }

    /**
     * A client context.
     *
     * @param identity       the client's key and certificate chain; empty to send no certificate
     * @param serverVerifier judges the server certificate and name; empty to accept any server ({@code -d})
     */
    public static Tls client(Optional<Identity> identity, Optional<X509TrustManager> serverVerifier,
                             String alpn, Optional<KeyLogFile> keylog) {
        QuicSslContextBuilder b = QuicSslContextBuilder.forClient().applicationProtocols(alpn).earlyData(false);
        // always present our certificate, even when the server's CA list does not name its issuer:
        // then the server can say "not issued by our CA" instead of "no certificate"
        identity.ifPresent(id -> b.keyManager(new IdentityKeyManager(id), null));
        Optional<VerifierAdapter> v = serverVerifier.map(VerifierAdapter::new);
        if (v.isPresent()) {
            b.trustManager(v.get());
        } else {
            b.trustManager(InsecureTrustManagerFactory.INSTANCE);
        }
        keylog.ifPresent(b::keylog);
        return new Tls(b.build(), v);
    }
}
