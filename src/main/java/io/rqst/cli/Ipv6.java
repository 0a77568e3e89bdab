package io.rqst.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whether the host has IPv6 at all (it may be disabled in the kernel). */
final class Ipv6 {
    private Ipv6() {}

    static boolean available() {
        try {
            return Files.exists(Path.of("/proc/net/if_inet6"))
                    && !Files.readString(Path.of("/proc/sys/net/ipv6/conf/all/disable_ipv6")).trim().equals("1")
                    // and Netty's sockets are IPv6 ones: it decides once, at start (no IPv6 in a namespace whose
                    // loopback is still down, say), and an IPv4 socket cannot bind "::"
                    && (!io.rqst.transport.EventLoops.epoll() || io.netty.channel.unix.Socket.isIPv6Preferred());
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
