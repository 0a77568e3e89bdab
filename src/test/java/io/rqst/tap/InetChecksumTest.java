package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Internet checksum against a plain reference (16-bit big-endian words, RFC 1071), on buffers with a
 * memory address (the word-at-a-time path TAP frames take) and without one, at every alignment and length.
 */
class InetChecksumTest {
    /** RFC 1071 §3's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
    @Test
    void rfc1071Example() {
        byte[] bytes = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertEquals(0xddf2, InetChecksum.fold(InetChecksum.add(0, Unpooled.wrappedBuffer(bytes), 0, 8)));
        ByteBuf direct = direct(bytes.length + 128);
        direct.setBytes(64, bytes);
        assertEquals(0xddf2, InetChecksum.fold(InetChecksum.add(0, direct, 64, 8)));
        // long enough for the word-at-a-time path: the example eight times sums to 8 * ddf2, folded
        for (int i = 0; i < 8; i++) {
            direct.setBytes(i * 8, bytes);
        }
        assertEquals(reference(0, bytesOf(direct, 0, 64)), InetChecksum.fold(InetChecksum.add(0, direct, 0, 64)));
    }

    @Test
    void everyOffsetAndLengthMatchesTheReference() {
        Random r = new Random(1071);
        byte[] data = new byte[9100];
        r.nextBytes(data);
        ByteBuf direct = direct(data.length);
        direct.setBytes(0, data);
        ByteBuf heap = Unpooled.wrappedBuffer(data);
        assertTrue(direct.hasMemoryAddress(), "the TAP's buffers have an address; this one should too");
        int[] lengths = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 66, 127, 128, 129, 1227, 1228, 1229, 1500, 9000};
        for (int from = 0; from < 24; from++) {
            for (int length : lengths) {
                long start = r.nextInt(0x30000); // a pseudo-header sum or another region's, unfolded
                int want = reference(start, bytesOf(heap, from, length));
                assertEquals(want, InetChecksum.fold(InetChecksum.add(start, direct, from, length)), "direct at " + from + ", " + length + " bytes");
                assertEquals(want, InetChecksum.fold(InetChecksum.add(start, heap, from, length)), "heap at " + from + ", " + length + " bytes");
            }
        }
    }

    @Test
    void allOnesAndCarriesFold() {
        ByteBuf direct = direct(4096);
        for (int i = 0; i < 4096; i++) {
            direct.setByte(i, 0xff);
        }
        assertEquals(0xffff, InetChecksum.fold(InetChecksum.add(0, direct, 0, 4096)));
        assertEquals(0, InetChecksum.finish(InetChecksum.add(0, direct, 0, 4096)));
        assertEquals(reference(0xfffe, bytesOf(direct, 1, 4001)), InetChecksum.fold(InetChecksum.add(0xfffe, direct, 1, 4001)));
    }

    @Test
    void outsideTheBufferIsRefused() {
        ByteBuf direct = direct(100);
        direct.capacity(100);
        assertThrows(IndexOutOfBoundsException.class, () -> InetChecksum.add(0, direct, 40, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> InetChecksum.add(0, direct, -8, 64));
    }

    /**
     * The sum of a direct buffer creates no object per call, compiled or not: every segment split from a TSO super-frame
     * takes three, and a per-call slice there was most of the server loop's own garbage (bench/RESULTS.md
     * 2026-11-24 01:40).
     */
    @Test
    void summingADirectBufferAllocatesNothing() {
        ByteBuf direct = direct(1500);
        direct.setZero(0, 1500);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = InetChecksum.add(0, direct, 14, 1228); // the first calls link their call sites, once
        threads.getCurrentThreadAllocatedBytes();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 20_000; i++) {
            sum += InetChecksum.add(0, direct, 14 + (i & 7), 1228 + (i & 1));
            sum += InetChecksum.add(0, direct, 14, 20);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, sum, "zeros sum to zero");
        // a slice per call is 40 000 objects of 32 bytes or more; what the JIT itself allocates once stays far below
        assertTrue(allocated < 64 * 1024, allocated + " bytes allocated by 40 000 sums");
    }

    private static ByteBuf direct(int capacity) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(capacity, capacity);
    }

    private static byte[] bytesOf(ByteBuf b, int from, int length) {
        byte[] out = new byte[length];
        b.getBytes(from, out);
        return out;
    }

    /** One's complement sum of big-endian 16-bit words, an odd last byte as a high byte, folded. */
    private static int reference(long start, byte[] bytes) {
        long sum = start;
        for (int i = 0; i < bytes.length; i += 2) {
            int hi = bytes[i] & 0xff;
            int lo = i + 1 < bytes.length ? bytes[i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }
}
