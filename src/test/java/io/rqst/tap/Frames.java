package io.rqst.tap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Builds Ethernet/IP/TCP frames with correct checksums for offload tests. */
final class Frames {
    static final long SRC_MAC = 0x02_00_00_00_00_01L;
    static final long DST_MAC = 0x02_00_00_00_00_02L;

    private Frames() {}

    /** A TCP/IPv4 (or IPv6) frame with 12 bytes of timestamp options and {@code payload} bytes of a pattern. */
    static ByteBuf tcp(boolean v6, long seq, int flags, int payload, int ipId, int tsval) {
        int ipLen = v6 ? 40 : 20;
        int tcpLen = 32;
        ByteBuf b = Unpooled.directBuffer(14 + ipLen + tcpLen + payload);
        b.writeShort((int) (DST_MAC >>> 32)).writeInt((int) DST_MAC);
        b.writeShort((int) (SRC_MAC >>> 32)).writeInt((int) SRC_MAC);
        b.writeShort(v6 ? 0x86dd : 0x0800);
        int ip = b.writerIndex();
        if (v6) {
            b.writeInt(0x60000000).writeShort(tcpLen + payload).writeByte(6).writeByte(64);
            b.writeLong(0xfd00000000000000L).writeLong(1).writeLong(0xfd00000000000000L).writeLong(2);
        } else {
            b.writeByte(0x45).writeByte(0).writeShort(ipLen + tcpLen + payload).writeShort(ipId).writeShort(0x4000)
                    .writeByte(64).writeByte(6).writeShort(0).writeInt(0x0a080001).writeInt(0x0a080002);
        }
        int tcp = b.writerIndex();
        b.writeShort(5201).writeShort(40000).writeInt((int) seq).writeInt(777).writeByte((tcpLen / 4) << 4).writeByte(flags)
                .writeShort(63).writeShort(0).writeShort(0);
        b.writeByte(1).writeByte(1).writeByte(8).writeByte(10).writeInt(tsval).writeInt(99);
        for (int i = 0; i < payload; i++) {
            b.writeByte((int) ((seq + i) * 7));
        }
        if (!v6) {
            InetChecksum.setIpv4HeaderChecksum(b, ip);
        }
        long sum = InetChecksum.pseudoHeader(b, ip, v6, 6, tcpLen + payload);
        sum = InetChecksum.add(sum, b, tcp, tcpLen + payload);
        b.setShort(tcp + 16, InetChecksum.finish(sum));
        return b;
    }
}
