package io.rqst.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ListenAddress}: the server's {@code --listen} values. */
class ListenAddressTest {

    // Promise: IPv4 and IPv6 literals, with or without a port, bind where written; no port means --port.
    @ParameterizedTest(name = "{0}")
    @CsvSource(textBlock = """
            0.0.0.0,             0.0.0.0,     3456
            192.0.2.1:4000,      192.0.2.1,   4000
            ' 192.0.2.1 ',       192.0.2.1,   3456
            ::,                  ::,          3456
            2001:db8::1,         2001:db8::1, 3456
            [2001:db8::1]:4000,  2001:db8::1, 4000
            [::]:1,              ::,          1
            [::1],               ::1,         3456
            192.0.2.1:65535,     192.0.2.1,   65535
            """)
    void parses(String text, String address, int port) {
        InetSocketAddress a = ListenAddress.parse(text, 3456);
        assertEquals(new InetSocketAddress(InetAddress.ofLiteral(address), port), a);
        assertTrue(!a.isUnresolved());
    }

    // Promise: a bad --listen is refused in one line that quotes it and names the problem; names are not looked up.
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            localhost            | 'localhost' is not an IP address
            rqst.example.com:1   | 'rqst.example.com:1' is not an IP address
            192.0.2.1:0          | '192.0.2.1:0': port 0 is out of range 1-65535
            192.0.2.1:65536      | '192.0.2.1:65536': port 65536 is out of range 1-65535
            192.0.2.1:x          | '192.0.2.1:x' is not an IP address
            256.0.0.1            | '256.0.0.1' is not an IP address
            [192.0.2.1]:1        | '[192.0.2.1]:1': '192.0.2.1' in brackets is not an IPv6 address
            [2001:db8::zz]       | '[2001:db8::zz]': '2001:db8::zz' in brackets is not an IPv6 address
            [::1]:99999          | '[::1]:99999': port 99999 is out of range 1-65535
            fe80::1%eth0         | 'fe80::1%eth0' is not an IP address
            """)
    void refuses(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse(text, 3456));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
