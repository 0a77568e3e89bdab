package io.rqst.pki;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The extended key usage rule (RFC 5280 §4.2.1.12): a peer certificate that carries the extension must list the
 * purpose it is used for ({@code clientAuth} for a client, {@code serverAuth} for a server) or
 * {@code anyExtendedKeyUsage}. A certificate without the extension may be used for anything: the RQST manual's
 * certificates carry none, and they keep working.
 */
final class Purposes {
    /** RFC 5280 id-kp-serverAuth. */
    static final String RFC5280_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    /** RFC 5280 id-kp-clientAuth. */
    static final String RFC5280_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    /** RFC 5280 anyExtendedKeyUsage. */
    static final String RFC5280_ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

    private static final Map<String, String> NAMES = Map.of(
            RFC5280_SERVER_AUTH, "serverAuth",
            RFC5280_CLIENT_AUTH, "clientAuth",
            "1.3.6.1.5.5.7.3.3", "codeSigning",
            "1.3.6.1.5.5.7.3.4", "emailProtection",
            "1.3.6.1.5.5.7.3.8", "timeStamping",
            "1.3.6.1.5.5.7.3.9", "OCSPSigning",
            "1.3.6.1.5.5.7.3.17", "ipsecIKE");

    private Purposes() {}

    /**
     * The check that a {@code peer} ("client" or "server") certificate may be used for {@code purpose}
     * ({@link #RFC5280_CLIENT_AUTH} or {@link #RFC5280_SERVER_AUTH}); refusals are
     * {@link CertificateRefusedException.Reason#WRONG_PURPOSE}, e.g.
     * {@code client certificate "CN=rqst.example.com" is not for client use: its extended key usage is serverAuth only}.
     */
    static CertificateCheck require(String peer, String purpose) {
        return CertificateCheck.of(CertificateRefusedException.Reason.WRONG_PURPOSE,
                chain -> refusal(peer, purpose, chain.getFirst()));
    }

    static Optional<String> refusal(String peer, String purpose, X509Certificate cert) {
        List<String> usages;
        try {
            usages = cert.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return Optional.of(peer + " certificate " + Names.quoted(cert) + " has a corrupt extended key usage extension");
        }
        if (usages == null || usages.contains(purpose) || usages.contains(RFC5280_ANY_EXTENDED_KEY_USAGE)) {
            return Optional.empty();
        }
        String listed = usages.isEmpty() ? "empty"
                : usages.stream().map(Purposes::name).collect(Collectors.joining(", ")) + (usages.size() == 1 ? " only" : "");
        return Optional.of(peer + " certificate " + Names.quoted(cert) + " is not for " + peer + " use: its extended key"
                + " usage is " + listed + " (a " + peer + " certificate needs " + name(purpose) + ", or no extended key usage)");
    }

    /** {@return the RFC 5280 name of a key purpose, or its OID} */
    static String name(String oid) {
        return NAMES.getOrDefault(oid, oid);
    }
}
