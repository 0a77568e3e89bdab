package io.rqst.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Addresses}: IP literals without DNS, printed the way {@code ip} prints them. */
class AddressesTest {

    // Promise: IPv6 is printed as `ip` (glibc inet_ntop) prints it, RFC 5952 form. The expected column
    // was produced by glibc's inet_ntop (python3 socket.inet_ntop) on the input of the first column.
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(textBlock = """
            2001:db8:0:0:0:0:2:1,                    2001:db8::2:1
            2001:db8:0:1:1:1:1:1,                    2001:db8:0:1:1:1:1:1
            2001:0:0:1:0:0:0:1,                      2001:0:0:1::1
            2001:db8:0:0:1:0:0:1,                    2001:db8::1:0:0:1
            0:0:0:0:0:0:0:0,                         ::
            0:0:0:0:0:0:0:1,                         ::1
            1:0:0:0:0:0:0:0,                         1::
            fe80:0:0:0:fc:ff:fe00:1,                 fe80::fc:ff:fe00:1
            2001:0DB8:0000:0000:0000:ff00:0042:8329, 2001:db8::ff00:42:8329
            0:0:1:0:0:0:0:0,                         0:0:1::
            fd00:8:0:0:0:0:0:2,                      fd00:8::2
            0:1:0:1:0:1:0:1,                         0:1:0:1:0:1:0:1
            ff02:0:0:0:0:0:0:1,                      ff02::1
            abcd:ef01:2345:6789:abcd:ef01:2345:6789, abcd:ef01:2345:6789:abcd:ef01:2345:6789
            1:0:0:2:0:0:0:3,                         1:0:0:2::3
            0:0:0:1:0:0:0:0,                         0:0:0:1::
            """)
    void formatsIpv6LikeIp(String full, String expected) {
        assertEquals(expected, Addresses.format(InetAddress.ofLiteral(full)));
    }

    // Promise: IPv4 prints as a dotted quad.
    @Test
    void formatsIpv4() {
        assertEquals("192.0.2.1", Addresses.format(InetAddress.ofLiteral("192.0.2.1")));
        assertEquals("0.0.0.0", Addresses.format(InetAddress.ofLiteral("0.0.0.0")));
    }

    // Promise: every printed IPv6 address reads back as the same address and follows RFC 5952 §4
    // (lower case, no leading zeros, "::" only for the longest run of two or more zero groups, the first
    // of equal runs). The oracle below works on strings, independently of Addresses.format's arithmetic.
    @Test
    void randomIpv6AddressesRoundTripInCanonicalForm() throws Exception {
        Random random = new Random(5952);
        for (int n = 0; n < 5000; n++) {
            byte[] b = new byte[16];
            for (int i = 0; i < 8; i++) {
                int word = random.nextInt(3) == 0 ? random.nextInt(0x10000) : 0; // mostly zeros: many runs
                if (random.nextInt(8) == 0) {
                    word = random.nextInt(16);
                }
                b[2 * i] = (byte) (word >> 8);
                b[2 * i + 1] = (byte) word;
            }
            InetAddress a = Inet6Address.getByAddress(null, b, -1);
            String s = Addresses.format(a);
            assertEquals(canonical(a), s, a.getHostAddress());
            assertEquals(a, Addresses.parseLiteral(s), s);
        }
    }

    /** RFC 5952 text form by string surgery on Java's full form (e.g. 2001:db8:0:0:0:0:2:1). */
    private static String canonical(InetAddress a) {
        String[] w = a.getHostAddress().split(":");
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && w[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
        }
        if (bestStart < 0) {
            return String.join(":", w);
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(w, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(w, bestStart + bestLen, 8));
        return head + "::" + tail;
    }

    // Promise: literals are recognised without any name lookup, and only literals.
    @ParameterizedTest
    @ValueSource(strings = {"192.0.2.1", "0.0.0.0", "255.255.255.255", "10.8.0.1"})
    void ipv4Literals(String s) {
        assertTrue(Addresses.isIpv4Literal(s));
        assertFalse(Addresses.isIpv6Literal(s));
        assertEquals(InetAddress.ofLiteral(s), Addresses.parseLiteral(s));
    }

    @ParameterizedTest
    @ValueSource(strings = {"::", "::1", "2001:db8::1", "fe80::fc:ff:fe00:1", "2001:DB8:0:0:0:0:2:1", "1:2:3:4:5:6:7:8"})
    void ipv6Literals(String s) {
        assertTrue(Addresses.isIpv6Literal(s));
        assertFalse(Addresses.isIpv4Literal(s));
        assertEquals(InetAddress.ofLiteral(s), Addresses.parseLiteral(s));
    }

    // Promise: names, bad quads, zones and brackets are not literals, and parseLiteral says so in one line.
    @ParameterizedTest
    @ValueSource(strings = {"localhost", "rqst.example.com", "256.0.0.1", "192.0.2", "192.0.2.1.5", "010.0.0.1", "1.2.3.4 ",
            "2001:db8::zz", "1:2", "fe80::1%eth0", "[::1]", "", ":::", "1:2:3:4:5:6:7:8:9", "2001:db8::1/64"})
    void nonLiterals(String s) {
        assertFalse(Addresses.isIpv4Literal(s) || Addresses.isIpv6Literal(s), s);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parseLiteral(s));
        assertEquals("'" + s + "' is not an IP address", e.getMessage());
    }
}
