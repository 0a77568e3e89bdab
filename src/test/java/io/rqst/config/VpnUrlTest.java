package io.rqst.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link VpnUrl}: the server address a user types on the client's command line. */
class VpnUrlTest {

    // Promise: every form the manual shows (vpn://HOST[:PORT], bracketed IPv6, bare HOST[:PORT]) is understood.
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            vpn://rqst.example.com:3456   | rqst.example.com | 3456
            vpn://rqst.example.com        | rqst.example.com | 3456
            vpn://rqst.example.com:4000/  | rqst.example.com | 4000
            VPN://Rqst.Example.COM:1      | Rqst.Example.COM | 1
            vpn://192.0.2.1:65535         | 192.0.2.1        | 65535
            vpn://192.0.2.1               | 192.0.2.1        | 3456
            vpn://[2001:db8::1]:3456      | 2001:db8::1      | 3456
            vpn://[2001:db8::1]           | 2001:db8::1      | 3456
            vpn://[::1]:9                 | ::1              | 9
            rqst.example.com:4000         | rqst.example.com | 4000
            rqst.example.com              | rqst.example.com | 3456
            192.0.2.1:4000                | 192.0.2.1        | 4000
            [2001:db8::1]:4000            | 2001:db8::1      | 4000
            '  vpn://host-1.example:3456 '| host-1.example   | 3456
            vpn://_srv.example            | _srv.example     | 3456
            vpn://localhost               | localhost        | 3456
            """)
    void acceptsTheDocumentedForms(String text, String host, int port) {
        VpnUrl u = VpnUrl.parse(text);
        assertEquals(host, u.host());
        assertEquals(port, u.port());
    }

    // Promise: the default port is RQST's 3456, and the URL prints back in its canonical vpn:// form.
    @Test
    void defaultPortAndCanonicalForm() {
        assertEquals(3456, VpnUrl.RQST_DEFAULT_PORT);
        assertEquals("vpn://rqst.example.com:3456", VpnUrl.parse("rqst.example.com").toString());
        assertEquals("vpn://[2001:db8::1]:3456", VpnUrl.parse("vpn://[2001:db8::1]").toString());
        assertEquals("vpn://192.0.2.1:7", VpnUrl.parse("192.0.2.1:7").toString());
        assertEquals(VpnUrl.parse("vpn://h.example:5"), VpnUrl.parse(VpnUrl.parse("vpn://h.example:5").toString()));
    }

    // Promise: anything else is refused with one line that quotes the input and names what is wrong.
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            https://rqst.example.com        | unsupported scheme 'https'
            quic://rqst.example.com:3456    | unsupported scheme 'quic'
            https://2001:db8::1             | unsupported scheme 'https'
            https://[2001:db8::1]:443       | unsupported scheme 'https'
            vpn://rqst.example.com/path     | no path ('/path')
            vpn://rqst.example.com:3456/x/y | no path ('/x/y')
            vpn://rqst.example.com:abc      | port 'abc' is not a number
            vpn://rqst.example.com:         | port '' is not a number
            vpn://rqst.example.com:-1       | port '-1' is not a number
            vpn://rqst.example.com:0        | port 0 is out of range 1-65535
            vpn://rqst.example.com:00000    | port 0 is out of range 1-65535
            vpn://rqst.example.com:65536    | port 65536 is out of range 1-65535
            vpn://rqst.example.com:99999    | port 99999 is out of range 1-65535
            vpn://[2001:db8::zz]:3456       | '2001:db8::zz' in brackets is not an IPv6 address
            vpn://[192.0.2.1]:3456          | '192.0.2.1' in brackets is not an IPv6 address
            vpn://bad_host!                 | 'bad_host!' is not a valid host name or IP address
            vpn://user@rqst.example.com     | 'user@rqst.example.com' is not a valid host name or IP address
            vpn://-lead.example             | '-lead.example' is not a valid host name or IP address
            vpn://a..b                      | 'a..b' is not a valid host name or IP address
            vpn://999.0.0.1                 | '999.0.0.1' is not a valid host name or IP address
            vpn://192.0.2                   | '192.0.2' is not a valid host name or IP address
            vpn://                          | is not a server URL
            vpn://:3456                     | is not a server URL
            ''                              | is not a server URL
            """)
    void refusesOtherInputNamingTheProblem(String text, String problem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VpnUrl.parse(text));
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertTrue(e.getMessage().startsWith("'" + text + "'"), "quotes the input: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    // Promise: the common slip of an IPv6 address without brackets is named as such, not as a bad port.
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            vpn://2001:db8::1
            vpn://2001:db8::1:3456
            vpn://fe80::1
            vpn://::1
            vpn://::1/
            VPN://2001:db8::1
            2001:db8::1
            ::
            """)
    void unbracketedIpv6IsNamedAsSuch(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VpnUrl.parse(text));
        assertEquals("'" + text + "': an IPv6 address must be written in brackets, e.g. vpn://[2001:db8::1]:3456", e.getMessage());
    }

    // Promise: a port with too many digits is reported as out of range, not as "not a number".
    @Test
    void longPortIsOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VpnUrl.parse("vpn://h.example:123456"));
        assertEquals("'vpn://h.example:123456': port 123456 is out of range 1-65535", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VpnUrl.parse("vpn://h.example:99999999999999999999"));
        assertEquals("'vpn://h.example:99999999999999999999': port 99999999999999999999 is out of range 1-65535", e.getMessage());
        assertEquals(3456, VpnUrl.parse("vpn://h.example:03456").port());
    }

    // Promise: host names follow DNS limits (63-byte labels, 253-byte names), so typos fail before any lookup.
    @Test
    void dnsLengthLimits() {
        String label63 = "a".repeat(63);
        assertEquals(label63 + ".example", VpnUrl.parse("vpn://" + label63 + ".example").host());
        assertThrows(IllegalArgumentException.class, () -> VpnUrl.parse("vpn://" + "a".repeat(64) + ".example"));
        String name253 = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
        assertEquals(253, name253.length());
        assertEquals(name253, VpnUrl.parse(name253).host());
        assertThrows(IllegalArgumentException.class, () -> VpnUrl.parse(name253 + "e"));
    }

    // Promise: the name checked against the server certificate (and sent as SNI) is lower case, IDNs in ASCII form.
    @Test
    void tlsNameIsLowerCaseAsciiCompatible() {
        assertEquals("rqst.example.com", VpnUrl.parse("vpn://RQST.Example.Com").tlsName());
        assertEquals("xn--bcher-kva.example", VpnUrl.parse("vpn://bücher.example:3456").tlsName());
        assertEquals("xn--bcher-kva.example", VpnUrl.parse("vpn://BÜCHER.example").tlsName());
        assertEquals("bücher.example", VpnUrl.parse("vpn://bücher.example").host(), "host stays as written");
        assertEquals("192.0.2.1", VpnUrl.parse("vpn://192.0.2.1").tlsName());
        assertEquals("2001:db8::1", VpnUrl.parse("vpn://[2001:db8::1]").tlsName());
    }

    // Promise: IP literals are used as they are (no DNS lookup); names are left for the resolver.
    @Test
    void literalAddress() {
        Optional<InetAddress> v4 = VpnUrl.parse("vpn://192.0.2.1").literalAddress();
        assertTrue(v4.orElseThrow() instanceof Inet4Address);
        assertEquals(InetAddress.ofLiteral("192.0.2.1"), v4.get());
        Optional<InetAddress> v6 = VpnUrl.parse("vpn://[2001:db8::1]:3456").literalAddress();
        assertTrue(v6.orElseThrow() instanceof Inet6Address);
        assertEquals(InetAddress.ofLiteral("2001:db8::1"), v6.get());
        assertEquals(Optional.empty(), VpnUrl.parse("vpn://rqst.example.com").literalAddress());
        assertEquals(Optional.empty(), VpnUrl.parse("vpn://localhost").literalAddress());
    }

    // Promise: the record itself refuses a value no parse could produce.
    @Test
    void recordChecksItsFields() {
        assertThrows(IllegalArgumentException.class, () -> new VpnUrl("", 3456));
        assertThrows(IllegalArgumentException.class, () -> new VpnUrl(null, 3456));
        assertThrows(IllegalArgumentException.class, () -> new VpnUrl("h", 0));
        assertThrows(IllegalArgumentException.class, () -> new VpnUrl("h", 65536));
    }

    // Promise: an ASCII name is its own ASCII form, exactly as IDNA's ToASCII gives it (the shortcut skips IDN's tables).
    @org.junit.jupiter.api.Test
    void asciiNamesAreTheirOwnAsciiForm() {
        for (String n : new String[] {"rqst.example.com", "RQST.Example.COM", "a-b.c_d.example.", "x", "xn--bcher-kva.example", "10.0.0.1"}) {
            assertEquals(java.net.IDN.toASCII(n), VpnUrl.toAscii(n), n);
        }
        assertEquals(java.net.IDN.toASCII("bücher.example"), VpnUrl.toAscii("bücher.example"));
    }
}
