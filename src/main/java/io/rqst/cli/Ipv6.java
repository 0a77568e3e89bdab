package io.rqst.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whether the host has IPv6 at all (it may be disabled in the kernel). */
final class Ipv6 {
    private Ipv6() {}

    static boolean available() {
        try {
            return Files.exists(Path.of("/proc/net/if_inet6"))
                    && !Files.readString(Path.of("/proc/sys/net/ipv6/conf/all/disable_ipv6")).trim().equals("1");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
