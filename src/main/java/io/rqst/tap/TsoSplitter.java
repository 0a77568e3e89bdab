package io.rqst.tap;

import io.netty.buffer.ByteBuf;
import io.rqst.sys.Memory;

/**
 * Turns one frame read from a TAP with {@code IFF_VNET_HDR} into ordinary Ethernet frames: a TSO
 * super-frame (up to 64 KiB of one TCP connection) becomes MSS-sized segments with their own IP
 * lengths, IDs, sequence numbers, flags and checksums, exactly as the kernel's software GSO would
 * have made them; a frame whose checksum the kernel left partial gets it completed. Frames on the
 * tunnel are therefore always complete and valid, whatever the peer is (an RQST peer included).
 *
 * <p>Sans-I/O and reusable: {@link #load} one frame, then take {@link #next} until
 * {@link #hasNext()} is false. One thread at a time.
 */
final class TsoSplitter {
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86dd;
    static final int ETHERTYPE_VLAN = 0x8100;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_UDP = 17;
    static final int TCP_FIN = 0x01;
    static final int TCP_PSH = 0x08;
    static final int TCP_CWR = 0x80;

    private ByteBuf src;
    private int start;
    private int length;
    private boolean gso;
    private boolean ipv6;
    private int ipOffset;
    private int tcpOffset;
    private int headerLen;
    private int mss;
    private int payloadLen;
    private int segments;
    private int index;
    private int firstId;
    private long firstSeq;
    private int needsCsumStart = -1;
    private int needsCsumOffset;

    /**
     * Takes one frame: {@code length} bytes at absolute index {@code start} of {@code src}, with the
     * fields of the virtio-net header the kernel put before it.
     *
     * @return false if the frame cannot be understood (it should be dropped and counted)
     */
    boolean load(ByteBuf src, int start, int length, int flags, int gsoType, int gsoSize, int csumStart, int csumOffset) {
        this.src = src;
        this.start = start;
        this.length = length;
        this.index = 0;
        this.needsCsumStart = -1;
        int type = gsoType & ~VirtioNet.GSO_ECN;
        if (type == VirtioNet.GSO_NONE) {
            gso = false;
            segments = 1;
            if ((flags & VirtioNet.F_NEEDS_CSUM) != 0) {
                if (csumStart + csumOffset + 2 > length || csumStart < TapDevice.ETHERNET_HEADER) {
                    return false;
                }
                needsCsumStart = csumStart;
                needsCsumOffset = csumOffset;
            }
            return length >= TapDevice.ETHERNET_HEADER;
        }
        if (type != VirtioNet.GSO_TCPV4 && type != VirtioNet.GSO_TCPV6) {
            return false; // we never offer UDP segmentation offload
        }
        gso = true;
        ipv6 = type == VirtioNet.GSO_TCPV6;
        int ethertype = src.getUnsignedShort(start + 12);
        ipOffset = TapDevice.ETHERNET_HEADER;
        if (ethertype == ETHERTYPE_VLAN) {
            ethertype = src.getUnsignedShort(start + 16);
            ipOffset += TapDevice.VLAN_TAG;
        }
        if (ethertype != (ipv6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4)) {
            return false;
        }
        tcpOffset = csumStart; // the kernel points csum_start at the TCP header
        if (tcpOffset < ipOffset + (ipv6 ? 40 : 20) || tcpOffset + 20 > length || gsoSize <= 0) {
            return false;
        }
        headerLen = tcpOffset + ((src.getUnsignedByte(start + tcpOffset + 12) >>> 4) * 4);
        if (headerLen > length) {
            return false;
        }
        mss = gsoSize;
        payloadLen = length - headerLen;
        segments = Math.max(1, (payloadLen + mss - 1) / mss);
        firstId = ipv6 ? 0 : src.getUnsignedShort(start + ipOffset + 4);
        firstSeq = src.getUnsignedInt(start + tcpOffset + 4);
        return true;
    }

    /** How many frames the loaded frame becomes. */
    int segments() {
        return segments;
    }

    boolean hasNext() {
        return index < segments;
    }

    /** The length of the longest frame {@link #next} will produce for the loaded frame. */
    int maxFrameLength() {
        return gso ? headerLen + Math.min(mss, Math.max(payloadLen, 0)) : length;
    }

    /** Drops what is left of the loaded frame. */
    void skip() {
        index = segments;
    }

    /** Appends the next frame to {@code out} (at its writer index); {@code out} needs room for one MTU frame. */
    void next(ByteBuf out) {
        int i = index++;
        int o = out.writerIndex();
        if (!gso) {
            Memory.append(out, src, start, length);
            if (needsCsumStart >= 0) {
                completeChecksum(out, o, length, needsCsumStart, needsCsumOffset);
            }
            return;
        }
        int from = i * mss;
        int len = Math.min(mss, payloadLen - from);
        Memory.append(out, src, start, headerLen);
        Memory.append(out, src, start + headerLen + from, len);
        int ip = o + ipOffset;
        int tcp = o + tcpOffset;
        int l4Len = headerLen - tcpOffset + len;
        if (ipv6) {
            out.setShort(ip + 4, tcpOffset - ipOffset - 40 + l4Len);
        } else {
            out.setShort(ip + 2, tcpOffset - ipOffset + l4Len);
            out.setShort(ip + 4, (firstId + i) & 0xffff);
            InetChecksum.setIpv4HeaderChecksum(out, ip);
        }
        out.setInt(tcp + 4, (int) (firstSeq + from));
        int flags = out.getUnsignedByte(tcp + 13);
        if (i != segments - 1) {
            flags &= ~(TCP_FIN | TCP_PSH);
        }
        if (i != 0) {
            flags &= ~TCP_CWR;
        }
        out.setByte(tcp + 13, flags);
        out.setShort(tcp + 16, 0);
        long sum = InetChecksum.pseudoHeader(out, ip, ipv6, IPPROTO_TCP, l4Len);
        sum = InetChecksum.add(sum, out, tcp, l4Len);
        out.setShort(tcp + 16, InetChecksum.finish(sum));
    }

    /**
     * Finishes a checksum the kernel left partial (CHECKSUM_PARTIAL): the field holds the
     * pseudo-header sum; sum from {@code csumStart} to the end, complement, store.
     */
    static void completeChecksum(ByteBuf frame, int at, int length, int csumStart, int csumOffset) {
        int field = at + csumStart + csumOffset;
        int c = InetChecksum.finish(InetChecksum.add(0, frame, at + csumStart, length - csumStart));
        if (c == 0 && csumOffset == 6) {
            c = 0xffff; // UDP (checksum at offset 6): zero means "no checksum" (RFC 768)
        }
        frame.setShort(field, c);
    }
}
