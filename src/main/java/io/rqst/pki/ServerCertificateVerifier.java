package io.rqst.pki;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The client's check of the server certificate: the chain must lead to one of our CA certificates and be valid
 * now, a certificate with an extended key usage must allow {@code serverAuth} (one without the extension, like the
 * RQST manual's, passes), and the certificate must name the host we connect to in its subjectAltName (RFC 6125: DNS names compared
 * case-insensitively, a wildcard only as the whole left-most label; IP literals compared as addresses against IP
 * entries; the subject CN is never used). Then the {@link CertificateCheck}s given run.
 * Only {@code checkServerTrusted} verifies; {@code checkClientTrusted} always refuses.
 *
 * <p>Refusals read, for example:
 * {@code server certificate "CN=rqst.example.com" names rqst.example.com, rqst4.example.com, not "other.example.com"},
 * {@code server certificate has no subjectAltName, so it cannot match "x" (reissue it with a SAN such as DNS:x)},
 * and for the chain as {@link ClientCertificateVerifier} words it, with "server" for "client".
 */
public final class ServerCertificateVerifier extends PeerCertificateVerifier {
    private final String expectedHost;

    /**
     * A verifier without extra checks, at the current time.
     *
     * @param caCerts      the CA certificates (ca.crt) that issue server certificates
     * @param expectedHost the server's name (or IP literal) as the user gave it, e.g. {@code rqst.example.com}
     */
    public ServerCertificateVerifier(List<X509Certificate> caCerts, String expectedHost) {
        this(caCerts, expectedHost, List.of(), Clock.systemUTC());
    }

    /**
     * A verifier with extra checks and its own clock.
     *
     * @param caCerts      the CA certificates (ca.crt) that issue server certificates
     * @param expectedHost the server's name (or IP literal) as the user gave it
     * @param extraChecks  rules applied, in order, after validation, the extended key usage and the name check
     * @param clock        the time certificates must be valid at
     */
    public ServerCertificateVerifier(List<X509Certificate> caCerts, String expectedHost,
            List<CertificateCheck> extraChecks, Clock clock) {
        super("server", caCerts, withHostCheck(requireHost(expectedHost), extraChecks), clock);
        this.expectedHost = expectedHost;
    }

    /** {@return the name the server certificate must carry} */
    public String expectedHost() {
        return expectedHost;
    }

    /**
     * Why a client connecting to {@code host} would refuse {@code cert} by its names (e.g. {@code server certificate
     * "CN=rqst.example.com" names rqst.example.com, not "other.example.com"}), or empty if it names that host.
     */
    public static Optional<String> nameMismatch(X509Certificate cert, String host) {
        return HostNames.mismatch(cert, host);
    }

    private static String requireHost(String host) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("no server name to verify the server certificate against");
        }
        return host;
    }

    private static List<CertificateCheck> withHostCheck(String host, List<CertificateCheck> extraChecks) {
        List<CertificateCheck> checks = new ArrayList<>();
        checks.add(Purposes.require("server", Purposes.RFC5280_SERVER_AUTH));
        checks.add(CertificateCheck.of(CertificateRefusedException.Reason.NAME_MISMATCH,
                chain -> HostNames.mismatch(chain.getFirst(), host)));
        checks.addAll(extraChecks);
        return checks;
    }
}
