package io.rqst.hub;

import io.netty.buffer.ByteBuf;

/**
 * MAC addresses as {@code long}s: the 48 bits in the low bits, the first octet most significant
 * ({@code 02:00:5e:10:00:01} is {@code 0x02005e100001L}). Allocation-free except {@link #toString(long)}.
 */
public final class Mac {

    /** Bytes of a MAC address (IEEE 802). */
    public static final int BYTES = 6;
    /** The broadcast address {@code ff:ff:ff:ff:ff:ff}. */
    public static final long BROADCAST = 0xffff_ffff_ffffL;
    /** The I/G (individual/group) bit, the least significant bit of the first octet (IEEE 802-2014 8.2). */
    public static final long IEEE802_GROUP_BIT = 1L << 40;
    /** The U/L (universal/local) bit, the second least significant bit of the first octet. */
    public static final long IEEE802_LOCAL_BIT = 1L << 41;

    private static final int DST_OFFSET = 0;
    private static final int SRC_OFFSET = 6;

    private Mac() {}

    /**
     * The destination MAC of the Ethernet frame at {@code frame}'s reader index; indexes untouched.
     *
     * @throws IndexOutOfBoundsException if fewer than 6 bytes are readable
     */
    public static long dst(ByteBuf frame) {
        return read(frame, DST_OFFSET);
    }

    /**
     * The source MAC of the Ethernet frame at {@code frame}'s reader index; indexes untouched.
     *
     * @throws IndexOutOfBoundsException if fewer than 12 bytes are readable
     */
    public static long src(ByteBuf frame) {
        return read(frame, SRC_OFFSET);
    }

    private static long read(ByteBuf frame, int offset) {
        if (frame.readableBytes() < offset + BYTES) {
            throw new IndexOutOfBoundsException(
                    "frame of " + frame.readableBytes() + " bytes has no MAC at offset " + offset);
        }
        int at = frame.readerIndex() + offset;
        return ((long) frame.getUnsignedShort(at) << 32) | frame.getUnsignedInt(at + 2);
    }

    /** Whether {@code mac} is a group address (multicast, including broadcast): its I/G bit is set. */
    public static boolean isMulticast(long mac) {
        return (mac & IEEE802_GROUP_BIT) != 0;
    }

    /** Whether {@code mac} is {@code ff:ff:ff:ff:ff:ff}. */
    public static boolean isBroadcast(long mac) {
        return mac == BROADCAST;
    }

    /** {@code mac} as six lowercase hex octets joined by colons, e.g. {@code 02:00:5e:10:00:01}. */
    public static String toString(long mac) {
        char[] s = new char[17];
        for (int i = 0; i < BYTES; i++) {
            int octet = (int) (mac >>> (40 - 8 * i)) & 0xff;
            s[3 * i] = Character.forDigit(octet >>> 4, 16);
            s[3 * i + 1] = Character.forDigit(octet & 0xf, 16);
            if (i < BYTES - 1) {
                s[3 * i + 2] = ':';
            }
        }
        return new String(s);
    }

    /**
     * Parses six hex octets of two digits each, separated by {@code :} (either case), e.g.
     * {@code 02:00:5E:10:00:01}.
     *
     * @throws IllegalArgumentException naming the input if it is not such an address
     */
    public static long parse(String s) {
        if (s.length() != 17) {
            throw new IllegalArgumentException("not a MAC address (xx:xx:xx:xx:xx:xx): \"" + s + "\"");
        }
        long mac = 0;
        for (int i = 0; i < BYTES; i++) {
            int hi = hex(s.charAt(3 * i));
            int lo = hex(s.charAt(3 * i + 1));
            if (hi < 0 || lo < 0 || (i < BYTES - 1 && s.charAt(3 * i + 2) != ':')) {
                throw new IllegalArgumentException("not a MAC address (xx:xx:xx:xx:xx:xx): \"" + s + "\"");
            }
            mac = (mac << 8) | (hi << 4) | lo;
        }
        return mac;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
