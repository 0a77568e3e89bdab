package io.rqst.tap;

import io.netty.buffer.ByteBuf;

/** Argument checks and small helpers shared by the {@link TapDevice} implementations. */
final class Taps {

    private Taps() {}

    /** The smallest MTU accepted: IPv4's minimum (RFC 791), as the kernel's {@code ETH_MIN_MTU}. */
    static final int MIN_MTU = 68;
    /** The largest MTU accepted (the kernel may accept less for a given device). */
    static final int MAX_MTU = 65535;

    /**
     * Checks an MTU for device {@code name}.
     *
     * @throws IllegalArgumentException naming the device, the value and the range
     */
    static int checkMtu(String name, int mtu) {
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("invalid MTU " + mtu + " for TAP '" + Ifreq.quote(name)
                    + "': must be " + MIN_MTU + " to " + MAX_MTU);
        }
        return mtu;
    }

    /**
     * Checks the arguments of {@link TapDevice#read} against its contract: the caller is a platform
     * thread, {@code 1 <= count <= bufs.length}, and each of {@code bufs[0..count)} is accessible, has a
     * memory address and at least {@code frameCapacity} writable bytes.
     *
     * @throws IllegalArgumentException or IllegalStateException naming what is wrong
     */
    static void checkRead(ByteBuf[] bufs, int count, int frameCapacity) {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("TapDevice.read must be called on a platform thread");
        }
        if (count < 1 || count > bufs.length) {
            throw new IllegalArgumentException(
                    "read count " + count + " is outside 1.." + bufs.length + " (the number of buffers)");
        }
        for (int i = 0; i < count; i++) {
            ByteBuf buf = bufs[i];
            if (buf == null) {
                throw new IllegalArgumentException("read buffer " + i + " is null");
            }
            if (buf.refCnt() == 0) {
                throw new IllegalArgumentException("read buffer " + i + " is released");
            }
            if (!buf.hasMemoryAddress()) {
                throw new IllegalArgumentException("read buffer " + i + " has no memory address (use a direct buffer)");
            }
            if (buf.writableBytes() < frameCapacity) {
                throw new IllegalArgumentException("read buffer " + i + " has " + buf.writableBytes()
                        + " writable bytes, needs at least " + frameCapacity);
            }
        }
    }

    /** Checks the argument of {@link TapDevice#write}: a frame in memory with an address. */
    static void checkWrite(ByteBuf frame) {
        if (!frame.hasMemoryAddress()) {
            throw new IllegalArgumentException("frame buffer has no memory address (use a direct buffer)");
        }
    }

    /** {@code 02:00:5e:10:00:01} for the MAC in the low 48 bits of {@code mac}. */
    static String formatMac(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int octet = (int) (mac >>> shift) & 0xff;
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xf, 16));
            if (shift > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
