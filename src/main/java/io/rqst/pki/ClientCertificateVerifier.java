package io.rqst.pki;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The server's check of client certificates: the chain must lead to one of our CA certificates and be valid now,
 * and a certificate with an extended key usage must allow {@code clientAuth} (one without the extension, like the
 * RQST manual's, passes); then the {@link CertificateCheck}s given run (such as a revocation check).
 * Only {@code checkClientTrusted} verifies; {@code checkServerTrusted} always refuses.
 *
 * <p>Refusals read, for example: {@code client sent no certificate},
 * {@code client certificate "CN=alice" is not issued by our CA "CN=RQST CA" (it is issued by "CN=Other CA")},
 * {@code client certificate "CN=alice" expired on 2026-01-01T00:00:00Z},
 * {@code client certificate "CN=alice" is not valid before 2027-01-01T00:00:00Z},
 * {@code client certificate "CN=rqst.example.com" is not for client use: its extended key usage is serverAuth only
 * (a client certificate needs clientAuth, or no extended key usage)}.
 */
public final class ClientCertificateVerifier extends PeerCertificateVerifier {
    /**
     * A verifier without extra checks, at the current time.
     *
     * @param caCerts the CA certificates (ca.crt) that issue client certificates
     */
    public ClientCertificateVerifier(List<X509Certificate> caCerts) {
        this(caCerts, List.of(), Clock.systemUTC());
    }

    /**
     * A verifier with extra checks and its own clock.
     *
     * @param caCerts     the CA certificates (ca.crt) that issue client certificates
     * @param extraChecks rules applied, in order, to chains that passed validation and the extended key usage check
     * @param clock       the time certificates must be valid at
     */
    public ClientCertificateVerifier(List<X509Certificate> caCerts, List<CertificateCheck> extraChecks, Clock clock) {
        super("client", caCerts, withPurposeCheck(extraChecks), clock);
    }

    private static List<CertificateCheck> withPurposeCheck(List<CertificateCheck> extraChecks) {
        List<CertificateCheck> checks = new ArrayList<>();
        checks.add(Purposes.require("client", Purposes.RFC5280_CLIENT_AUTH));
        checks.addAll(extraChecks);
        return checks;
    }
}
