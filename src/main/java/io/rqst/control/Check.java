package io.rqst.control;

import static io.rqst.control.ControlProtocol.*;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/** Field checks shared by the message records and the decoder; failures name {@code Message.field}. */
final class Check {

    private Check() {}

    static void notNull(String field, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": missing");
        }
    }

    static void atLeast(String field, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(field + ": " + value + " is below " + min);
        }
    }

    static void range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + ": " + value + " is out of range " + min + ".." + max);
        }
    }

    static void string(String field, String value) {
        notNull(field, value);
        if (value.length() > MAX_STRING_CHARS) {
            throw new IllegalArgumentException(
                    field + ": " + value.length() + " chars, more than " + MAX_STRING_CHARS);
        }
    }

    static void nonEmpty(String field, String value) {
        string(field, value);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(field + ": empty");
        }
    }

    /** A lowercase token: {@code [a-z0-9][a-z0-9._-]*}, at most {@link ControlProtocol#MAX_CODE_CHARS}. */
    static void code(String field, String value) {
        nonEmpty(field, value);
        boolean ok = value.length() <= MAX_CODE_CHARS;
        for (int i = 0; ok && i < value.length(); i++) {
            char c = value.charAt(i);
            ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '.' || c == '_' || c == '-'));
        }
        if (!ok) {
            throw new IllegalArgumentException(field + ": " + quote(value) + " is not a lowercase token");
        }
    }

    /** Checks a list of non-empty strings and returns an immutable copy. */
    static List<String> strings(String field, List<String> values) {
        list(field, values);
        for (int i = 0; i < values.size(); i++) {
            nonEmpty(field + "[" + i + "]", values.get(i));
        }
        return List.copyOf(values);
    }

    /** Checks a list of IP literals (see {@link #ipLiteral}) and returns an immutable copy. */
    static List<String> ipLiterals(String field, List<String> values) {
        list(field, values);
        for (int i = 0; i < values.size(); i++) {
            String entry = field + "[" + i + "]";
            String value = values.get(i);
            nonEmpty(entry, value);
            if (ipLiteral(value).isEmpty()) {
                throw new IllegalArgumentException(entry + ": " + quote(value)
                        + " is not an IPv4 (a.b.c.d) or IPv6 literal without scope");
            }
        }
        return List.copyOf(values);
    }

    private static void list(String field, List<String> values) {
        notNull(field, values);
        if (values.size() > MAX_LIST_ENTRIES) {
            throw new IllegalArgumentException(
                    field + ": " + values.size() + " entries, more than " + MAX_LIST_ENTRIES);
        }
    }

    /**
     * Parses an IP literal strictly, never resolving a name: IPv4 only as four decimal octets without
     * leading zeros ({@code 010.0.0.1} is ambiguous), IPv6 as RFC 4291 text without brackets and without a
     * {@code %scope} (the receiver picks its own interface).
     */
    static Optional<InetAddress> ipLiteral(String s) {
        if (s.indexOf(':') >= 0) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                    return Optional.empty();
                }
            }
        } else if (!isDottedQuad(s)) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.ofLiteral(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static boolean isDottedQuad(String s) {
        int octets = 0;
        int i = 0;
        int n = s.length();
        while (i < n) {
            int start = i;
            int value = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 3) {
                value = value * 10 + (s.charAt(i) - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
                return false;
            }
            octets++;
            if (i == n) {
                break;
            }
            if (s.charAt(i) != '.' || octets == 4) {
                return false;
            }
            i++;
            if (i == n) {
                return false;
            }
        }
        return octets == 4;
    }

    /** A peer's string for an error message: quoted, all but printable ASCII escaped, at most 64 chars. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 64) + 8).append('"');
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > 64) {
            b.append("...");
        }
        return b.append('"').toString();
    }
}
