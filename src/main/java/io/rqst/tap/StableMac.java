package io.rqst.tap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * MAC addresses that stay the same across restarts: derived from the machine, its network namespace
 * and the device's role, so that peers' neighbour caches, DHCP leases and bridges stay valid when a
 * server or client restarts (a random MAC per start leaves clients talking to the old one until their
 * ARP entry expires). Always unicast and locally administered (IEEE 802 U/L bit set).
 */
public final class StableMac {
    private StableMac() {}

    /** The stable MAC of device {@code role} (e.g. {@code "server:rqst-up0"}) on this host and network namespace. */
    public static long forRole(String role) {
        return derive(machineId() + "|" + netnsId() + "|" + role);
    }

    /** The MAC for a seed string: the first 6 bytes of its SHA-256, made unicast and locally administered. */
    static long derive(String seed) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (h[i] & 0xffL);
        }
        mac &= ~(1L << 40); // I/G bit clear: unicast
        mac |= 1L << 41;    // U/L bit set: locally administered
        return mac;
    }

    private static String machineId() {
        for (String p : new String[] {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
            try {
                String id = Files.readString(Path.of(p)).strip();
                if (!id.isEmpty()) {
                    return id;
                }
            } catch (IOException e) {
                // try the next one
            }
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The network namespace's identity (its inode), so that namespaces on one machine differ. */
    private static String netnsId() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }
}
