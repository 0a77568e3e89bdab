package io.rqst.tap;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Builds and parses the few Ethernet/IPv4 frames the TAP tests use. */
final class TestFrames {

    private TestFrames() {}

    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int IPPROTO_ICMP = 1;
    static final int IPPROTO_UDP = 17;
    static final int ICMP_ECHO_REPLY = 0;
    static final int ICMP_ECHO_REQUEST = 8;

    /** The readable bytes of {@code buf}, copied; indexes unchanged. */
    static byte[] bytes(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }

    static long dstMac(byte[] frame) {
        return mac(frame, 0);
    }

    static long srcMac(byte[] frame) {
        return mac(frame, 6);
    }

    static int etherType(byte[] frame) {
        return ((frame[12] & 0xff) << 8) | (frame[13] & 0xff);
    }

    private static long mac(byte[] frame, int offset) {
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (frame[offset + i] & 0xffL);
        }
        return mac;
    }

    /** An Ethernet frame carrying an IPv4 packet with {@code l4} as payload (TTL 64, no options). */
    static byte[] ipv4Frame(long dstMac, long srcMac, int protocol, byte[] srcIp, byte[] dstIp, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + l4.length);
        putMac(b, dstMac);
        putMac(b, srcMac);
        b.putShort((short) ETHERTYPE_IPV4);
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length));
        b.putShort((short) 0x4242).putShort((short) 0x4000); // id, DF
        b.put((byte) 64).put((byte) protocol).putShort((short) 0);
        b.put(srcIp).put(dstIp);
        b.putShort(ip + 10, (short) checksum(b.array(), ip, 20));
        b.put(l4);
        return b.array();
    }

    /** An ICMP echo message (request or reply) with its checksum. */
    static byte[] icmpEcho(int type, int id, int seq, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.put((byte) type).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq);
        b.put(payload);
        b.putShort(2, (short) checksum(b.array(), 0, b.capacity()));
        return b.array();
    }

    /** The Internet checksum (RFC 1071) of {@code len} bytes at {@code off}. */
    static int checksum(byte[] data, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((data[off + i] & 0xff) << 8) | (data[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (data[off + len - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static void putMac(ByteBuffer b, long mac) {
        for (int shift = 40; shift >= 0; shift -= 8) {
            b.put((byte) (mac >>> shift));
        }
    }

    /** An IPv4 packet in a frame: addresses, protocol and the L4 bytes. */
    record Ipv4(byte[] src, byte[] dst, int protocol, byte[] l4, boolean headerChecksumOk) {}

    /** The IPv4 packet in {@code frame}, or null if it carries something else. */
    static Ipv4 ipv4(byte[] frame) {
        if (frame.length < 34 || etherType(frame) != ETHERTYPE_IPV4 || (frame[14] >>> 4) != 4) {
            return null;
        }
        int ihl = (frame[14] & 0x0f) * 4;
        int total = ((frame[16] & 0xff) << 8) | (frame[17] & 0xff);
        if (total < ihl || 14 + total > frame.length) {
            return null;
        }
        return new Ipv4(Arrays.copyOfRange(frame, 26, 30), Arrays.copyOfRange(frame, 30, 34),
                frame[23] & 0xff, Arrays.copyOfRange(frame, 14 + ihl, 14 + total),
                checksum(frame, 14, ihl) == 0);
    }

    /** A UDP datagram: ports and payload. */
    record Udp(int srcPort, int dstPort, byte[] payload) {}

    /** The UDP datagram in {@code frame}, or null if it carries something else. */
    static Udp udp(byte[] frame) {
        Ipv4 ip = ipv4(frame);
        if (ip == null || ip.protocol() != IPPROTO_UDP || ip.l4().length < 8) {
            return null;
        }
        byte[] l4 = ip.l4();
        int length = ((l4[4] & 0xff) << 8) | (l4[5] & 0xff);
        return new Udp(((l4[0] & 0xff) << 8) | (l4[1] & 0xff), ((l4[2] & 0xff) << 8) | (l4[3] & 0xff),
                Arrays.copyOfRange(l4, 8, length));
    }

    /** An ICMP echo message. */
    record Echo(int type, int id, int seq, byte[] payload, boolean checksumOk) {}

    /** The ICMP echo message in {@code frame}, or null if it carries something else. */
    static Echo echo(byte[] frame) {
        Ipv4 ip = ipv4(frame);
        if (ip == null || ip.protocol() != IPPROTO_ICMP || ip.l4().length < 8) {
            return null;
        }
        byte[] l4 = ip.l4();
        int type = l4[0] & 0xff;
        if (type != ICMP_ECHO_REPLY && type != ICMP_ECHO_REQUEST) {
            return null;
        }
        return new Echo(type, ((l4[4] & 0xff) << 8) | (l4[5] & 0xff), ((l4[6] & 0xff) << 8) | (l4[7] & 0xff),
                Arrays.copyOfRange(l4, 8, l4.length), checksum(l4, 0, l4.length) == 0);
    }
}
