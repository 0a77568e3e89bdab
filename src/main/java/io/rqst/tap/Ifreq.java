package io.rqst.tap;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.rqst.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Encoding of {@code struct ifreq} (linux/if.h, 40 bytes on 64-bit Linux): the interface name at
 * offset 0 ({@code IFNAMSIZ} bytes, NUL-terminated), then a union at offset 16 holding, depending on
 * the ioctl, {@code short ifr_flags}, {@code int ifr_mtu} or {@code struct sockaddr ifr_hwaddr}
 * ({@code sa_family} then {@code sa_data}). Fields are in native byte order.
 */
final class Ifreq {

    private Ifreq() {}

    /** {@code sizeof(struct ifreq)} on 64-bit Linux. */
    static final int SIZE = 40;
    /** Offset of the union ({@code ifr_flags}, {@code ifr_mtu}, {@code ifr_hwaddr}). */
    static final int UNION = Libc.IFNAMSIZ;
    /** Offset of {@code ifr_hwaddr.sa_data}, where a MAC address starts. */
    static final int HWADDR_DATA = UNION + 2;

    /** A zeroed ifreq carrying {@code name}, which must already be {@linkplain #checkName valid}. */
    static MemorySegment allocate(Arena arena, String name) {
        MemorySegment ifr = arena.allocate(SIZE, 8);
        setName(ifr, name);
        return ifr;
    }

    static void setName(MemorySegment ifr, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= Libc.IFNAMSIZ) {
            throw new IllegalArgumentException("interface name too long: " + name);
        }
        ifr.asSlice(0, Libc.IFNAMSIZ).fill((byte) 0);
        MemorySegment.copy(bytes, 0, ifr, JAVA_BYTE, 0, bytes.length);
    }

    /** The name as the kernel left it (it may rewrite it, e.g. a {@code %d} template). */
    static String name(MemorySegment ifr) {
        return ifr.asSlice(0, Libc.IFNAMSIZ).getString(0, StandardCharsets.US_ASCII);
    }

    static void setFlags(MemorySegment ifr, short flags) {
        ifr.set(JAVA_SHORT, UNION, flags);
    }

    static short flags(MemorySegment ifr) {
        return ifr.get(JAVA_SHORT, UNION);
    }

    static void setMtu(MemorySegment ifr, int mtu) {
        ifr.set(JAVA_INT, UNION, mtu);
    }

    static int mtu(MemorySegment ifr) {
        return ifr.get(JAVA_INT, UNION);
    }

    /** {@code ifr_hwaddr.sa_family}, {@link Libc#ARPHRD_ETHER} for an Ethernet device. */
    static short hwaddrFamily(MemorySegment ifr) {
        return ifr.get(JAVA_SHORT, UNION);
    }

    /** Sets {@code ifr_hwaddr} to an Ethernet MAC (first octet most significant). */
    static void setHwaddr(MemorySegment ifr, long mac) {
        ifr.set(JAVA_SHORT, UNION, Libc.ARPHRD_ETHER);
        for (int i = 0; i < 6; i++) {
            ifr.set(JAVA_BYTE, HWADDR_DATA + i, (byte) (mac >>> (8 * (5 - i))));
        }
    }

    /** The 6-byte MAC in {@code ifr_hwaddr.sa_data}, first octet most significant. */
    static long hwaddr(MemorySegment ifr) {
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (ifr.get(JAVA_BYTE, HWADDR_DATA + i) & 0xffL);
        }
        return mac;
    }

    /**
     * Checks an interface name the way the kernel would accept it and rqst can name it back:
     * 1 to 15 printable ASCII characters, no {@code /}, {@code :} or {@code %}, not {@code .} or {@code ..}.
     *
     * @throws IllegalArgumentException naming the input and what is wrong
     */
    static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("invalid TAP name '': must be 1 to 15 characters");
        }
        if (name.length() > Libc.IFNAMSIZ - 1) {
            throw new IllegalArgumentException("invalid TAP name '" + quote(name) + "': longer than 15 characters");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("invalid TAP name '" + name + "': reserved name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                throw new IllegalArgumentException(
                        "invalid TAP name '" + quote(name) + "': contains whitespace");
            }
            if (c == '/' || c == ':' || c == '%') {
                throw new IllegalArgumentException(
                        "invalid TAP name '" + name + "': contains '" + c + "'");
            }
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException(
                        "invalid TAP name '" + quote(name) + "': only printable ASCII characters are allowed");
            }
        }
        return name;
    }

    /** The name with anything but printable ASCII escaped, so that a message stays on one line. */
    static String quote(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x20 && c <= 0x7e) {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.toString();
    }
}
