package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** {@link RouteMtu} against the kernel's own account of the loopback interface (no root needed). */
class RouteMtuTest {

    /** Promise: the route to a loopback address has lo's MTU, as /sys tells it (within IP's own cap), over IPv4 and IPv6. */
    @Test
    void theRouteToLoopbackHasLosMtu() throws Exception {
        int lo = Integer.parseInt(Files.readString(Path.of("/sys/class/net/lo/mtu")).trim());
        // a route's MTU is capped at IP_MAX_MTU (65535) and IP6_MAX_MTU (65535 + 40), net/ip.h and net/ip6_route.h
        assertEquals(OptionalInt.of(Math.min(lo, 65535)), RouteMtu.of(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 3456)));
        if (Files.exists(Path.of("/proc/net/if_inet6")) && Files.readString(Path.of("/proc/net/if_inet6")).contains(" lo")) {
            assertEquals(OptionalInt.of(Math.min(lo, 65575)), RouteMtu.of(new InetSocketAddress(InetAddress.ofLiteral("::1"), 3456)));
        }
    }

    /**
     * Promise: where the kernel has no route, there is no MTU and no error: a link-local IPv6 address without
     * its interface (the kernel refuses to connect to it) and an IPv4 broadcast (refused without SO_BROADCAST).
     */
    @Test
    void noRouteGivesNoMtu() {
        assertEquals(OptionalInt.empty(), RouteMtu.of(new InetSocketAddress(InetAddress.ofLiteral("fe80::1"), 3456)));
        assertEquals(OptionalInt.empty(), RouteMtu.of(new InetSocketAddress(InetAddress.ofLiteral("255.255.255.255"), 3456)));
    }
}
