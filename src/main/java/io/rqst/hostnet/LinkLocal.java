package io.rqst.hostnet;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Reads an interface's IPv6 link-local address from {@code /proc/net/if_inet6}. */
public final class LinkLocal {
    /** include/net/ipv6.h: IPV6_ADDR_LINKLOCAL scope as /proc/net/if_inet6 prints it. */
    static final int IPV6_ADDR_SCOPE_LINKLOCAL = 0x20;
    private static final Path IF_INET6 = Path.of("/proc/net/if_inet6");

    private LinkLocal() {}

    /** The link-local address of {@code dev}, waiting up to {@code waitMillis} for the kernel to add it. */
    public static Optional<Inet6Address> of(String dev, long waitMillis) {
        long deadline = System.currentTimeMillis() + waitMillis;
        while (true) {
            try {
                Optional<Inet6Address> a = parse(Files.readAllLines(IF_INET6), dev);
                if (a.isPresent() || System.currentTimeMillis() >= deadline) {
                    return a;
                }
                Thread.sleep(50);
            } catch (IOException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    /** Finds {@code dev}'s link-local address in the lines of {@code /proc/net/if_inet6}. */
    static Optional<Inet6Address> parse(List<String> lines, String dev) {
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || !f[5].equals(dev)) {
                continue;
            }
            if (Integer.parseInt(f[3], 16) != IPV6_ADDR_SCOPE_LINKLOCAL || f[0].length() != 32) {
                continue;
            }
            try {
                return Optional.of((Inet6Address) InetAddress.getByAddress(HexFormat.of().parseHex(f[0])));
            } catch (UnknownHostException | IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
