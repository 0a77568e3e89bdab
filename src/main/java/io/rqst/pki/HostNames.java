package io.rqst.pki;

import java.net.InetAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Server identity checks against subjectAltName (RFC 6125 §6; no CN fallback). */
final class HostNames {
    /** RFC 5280 §4.2.1.6 GeneralName choices, as {@link X509Certificate#getSubjectAlternativeNames()} numbers them. */
    private static final int RFC5280_DNS_NAME = 2;
    private static final int RFC5280_IP_ADDRESS = 7;
    private static final Pattern IPV4_DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private HostNames() {}

    /** The host as an address if it is an IPv4 dotted quad or an IPv6 literal (brackets allowed); no DNS lookup. */
    static Optional<InetAddress> ipLiteral(String host) {
        String h = host.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (!h.contains(":") && !IPV4_DOTTED_QUAD.matcher(h).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.ofLiteral(h));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * RFC 6125 §6.4 DNS matching: case-insensitive, a trailing dot ignored; a wildcard only as the whole left-most
     * label ({@code *.example.com}), matching exactly one non-empty label, and only above at least two labels.
     */
    static boolean dnsMatches(String pattern, String host) {
        String p = normalize(pattern);
        String h = normalize(host);
        if (p.isEmpty() || h.isEmpty()) {
            return false;
        }
        if (!p.contains("*")) {
            return p.equals(h);
        }
        String parent = p.startsWith("*.") ? p.substring(2) : "";
        if (parent.contains("*") || parent.indexOf('.') < 0) {
            return false;
        }
        int dot = h.indexOf('.');
        return dot > 0 && h.substring(dot + 1).equals(parent);
    }

    /** Why the certificate does not name host, or empty if one of its DNS or IP subjectAltNames matches. */
    static Optional<String> mismatch(X509Certificate cert, String host) {
        Collection<List<?>> sans;
        try {
            sans = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return Optional.of("server certificate " + Names.quoted(cert) + " has a corrupt subjectAltName");
        }
        Optional<InetAddress> ip = ipLiteral(host);
        List<String> names = new ArrayList<>();
        for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
            if (san.get(0) instanceof Integer type && san.get(1) instanceof String value) {
                if (type == RFC5280_DNS_NAME) {
                    names.add(value);
                    if (ip.isEmpty() && dnsMatches(value, host)) {
                        return Optional.empty();
                    }
                } else if (type == RFC5280_IP_ADDRESS) {
                    Optional<InetAddress> address = ipLiteral(value);
                    names.add(address.map(InetAddress::getHostAddress).orElse(value));
                    if (ip.isPresent() && ip.equals(address)) {
                        return Optional.empty();
                    }
                }
            }
        }
        if (names.isEmpty()) {
            return Optional.of("server certificate has no subjectAltName, so it cannot match \"" + host
                    + "\" (reissue it with a SAN such as " + (ip.isPresent() ? "IP:" : "DNS:") + host + ")");
        }
        return Optional.of("server certificate " + Names.quoted(cert) + " names " + String.join(", ", names)
                + ", not \"" + host + "\"");
    }

    private static String normalize(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
