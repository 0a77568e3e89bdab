package io.rqst.hostnet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link LinkLocal#parse}: the server announces its uplink's IPv6 link-local address as a gateway. */
class LinkLocalTest {

    /** /proc/net/if_inet6 as a Linux 6.x host prints it: address, ifindex, prefix length, scope, flags, name. */
    static final List<String> IF_INET6 = List.of(
            "fd000000000000000000000000000002 04 40 00 82     eth0",
            "fe8000000000000000fc00fffe000001 04 40 20 80     eth0",
            "00000000000000000000000000000001 01 80 10 80       lo",
            "20010db8000000000000000000000001 07 40 00 00  rqst-up0",
            "fe800000000000000000000000000abc 07 40 20 c0  rqst-up0",
            "fe8000000000000000000000000000aa 08 40 20 80 eth0.100",
            "fe8000000000000012345678abcdef01 09 40 20 80 rqst-up01");

    // Promise: the link-local (scope 0x20) address of exactly the named device is found, whatever comes before it.
    @Test
    void findsTheDevicesLinkLocalAddress() {
        assertEquals(Optional.of(InetAddress.ofLiteral("fe80::fc:ff:fe00:1")), LinkLocal.parse(IF_INET6, "eth0"));
        assertEquals(Optional.of(InetAddress.ofLiteral("fe80::abc")), LinkLocal.parse(IF_INET6, "rqst-up0"), "global address skipped");
        assertEquals(Optional.of(InetAddress.ofLiteral("fe80::aa")), LinkLocal.parse(IF_INET6, "eth0.100"));
        assertEquals(Optional.of(InetAddress.ofLiteral("fe80::1234:5678:abcd:ef01")), LinkLocal.parse(IF_INET6, "rqst-up01"));
    }

    // Promise: no link-local address means none is announced (loopback has host scope only; unknown devices have nothing).
    @Test
    void emptyWhenThereIsNone() {
        assertEquals(Optional.empty(), LinkLocal.parse(IF_INET6, "lo"));
        assertEquals(Optional.empty(), LinkLocal.parse(IF_INET6, "rqst0"));
        assertEquals(Optional.empty(), LinkLocal.parse(IF_INET6, "eth"), "a name prefix is not the device");
        assertEquals(Optional.empty(), LinkLocal.parse(List.of(), "eth0"));
        assertEquals(Optional.empty(), LinkLocal.parse(List.of("", "garbage", "fe80 04 40 20 80 eth0"), "eth0"));
    }

    // Promise: the parser reads the live file of this machine without failing (whatever its devices are).
    @Test
    void readsThisHostsFile() throws Exception {
        java.nio.file.Path p = java.nio.file.Path.of("/proc/net/if_inet6");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(p), "no IPv6 on this host");
        List<String> lines = java.nio.file.Files.readAllLines(p);
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            Optional<java.net.Inet6Address> a = LinkLocal.parse(lines, f[5]);
            if (Integer.parseInt(f[3], 16) == LinkLocal.IPV6_ADDR_SCOPE_LINKLOCAL) {
                assertEquals(true, a.isPresent() && a.get().isLinkLocalAddress(), line);
            }
        }
    }
}
