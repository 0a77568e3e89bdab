package io.rqst.transport;

import io.netty.handler.ssl.OpenSslCertificateException;
import io.rqst.pki.CertificateRefusedException;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Puts one of our certificate verifiers in front of BoringSSL: remembers, per TLS engine, why a
 * peer was refused (BoringSSL only passes an alert number on), and turns the failure into the
 * X.509 error code that makes BoringSSL send the most telling alert ({@code unknown_ca} for a
 * certificate from another CA, {@code certificate_expired}, {@code unsupported_certificate} for a
 * wrong purpose, {@code certificate_revoked}), from the {@link CertificateRefusedException.Reason}.
 */
public final class VerifierAdapter extends X509ExtendedTrustManager {
    /** OpenSSL x509_vfy.h: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, sent as alert unknown_ca. */
    static final int X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20;
    /** OpenSSL x509_vfy.h: X509_V_ERR_INVALID_PURPOSE, sent as alert unsupported_certificate. */
    static final int X509_V_ERR_INVALID_PURPOSE = 26;
    /** OpenSSL x509_vfy.h: X509_V_ERR_CERT_HAS_EXPIRED, sent as alert certificate_expired. */
    static final int X509_V_ERR_CERT_HAS_EXPIRED = 10;
    /** OpenSSL x509_vfy.h: X509_V_ERR_CERT_REVOKED, sent as alert certificate_revoked. */
    static final int X509_V_ERR_CERT_REVOKED = 23;
    /** OpenSSL x509_vfy.h: X509_V_ERR_HOSTNAME_MISMATCH. */
    static final int X509_V_ERR_HOSTNAME_MISMATCH = 62;

    private final X509TrustManager delegate;
    private final Map<SSLEngine, String> failures = Collections.synchronizedMap(new WeakHashMap<>());
    private volatile String lastFailure;

    public VerifierAdapter(X509TrustManager delegate) {
        this.delegate = delegate;
    }

    /** Why the handshake on {@code engine} was refused by this verifier, if it was. */
    public Optional<String> failureFor(SSLEngine engine) {
        return Optional.ofNullable(engine == null ? null : failures.get(engine));
    }

    /** The most recent refusal on any engine (for a client, which has one handshake at a time). */
    public Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw refuse(engine, e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            delegate.checkServerTrusted(chain, authType);
        } catch (CertificateException e) {
            throw refuse(engine, e);
        }
    }

    private CertificateException refuse(SSLEngine engine, CertificateException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        lastFailure = message;
        if (engine != null) {
            failures.put(engine, message);
        }
        if (!(e instanceof CertificateRefusedException r)) {
            return e;
        }
        // Netty maps CertificateExpiredException/RevokedException itself; the rest by X.509 error code
        return switch (r.reason()) {
            case UNTRUSTED -> new OpenSslCertificateException(message, e, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
            case WRONG_PURPOSE -> new OpenSslCertificateException(message, e, X509_V_ERR_INVALID_PURPOSE);
            case EXPIRED -> new OpenSslCertificateException(message, e, X509_V_ERR_CERT_HAS_EXPIRED);
            case REVOKED -> new OpenSslCertificateException(message, e, X509_V_ERR_CERT_REVOKED);
            case NAME_MISMATCH -> new OpenSslCertificateException(message, e, X509_V_ERR_HOSTNAME_MISMATCH);
            case OTHER -> e;
        };
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkClientTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServerTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
