package io.rqst.hostnet;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address with a prefix length, as written in {@code ip} commands
 * ({@code 10.8.0.2/24}, {@code fd00::/64}), checked strictly before anything is run.
 */
record Cidr(InetAddress address, int length) {

    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Pattern LENGTH = Pattern.compile("\\d{1,3}");

    /**
     * Parses {@code text}; {@code what} names it in the message if it is not valid
     * (e.g. {@code "address"}, {@code "route prefix"}).
     */
    static Cidr parse(String what, String text) throws HostNetException {
        String usage = "invalid " + what + " '" + text
                + "': expected ADDRESS/LENGTH, e.g. 10.8.0.2/24 or fd00::2/64";
        int slash = text.indexOf('/');
        if (slash < 0 || !LENGTH.matcher(text.substring(slash + 1)).matches()) {
            throw new HostNetException(usage);
        }
        InetAddress address = parseAddress(text.substring(0, slash))
                .orElseThrow(() -> new HostNetException(usage));
        int length = Integer.parseInt(text.substring(slash + 1));
        int max = address.getAddress().length * 8;
        if (length > max) {
            throw new HostNetException("invalid " + what + " '" + text + "': prefix length " + length
                    + " is longer than the " + max + " bits of an " + family(address) + " address");
        }
        return new Cidr(address, length);
    }

    /**
     * Parses a plain IPv4 (dotted quad, decimal) or IPv6 address, without a scope or brackets;
     * empty if {@code text} is anything else (including IPv4-mapped IPv6 addresses).
     */
    static Optional<InetAddress> parseAddress(String text) {
        try {
            if (IPV4.matcher(text).matches()) {
                return Optional.of(Inet4Address.ofLiteral(text));
            }
            if (IPV6.matcher(text).matches()) {
                InetAddress parsed = Inet6Address.ofLiteral(text);
                return parsed instanceof Inet6Address ? Optional.of(parsed) : Optional.empty();
            }
        } catch (IllegalArgumentException e) {
            // not an address literal
        }
        return Optional.empty();
    }

    /** {@code address} as {@code ip} reads it: IPv6 compressed per RFC 5952, any scope dropped. */
    static String format(InetAddress address) {
        if (!isV6(address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        // The longest run of at least two zero groups becomes "::" (the first such run on a tie).
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
            } else {
                if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                    text.append(':');
                }
                text.append(Integer.toHexString(groups[i]));
            }
        }
        return text.toString();
    }

    static String family(InetAddress address) {
        return isV6(address) ? "IPv6" : "IPv4";
    }

    static boolean isV6(InetAddress address) {
        return address instanceof Inet6Address;
    }

    /** This prefix with every bit past {@link #length} cleared, e.g. {@code 10.8.0.0/24} for {@code 10.8.0.5/24}. */
    Cidr network() {
        byte[] bytes = address.getAddress();
        for (int bit = length; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return new Cidr(InetAddress.getByAddress(bytes), length);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }

    @Override
    public String toString() {
        return format(address) + "/" + length;
    }
}
