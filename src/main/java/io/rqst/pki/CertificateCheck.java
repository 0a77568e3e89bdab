package io.rqst.pki;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * An extra rule a verifier applies after the chain has been validated against the CA, for example an extended
 * key usage or revocation check. The verifiers run their checks in order and stop at the first refusal.
 */
@FunctionalInterface
public interface CertificateCheck {
    /**
     * Judges a peer whose chain is valid.
     *
     * @param chain the peer's chain as validated, its own certificate first
     * @return why the peer is refused, in one line naming its certificate; empty to accept it
     */
    Optional<String> check(List<X509Certificate> chain);

    /** The kind of refusal this check makes, so the TLS layer can send the matching alert. */
    default CertificateRefusedException.Reason reason() {
        return CertificateRefusedException.Reason.OTHER;
    }

    /** A check whose refusals are of the given kind. */
    static CertificateCheck of(CertificateRefusedException.Reason reason, CertificateCheck check) {
        return new CertificateCheck() {
            @Override
            public Optional<String> check(List<X509Certificate> chain) {
                return check.check(chain);
            }

            @Override
            public CertificateRefusedException.Reason reason() {
                return reason;
            }
        };
    }
}
