package io.rqst.config;

import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A local UDP address to listen on: {@code 0.0.0.0}, {@code 192.0.2.1:3456}, {@code ::}, {@code [2001:db8::1]:3456}. */
public final class ListenAddress {
    private static final Pattern BRACKETED = Pattern.compile("\\[([^\\]]+)\\](?::([0-9]{1,5}))?");
    private static final Pattern V4_PORT = Pattern.compile("([0-9.]+):([0-9]{1,5})");

    private ListenAddress() {}

    /**
     * Parses one listen address; {@code defaultPort} applies when none is written.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static InetSocketAddress parse(String text, int defaultPort) {
        String s = text.strip();
        String host;
        String port = null;
        Matcher m;
        if ((m = BRACKETED.matcher(s)).matches()) {
            host = m.group(1);
            port = m.group(2);
            if (!Addresses.isIpv6Literal(host)) {
                throw new IllegalArgumentException("'" + text + "': '" + host + "' in brackets is not an IPv6 address");
            }
        } else if ((m = V4_PORT.matcher(s)).matches()) {
            host = m.group(1);
            port = m.group(2);
        } else {
            host = s;
        }
        if (!Addresses.isIpv4Literal(host) && !Addresses.isIpv6Literal(host)) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address (examples: 0.0.0.0, ::, 192.0.2.1:3456, [2001:db8::1]:3456)");
        }
        int p = defaultPort;
        if (port != null) {
            p = Integer.parseInt(port);
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("'" + text + "': port " + p + " is out of range 1-65535");
            }
        }
        return new InetSocketAddress(Addresses.parseLiteral(host), p);
    }
}
