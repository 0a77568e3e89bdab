package io.rqst.config;

import java.net.IDN;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server address as users write it: {@code vpn://HOST[:PORT]} (RQST manual §2.4), where HOST is a
 * DNS name, an IPv4 literal or a bracketed IPv6 literal ({@code vpn://[2001:db8::1]:3456}).
 *
 * @param host the host as written, without brackets (the name the server certificate must carry)
 * @param port the UDP port, {@link #RQST_DEFAULT_PORT} when the URL names none
 */
public record VpnUrl(String host, int port) {

    /** The URL scheme of the RQST manual. */
    public static final String SCHEME = "vpn";
    /** The port RQST servers listen on (manual §2.4: {@code vpn://rqst.example.com:3456}). */
    public static final int RQST_DEFAULT_PORT = 3456;

    private static final Pattern FORM = Pattern.compile(
            "(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:\\[(?<v6>[^\\]]+)\\]|(?<host>[^:/\\[\\]]+))(?::(?<port>[^/]*))?(?<rest>/.*)?");
    private static final Pattern DNS_LABEL = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");

    public VpnUrl {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("server URL has no host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 1-65535");
        }
    }

    /**
     * Parses {@code vpn://HOST[:PORT]}. A bare {@code HOST[:PORT]} without scheme is accepted too.
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static VpnUrl parse(String text) {
        String s = text.strip();
        if (!s.contains("://")) {
            s = SCHEME + "://" + s;
        }
        Matcher m = FORM.matcher(s);
        // a host:port has one colon; more, without brackets, is an IPv6 address the user forgot to bracket
        String authority = s.substring(s.indexOf("://") + 3).replaceFirst("/.*", "");
        boolean unbracketedIpv6 = !authority.startsWith("[") && authority.indexOf(':') != authority.lastIndexOf(':');
        if (!m.matches()) {
            if (unbracketedIpv6 && s.regionMatches(true, 0, SCHEME + "://", 0, SCHEME.length() + 3)) {
                throw bracketsNeeded(text);
            }
            throw new IllegalArgumentException("'" + text + "' is not a server URL (expected vpn://HOST:PORT, e.g. vpn://rqst.example.com:3456)");
        }
        if (!m.group("scheme").equalsIgnoreCase(SCHEME)) {
            throw new IllegalArgumentException("'" + text + "': unsupported scheme '" + m.group("scheme") + "' (expected vpn://)");
        }
        if (unbracketedIpv6) {
            throw bracketsNeeded(text);
        }
        String rest = m.group("rest");
        if (rest != null && !rest.equals("/")) {
            throw new IllegalArgumentException("'" + text + "': a server URL has no path ('" + rest + "')");
        }
        String host;
        if (m.group("v6") != null) {
            host = m.group("v6");
            if (!isIpv6Literal(host)) {
                throw new IllegalArgumentException("'" + text + "': '" + host + "' in brackets is not an IPv6 address");
            }
        } else {
            host = m.group("host");
            if (!isIpv4Literal(host) && !isDnsName(host)) {
                throw new IllegalArgumentException("'" + text + "': '" + host + "' is not a valid host name or IP address");
            }
        }
        int port = RQST_DEFAULT_PORT;
        String p = m.group("port");
        if (p != null) {
            if (!p.matches("[0-9]+")) {
                throw new IllegalArgumentException("'" + text + "': port '" + p + "' is not a number");
            }
            String digits = p.replaceFirst("^0+(?=.)", "");
            port = digits.length() > 5 ? -1 : Integer.parseInt(digits);
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("'" + text + "': port " + digits + " is out of range 1-65535");
            }
        }
        return new VpnUrl(host, port);
    }

    private static IllegalArgumentException bracketsNeeded(String text) {
        return new IllegalArgumentException("'" + text + "': an IPv6 address must be written in brackets, e.g. vpn://[2001:db8::1]:3456");
    }

    /** The host as an IP address when it is a literal; empty for a DNS name. */
    public Optional<InetAddress> literalAddress() {
        if (isIpv4Literal(host) || isIpv6Literal(host)) {
            return Optional.of(Addresses.parseLiteral(host));
        }
        return Optional.empty();
    }

    /** The host in the form used for TLS name checks and SNI: lower case, IDN names in ASCII form. */
    public String tlsName() {
        return literalAddress().isPresent() ? host : toAscii(host).toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return SCHEME + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    static boolean isIpv4Literal(String s) {
        return Addresses.isIpv4Literal(s);
    }

    static boolean isIpv6Literal(String s) {
        return Addresses.isIpv6Literal(s);
    }

    /**
     * The ASCII (punycode) form of a host name. A name that is ASCII already stays as it is, as IDNA's
     * ToASCII would leave it, without initialising {@link IDN} (its Unicode tables cost a cold start
     * tens of milliseconds); the label checks are the caller's.
     */
    static String toAscii(String host) {
        for (int i = 0; i < host.length(); i++) {
            if (host.charAt(i) >= 0x80) {
                return IDN.toASCII(host);
            }
        }
        return host;
    }

    static boolean isDnsName(String s) {
        String ascii;
        try {
            ascii = toAscii(s);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (ascii.endsWith(".")) {
            ascii = ascii.substring(0, ascii.length() - 1);
        }
        if (ascii.isEmpty() || ascii.length() > 253 || ascii.matches("[0-9.]+")) {
            return false;
        }
        for (String label : ascii.split("\\.", -1)) {
            if (!DNS_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
