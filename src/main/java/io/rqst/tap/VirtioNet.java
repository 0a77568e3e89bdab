package io.rqst.tap;

import io.netty.buffer.ByteBuf;

/**
 * {@code struct virtio_net_hdr} (include/uapi/linux/virtio_net.h), the 10-byte header a TAP opened
 * with {@code IFF_VNET_HDR} puts before every frame: how the kernel left the checksum and whether
 * the frame is a TSO super-frame to segment. Little-endian on this (x86) host, as the tun driver
 * uses native order unless told otherwise.
 */
final class VirtioNet {
    /** sizeof(struct virtio_net_hdr). */
    static final int HDR_LEN = 10;
    /** The checksum at csum_start + csum_offset holds only the pseudo-header sum; finish it. */
    static final int F_NEEDS_CSUM = 1;
    /** The checksum is known good. */
    static final int F_DATA_VALID = 2;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_UDP = 3;
    static final int GSO_TCPV6 = 4;
    static final int GSO_UDP_L4 = 5;
    /** Flag in gso_type: the TCP segments carry ECN (CWR on the first only). */
    static final int GSO_ECN = 0x80;

    // field offsets
    static final int FLAGS = 0;
    static final int GSO_TYPE = 1;
    static final int HDR_LEN_FIELD = 2;
    static final int GSO_SIZE = 4;
    static final int CSUM_START = 6;
    static final int CSUM_OFFSET = 8;

    private VirtioNet() {}

    /** Writes a header at absolute index {@code at}. */
    static void write(ByteBuf buf, int at, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset) {
        buf.setByte(at + FLAGS, flags);
        buf.setByte(at + GSO_TYPE, gsoType);
        buf.setShortLE(at + HDR_LEN_FIELD, hdrLen);
        buf.setShortLE(at + GSO_SIZE, gsoSize);
        buf.setShortLE(at + CSUM_START, csumStart);
        buf.setShortLE(at + CSUM_OFFSET, csumOffset);
    }
}
