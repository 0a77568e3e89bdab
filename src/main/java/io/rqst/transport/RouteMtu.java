package io.rqst.transport;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.rqst.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.OptionalInt;

/**
 * The MTU the kernel knows for the route to an address: its outgoing interface's (a PPPoE link's 1492, a
 * WireGuard interface's 1420), a route's own {@code mtu}, or a path MTU it has learnt from ICMP. It is read
 * with {@code IP_MTU} / {@code IPV6_MTU} (ip(7), ipv6(7)) from a UDP socket connected to the address, which
 * sends nothing.
 */
public final class RouteMtu {
    private RouteMtu() {}

    /** The kernel's MTU for packets to {@code to}, or empty when it has none (no route, no such address family). */
    public static OptionalInt of(InetSocketAddress to) {
        boolean v6 = to.getAddress() instanceof Inet6Address;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = Libc.newErrnoSegment(arena);
            int fd = Libc.socket(cap, v6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                return OptionalInt.empty();
            }
            try {
                MemorySegment address = sockaddr(arena, to, v6);
                if (Libc.connect(cap, fd, address.address(), (int) address.byteSize()) != 0) {
                    return OptionalInt.empty();
                }
                MemorySegment value = arena.allocate(JAVA_INT);
                MemorySegment length = arena.allocate(JAVA_INT);
                length.set(JAVA_INT, 0, Integer.BYTES);
                if (Libc.getsockopt(cap, fd, v6 ? Libc.IPPROTO_IPV6 : Libc.IPPROTO_IP, v6 ? Libc.IPV6_MTU : Libc.IP_MTU,
                        value.address(), length.address()) != 0) {
                    return OptionalInt.empty();
                }
                int mtu = value.get(JAVA_INT, 0);
                return mtu > 0 ? OptionalInt.of(mtu) : OptionalInt.empty();
            } finally {
                Libc.close(fd);
            }
        }
    }

    /** A zeroed {@code struct sockaddr_in} or {@code sockaddr_in6} for {@code to}. */
    private static MemorySegment sockaddr(Arena arena, InetSocketAddress to, boolean v6) {
        MemorySegment sa = arena.allocate(v6 ? Libc.SOCKADDR_IN6_SIZE : Libc.SOCKADDR_IN_SIZE, 4);
        sa.set(JAVA_SHORT, 0, (short) (v6 ? Libc.AF_INET6 : Libc.AF_INET));
        sa.set(JAVA_BYTE, 2, (byte) (to.getPort() >>> 8)); // sin_port, network order
        sa.set(JAVA_BYTE, 3, (byte) to.getPort());
        byte[] raw = to.getAddress().getAddress();
        MemorySegment.copy(raw, 0, sa, JAVA_BYTE, v6 ? 8 : 4, raw.length);
        if (v6) {
            sa.set(JAVA_INT, 24, ((Inet6Address) to.getAddress()).getScopeId());
        }
        return sa;
    }
}
