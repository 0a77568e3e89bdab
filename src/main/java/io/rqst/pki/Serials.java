package io.rqst.pki;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Certificate serial numbers as people see them: upper-case hex with an even number of digits, as
 * {@code openssl x509 -serial} prints them ({@code 1000}, {@code 3F1A9C...}); in sentences with a {@code 0x}
 * prefix so that they are not read as decimal ({@code serial 0x1000}).
 */
public final class Serials {
    private static final Pattern HEX = Pattern.compile("(?i)(0x)?[0-9a-f]+");

    private Serials() {}

    /** {@return the serial as upper-case hex with an even number of digits, e.g. {@code 1000} or {@code 0A}} */
    public static String hex(BigInteger serial) {
        String hex = serial.toString(16).toUpperCase(Locale.ROOT);
        return hex.length() % 2 == 1 ? "0" + hex : hex;
    }

    /** {@return the serial for a sentence: {@code 0x} and {@link #hex}} */
    public static String describe(BigInteger serial) {
        return "0x" + hex(serial);
    }

    /**
     * Reads a serial typed by a person: hex digits, optionally with a {@code 0x} prefix or with colons between
     * bytes (as {@code openssl x509 -text} shows them), in either case.
     *
     * @return the serial, or null if {@code text} is not such a number
     */
    public static BigInteger parse(String text) {
        String t = text.strip().replace(":", "");
        if (!HEX.matcher(t).matches()) {
            return null;
        }
        if (t.regionMatches(true, 0, "0x", 0, 2)) {
            t = t.substring(2);
        }
        return new BigInteger(1, HexFormat.of().parseHex(t.length() % 2 == 1 ? "0" + t : t));
    }
}
