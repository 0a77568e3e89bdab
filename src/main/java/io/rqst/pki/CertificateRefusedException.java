package io.rqst.pki;

import java.security.cert.CertificateException;

/**
 * A peer certificate refused by a {@link PeerCertificateVerifier}; the message is one line for logs
 * and users, the {@link Reason} lets the TLS layer send the matching alert.
 */
public final class CertificateRefusedException extends CertificateException {

    /** Why a certificate was refused, as far as a TLS alert can say it. */
    public enum Reason {
        /** Missing, or not issued by our CA (alert unknown_ca). */
        UNTRUSTED,
        /** Outside its validity dates (alert certificate_expired). */
        EXPIRED,
        /** Revoked by the CA (alert certificate_revoked). */
        REVOKED,
        /** Not meant for this use, e.g. a server certificate used by a client (alert unsupported_certificate). */
        WRONG_PURPOSE,
        /** Does not name the host we connect to. */
        NAME_MISMATCH,
        /** Anything else (alert certificate_unknown). */
        OTHER
    }

    private final Reason reason;

    public CertificateRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** Why, for choosing the TLS alert. */
    public Reason reason() {
        return reason;
    }
}
