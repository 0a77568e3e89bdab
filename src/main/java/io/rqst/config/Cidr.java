package io.rqst.config;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An interface address with its prefix length, as {@code ip addr add} takes it: {@code 10.8.0.2/24},
 * {@code fd00:8::2/64}.
 *
 * @param address the host address
 * @param prefix  the prefix length (0-32 for IPv4, 0-128 for IPv6)
 */
public record Cidr(InetAddress address, int prefix) {

    public Cidr {
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("prefix /" + prefix + " is out of range 0-" + max);
        }
    }

    /**
     * Parses {@code ADDRESS/PREFIX}.
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static Cidr parse(String text) {
        String s = text.strip();
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' has no prefix length (write it as 10.8.0.2/24 or fd00::2/64)");
        }
        String a = s.substring(0, slash);
        String p = s.substring(slash + 1);
        InetAddress address;
        try {
            address = Addresses.parseLiteral(a);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "': '" + a + "' is not an IP address");
        }
        if (!p.matches("[0-9]{1,3}")) {
            throw new IllegalArgumentException("'" + text + "': prefix length '" + p + "' is not a number");
        }
        int prefix = Integer.parseInt(p);
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefix > max) {
            throw new IllegalArgumentException("'" + text + "': prefix length /" + prefix + " is more than " + max);
        }
        return new Cidr(address, prefix);
    }

    /** True for an IPv4 address. */
    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    @Override
    public String toString() {
        return Addresses.format(address) + "/" + prefix;
    }
}
