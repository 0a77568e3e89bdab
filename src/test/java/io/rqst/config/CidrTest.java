package io.rqst.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** {@link Cidr}: the {@code --address} values, as {@code ip addr add} takes them. */
class CidrTest {

    // Promise: an address with its prefix is read as written and printed back in ip's form.
    @ParameterizedTest(name = "{0}")
    @CsvSource(textBlock = """
            10.8.0.2/24,            10.8.0.2,     24, 10.8.0.2/24
            ' 10.8.0.2/24 ',        10.8.0.2,     24, 10.8.0.2/24
            192.0.2.1/32,           192.0.2.1,    32, 192.0.2.1/32
            0.0.0.0/0,              0.0.0.0,       0, 0.0.0.0/0
            fd00:8::2/64,           fd00:8::2,    64, fd00:8::2/64
            FD00:0008:0:0:0:0:0:2/64, fd00:8::2,  64, fd00:8::2/64
            2001:db8::1/128,        2001:db8::1, 128, 2001:db8::1/128
            ::/0,                   ::,            0, ::/0
            """)
    void parsesAndPrints(String text, String address, int prefix, String printed) {
        Cidr c = Cidr.parse(text);
        assertEquals(InetAddress.ofLiteral(address), c.address());
        assertEquals(prefix, c.prefix());
        assertEquals(printed, c.toString());
        assertEquals(c, Cidr.parse(c.toString()));
    }

    @Test
    void knowsItsFamily() {
        assertTrue(Cidr.parse("10.8.0.2/24").isIpv4());
        assertFalse(Cidr.parse("fd00::2/64").isIpv4());
    }

    // Promise: a bad --address is refused with one line quoting it and naming the wrong part.
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            10.8.0.2          | '10.8.0.2' has no prefix length (write it as 10.8.0.2/24 or fd00::2/64)
            10.8.0.2/33       | '10.8.0.2/33': prefix length /33 is more than 32
            fd00::2/129       | 'fd00::2/129': prefix length /129 is more than 128
            10.8.0.2/x        | '10.8.0.2/x': prefix length 'x' is not a number
            10.8.0.2/-1       | '10.8.0.2/-1': prefix length '-1' is not a number
            10.8.0.2/         | '10.8.0.2/': prefix length '' is not a number
            10.8.0.2/1000     | '10.8.0.2/1000': prefix length '1000' is not a number
            host.example/24   | 'host.example/24': 'host.example' is not an IP address
            10.8.0.256/24     | '10.8.0.256/24': '10.8.0.256' is not an IP address
            /24               | '/24': '' is not an IP address
            [fd00::2]/64      | '[fd00::2]/64': '[fd00::2]' is not an IP address
            """)
    void refusesNamingTheProblem(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
        assertEquals(message, e.getMessage());
    }

    // Promise: the record cannot hold a prefix its family does not have.
    @Test
    void recordChecksThePrefix() {
        assertThrows(IllegalArgumentException.class, () -> new Cidr(InetAddress.ofLiteral("10.0.0.1"), 33));
        assertThrows(IllegalArgumentException.class, () -> new Cidr(InetAddress.ofLiteral("10.0.0.1"), -1));
        assertEquals(128, new Cidr(InetAddress.ofLiteral("::1"), 128).prefix());
    }
}
