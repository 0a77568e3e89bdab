package io.rqst.ca;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x509.GeneralName;

/**
 * Names in certificates: the subjectAltName list of a server ({@code DNS:rqst.example.com,IP:203.0.113.1}, as
 * OpenSSL writes it) and the names rqst accepts for certificates.
 */
public final class AltNames {
    /** RFC 1035 label: letters, digits, hyphens inside; at most 63 characters. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    /** The other subjectAltName types OpenSSL's configuration syntax names. */
    private static final java.util.Set<String> OPENSSL_TYPES = java.util.Set.of("URI", "EMAIL", "RID", "DIRNAME", "OTHERNAME");
    /** X.520 ub-common-name. */
    private static final int MAX_NAME = 64;

    private AltNames() {}

    /**
     * Parses a subjectAltName list: entries separated by commas, each {@code DNS:NAME} or {@code IP:ADDRESS}
     * (spaces allowed, as in the RQST manual's {@code DNS: rqst.example.com}); a bare host name or address
     * is taken as DNS or IP.
     *
     * @throws IllegalArgumentException naming the entry that is wrong
     */
    public static List<GeneralName> parse(String list) {
        List<GeneralName> out = new ArrayList<>();
        for (String raw : list.split(",", -1)) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                throw new IllegalArgumentException("\"" + list + "\" has an empty entry (entries are DNS:NAME or IP:ADDRESS,"
                        + " separated by commas)");
            }
            int colon = entry.indexOf(':');
            String type = colon > 0 ? entry.substring(0, colon).strip().toUpperCase(Locale.ROOT) : "";
            if (type.equals("DNS")) {
                out.add(dns(entry.substring(colon + 1).strip()));
            } else if (type.equals("IP")) {
                out.add(ip(entry.substring(colon + 1).strip(), entry));
            } else if (OPENSSL_TYPES.contains(type)) {
                throw new IllegalArgumentException("\"" + entry + "\" is not DNS:NAME or IP:ADDRESS (rqst servers are"
                        + " known by DNS names and addresses)");
            } else if (IPV4.matcher(entry).matches()) {
                out.add(ip(entry, entry));
            } else if (colon < 0) {
                out.add(dns(entry));
            } else {
                try {
                    out.add(ip(entry, entry)); // an IPv6 address
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("\"" + entry + "\" is not DNS:NAME or IP:ADDRESS");
                }
            }
        }
        return out;
    }

    /** {@return the subjectAltName for a server's own name: IP if it is an address, DNS otherwise} */
    public static GeneralName forHost(String name) {
        return isIpLiteral(name) ? ip(name, name) : dns(name);
    }

    /** {@return names without repeats, in order} */
    public static List<GeneralName> distinct(List<GeneralName> names) {
        Set<GeneralName> seen = new LinkedHashSet<>(names);
        return List.copyOf(seen);
    }

    /** {@return e.g. {@code DNS:rqst.example.com} or {@code IP:203.0.113.1}} */
    public static String describe(GeneralName name) {
        return switch (name.getTagNo()) {
            case GeneralName.dNSName -> "DNS:" + name.getName();
            case GeneralName.iPAddress -> {
                byte[] bytes = org.bouncycastle.asn1.DEROctetString.getInstance(name.getName()).getOctets();
                try {
                    yield "IP:" + InetAddress.getByAddress(bytes).getHostAddress();
                } catch (java.net.UnknownHostException e) {
                    yield "IP:?";
                }
            }
            default -> name.toString();
        };
    }

    /**
     * Checks a certificate's name (its CN; a client's is the session's user): 1 to 64 characters, no control
     * characters, no slash or backslash (it names files), not starting with '-' or blank at either end.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("--name: a certificate needs a name");
        }
        if (name.length() > MAX_NAME) {
            throw new IllegalArgumentException("--name: \"" + name + "\" is longer than " + MAX_NAME + " characters");
        }
        if (!name.equals(name.strip()) || name.startsWith("-")) {
            throw new IllegalArgumentException("--name: \"" + name + "\" must not start with '-' or a space, nor end with a space");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c) || c == '/' || c == '\\') {
                throw new IllegalArgumentException("--name: \"" + name.replaceAll("\\p{Cntrl}", "?")
                        + "\" contains a control character, '/' or '\\'");
            }
        }
        return name;
    }

    private static boolean isIpLiteral(String s) {
        return s.contains(":") || IPV4.matcher(s).matches();
    }

    private static GeneralName dns(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        String[] labels = n.split("\\.", -1);
        boolean ok = !n.isEmpty() && n.length() <= 253;
        for (int i = 0; ok && i < labels.length; i++) {
            ok = LABEL.matcher(labels[i]).matches() || (i == 0 && labels[i].equals("*") && labels.length > 2);
        }
        if (!ok) {
            throw new IllegalArgumentException("\"" + name + "\" is not a DNS name (letters, digits and hyphens in"
                    + " dot-separated labels; a wildcard only as *.example.com)");
        }
        return new GeneralName(GeneralName.dNSName, n.toLowerCase(Locale.ROOT));
    }

    private static GeneralName ip(String address, String entry) {
        String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        try {
            return new GeneralName(GeneralName.iPAddress, InetAddress.ofLiteral(a).getHostAddress());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + entry + "\" is not an IP address");
        }
    }
}
