package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

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
}
