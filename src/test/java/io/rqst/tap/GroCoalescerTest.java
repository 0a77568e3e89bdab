package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** GRO coalescing: which segments merge, what the super-frame looks like, and that nothing is lost or reordered. */
class GroCoalescerTest {
    static final int ACK = 0x10;
    static final int PSH = 0x08;

    /** What the coalescer emitted: per write, the TCP payload ranges (seq) and whether it was a group. */
    static final class Recorder implements GroCoalescer.Output {
        final List<String> writes = new ArrayList<>();
        final List<byte[]> headers = new ArrayList<>();

        @Override
        public void plain(ByteBuf f) {
            writes.add("plain " + range(f, f.readerIndex(), f.readableBytes()));
        }

        @Override
        public void group(ByteBuf header, ByteBuf[] frames, int count, int payloadOffset) {
            StringBuilder sb = new StringBuilder("group");
            for (int i = 0; i < count; i++) {
                ByteBuf f = frames[i];
                sb.append(' ').append(range(f, f.readerIndex(), f.readableBytes()));
            }
            writes.add(sb.toString());
            byte[] h = new byte[header.readableBytes()];
            header.getBytes(header.readerIndex(), h);
            headers.add(h);
        }

        static String range(ByteBuf f, int base, int len) {
            boolean v6 = f.getUnsignedShort(base + 12) == 0x86dd;
            int tcp = 14 + (v6 ? 40 : 20);
            long seq = f.getUnsignedInt(base + tcp + 4);
            int hl = (f.getUnsignedByte(base + tcp + 12) >>> 4) * 4;
            return seq + ":" + (seq + len - tcp - hl);
        }
    }

    private static GroCoalescer coalescer(Recorder r) {
        return new GroCoalescer(r, Unpooled.directBuffer(256));
    }

    @Test
    void theSequenceSeenOnTheWireIsWrittenCompletelyAndInOrder() {
        // segments as a TSO sender with PSH every second segment produces them (seen in a capture)
        Recorder r = new Recorder();
        GroCoalescer g = coalescer(r);
        long seq = 10648;
        int[] flags = {ACK, ACK, ACK | PSH, ACK, ACK | PSH, ACK, ACK | PSH};
        for (int i = 0; i < flags.length; i++) {
            g.add(Frames.tcp(false, seq, flags[i], 1228, 100 + i, 5));
            seq += 1228;
        }
        g.flush();
        assertEquals(List.of("group 10648:11876 11876:13104 13104:14332", "group 14332:15560 15560:16788",
                "group 16788:18016 18016:19244"), r.writes);
    }

    @Test
    void changedOptionsEndTheGroupAndOrderWithinTheConnectionHolds() {
        // a new TSecr (the sender heard an ACK) changes the options: no merge, but the earlier group
        // must leave before the later segments, and a FIN after them comes last
        Recorder r = new Recorder();
        GroCoalescer g = coalescer(r);
        g.add(Frames.tcp(false, 1000, ACK, 100, 1, 5));
        g.add(Frames.tcp(false, 1100, ACK, 100, 2, 5));
        g.add(Frames.tcp(false, 1200, ACK, 100, 3, 6)); // other timestamp
        g.add(Frames.tcp(false, 1300, ACK, 100, 4, 6));
        g.add(Frames.tcp(false, 1400, ACK | 0x01, 0, 5, 6)); // FIN, no payload: passes through
        assertEquals(List.of("group 1000:1100 1100:1200", "group 1200:1300 1300:1400", "plain 1400:1400"), r.writes);
        g.flush();
        assertEquals(3, r.writes.size(), "nothing may be left behind");
    }

    /**
     * Two back-to-back segments that differ in one header field the connection's hash does not cover stay
     * apart, in direct buffers (as from the QUIC codec) and heap ones alike.
     */
    @ParameterizedTest(name = "{0}: offset {1}, IPv6 {2}, direct {3}")
    @CsvSource({
        "same, -1, false, true", "same, -1, false, false", "same, -1, true, true", "same, -1, true, false",
        "destination MAC, 5, false, true", "destination MAC, 5, false, false",
        "source MAC, 8, false, true", "source MAC, 11, false, false",
        "IPv4 TOS, 15, false, true", "IPv4 TOS, 15, false, false",
        "IPv4 DF, 20, false, true", "IPv4 TTL, 22, false, true", "IPv4 TTL, 22, false, false",
        "IPv6 flow label, 17, true, true", "IPv6 flow label, 17, true, false", "IPv6 hop limit, 21, true, true",
        "TCP ack IPv4, 45, false, true", "TCP ack IPv4, 45, false, false", "TCP ack IPv6, 65, true, true",
        "TCP window, 49, false, true", "TCP window, 49, false, false", "TCP urgent, 53, false, true",
        "TCP option, 57, false, true", "TCP option, 65, false, false", "TCP option IPv6, 85, true, true",
    })
    void aDifferenceInAnyHeaderFieldKeepsSegmentsApart(String field, int offset, boolean v6, boolean direct) {
        Recorder r = new Recorder();
        GroCoalescer g = coalescer(r);
        ByteBuf first = Frames.tcp(v6, 5000, ACK, 500, 7, 5);
        ByteBuf second = Frames.tcp(v6, 5500, ACK, 500, 8, 5);
        if (offset >= 0) {
            second.setByte(offset, second.getByte(offset) ^ 0x01);
        }
        g.add(direct ? first : heap(first));
        g.add(direct ? second : heap(second));
        g.flush();
        if (offset < 0) {
            assertEquals(List.of("group 5000:5500 5500:6000"), r.writes, field);
        } else {
            assertEquals(2, r.writes.size(), field + " differs, yet the segments merged: " + r.writes);
        }
    }

    private static ByteBuf heap(ByteBuf direct) {
        byte[] bytes = new byte[direct.readableBytes()];
        direct.getBytes(direct.readerIndex(), bytes);
        direct.release();
        ByteBuf h = Unpooled.wrappedBuffer(bytes);
        assertFalse(h.hasMemoryAddress());
        return h;
    }
}
