package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TSO segmentation and checksum completion produce exactly the frames a sender without offloads
 * would have sent (byte for byte, checksums included), and GRO output segments back into its input.
 */
class TsoSplitterTest {
    static final int ACK = 0x10;
    static final int PSH = 0x08;
    static final int FIN = 0x01;

    /** A super-frame as the kernel hands it with TSO: one header, all payload, the TCP checksum partial. */
    static ByteBuf superFrame(boolean v6, long seq, int flags, int payload, int ipId) {
        ByteBuf f = Frames.tcp(v6, seq, flags, payload, ipId, 5);
        int tcp = 14 + (v6 ? 40 : 20);
        f.setShort(tcp + 16, InetChecksum.fold(InetChecksum.pseudoHeader(f, 14, v6, 6, f.readableBytes() - tcp)));
        return f;
    }

    static List<ByteBuf> split(ByteBuf f, boolean v6, int mss) {
        TsoSplitter s = new TsoSplitter();
        int tcp = 14 + (v6 ? 40 : 20);
        assertTrue(s.load(f, 0, f.readableBytes(), VirtioNet.F_NEEDS_CSUM, v6 ? VirtioNet.GSO_TCPV6 : VirtioNet.GSO_TCPV4,
                mss, tcp, 16));
        List<ByteBuf> out = new ArrayList<>();
        while (s.hasNext()) {
            ByteBuf b = Unpooled.directBuffer(2048);
            s.next(b);
            out.add(b);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void superFrameBecomesTheSegmentsAPlainSenderSends(boolean v6) {
        int mss = 1228;
        int payload = 5 * mss + 300;
        List<ByteBuf> segs = split(superFrame(v6, 1_000_000, ACK | PSH | FIN, payload, 40), v6, mss);
        assertEquals(6, segs.size());
        for (int i = 0; i < 6; i++) {
            boolean last = i == 5;
            ByteBuf want = Frames.tcp(v6, 1_000_000 + (long) i * mss, last ? ACK | PSH | FIN : ACK, last ? 300 : mss, 40 + i, 5);
            assertEquals(ByteBufUtil.hexDump(want), ByteBufUtil.hexDump(segs.get(i)), "segment " + i);
        }
    }

    @Test
    void sequenceNumbersWrapAround() {
        List<ByteBuf> segs = split(superFrame(false, 0xffff_ff00L, ACK, 2 * 1000, 65535), false, 1000);
        assertEquals(ByteBufUtil.hexDump(Frames.tcp(false, 0xffff_ff00L + 1000 - 0x1_0000_0000L, ACK, 1000, 0, 5)),
                ByteBufUtil.hexDump(segs.get(1)), "seq and IP ID wrap");
    }

    @Test
    void aPartialChecksumIsCompleted() {
        ByteBuf f = superFrame(false, 5, ACK | PSH, 333, 9);
        TsoSplitter s = new TsoSplitter();
        assertTrue(s.load(f, 0, f.readableBytes(), VirtioNet.F_NEEDS_CSUM, VirtioNet.GSO_NONE, 0, 34, 16));
        ByteBuf out = Unpooled.directBuffer(2048);
        s.next(out);
        assertFalse(s.hasNext());
        assertEquals(ByteBufUtil.hexDump(Frames.tcp(false, 5, ACK | PSH, 333, 9, 5)), ByteBufUtil.hexDump(out));
    }

    @Test
    void garbageIsRefusedNotThrown() {
        ByteBuf f = Unpooled.directBuffer(64).writeZero(60);
        TsoSplitter s = new TsoSplitter();
        assertFalse(s.load(f, 0, 60, 0, VirtioNet.GSO_TCPV4, 1000, 34, 16), "not IPv4");
        assertFalse(s.load(f, 0, 60, 0, VirtioNet.GSO_UDP_L4, 1000, 34, 6), "UDP segmentation is never offered");
        assertFalse(s.load(f, 0, 60, VirtioNet.F_NEEDS_CSUM, VirtioNet.GSO_NONE, 0, 58, 16), "checksum beyond the frame");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void groOutputSegmentsBackIntoItsInput(boolean v6) {
        List<ByteBuf> in = new ArrayList<>();
        List<String> hex = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ByteBuf f = Frames.tcp(v6, 7000 + i * 1228L, i == 6 ? ACK | PSH : ACK, i == 6 ? 500 : 1228, 300 + i, 5);
            in.add(f);
            hex.add(ByteBufUtil.hexDump(f));
        }
        List<ByteBuf> rebuilt = new ArrayList<>();
        GroCoalescer g = new GroCoalescer(new GroCoalescer.Output() {
            @Override
            public void plain(ByteBuf frame) {
                fail("expected one group");
            }

            @Override
            public void group(ByteBuf header, ByteBuf[] frames, int count, int payloadOffset) {
                ByteBuf sup = Unpooled.directBuffer(65536);
                sup.writeBytes(header, header.readerIndex() + VirtioNet.HDR_LEN, header.readableBytes() - VirtioNet.HDR_LEN);
                for (int i = 0; i < count; i++) {
                    sup.writeBytes(frames[i], frames[i].readerIndex() + payloadOffset, frames[i].readableBytes() - payloadOffset);
                }
                int flags = header.getUnsignedByte(VirtioNet.FLAGS);
                int type = header.getUnsignedByte(VirtioNet.GSO_TYPE);
                int gso = header.getUnsignedShortLE(VirtioNet.GSO_SIZE);
                int cs = header.getUnsignedShortLE(VirtioNet.CSUM_START);
                int co = header.getUnsignedShortLE(VirtioNet.CSUM_OFFSET);
                assertEquals(v6 ? VirtioNet.GSO_TCPV6 : VirtioNet.GSO_TCPV4, type);
                assertEquals(1228, gso);
                TsoSplitter s = new TsoSplitter();
                assertTrue(s.load(sup, 0, sup.readableBytes(), flags, type, gso, cs, co));
                while (s.hasNext()) {
                    ByteBuf b = Unpooled.directBuffer(2048);
                    s.next(b);
                    rebuilt.add(b);
                }
            }
        }, Unpooled.directBuffer(256));
        in.forEach(g::add);
        g.flush();
        assertEquals(hex, rebuilt.stream().map(ByteBufUtil::hexDump).toList());
    }
}
