package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryTapTest {

    private final List<ByteBuf> allocated = new ArrayList<>();

    @AfterEach
    void releaseBuffers() {
        allocated.forEach(b -> b.release(b.refCnt()));
    }

    private ByteBuf[] buffers(int n, int capacity) {
        ByteBuf[] bufs = new ByteBuf[n];
        for (int i = 0; i < n; i++) {
            bufs[i] = PooledByteBufAllocator.DEFAULT.directBuffer(capacity);
            allocated.add(bufs[i]);
        }
        return bufs;
    }

    private ByteBuf direct(byte[] content) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(content.length);
        allocated.add(b);
        return b.writeBytes(content);
    }

    private static byte[] frame(int length, int tag) {
        byte[] f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (tag + i);
        }
        return f;
    }

    @Test
    void configuredNameMtuAndMac() {
        MemoryTap tap = new MemoryTap("vm7", 1280, 0x02aabbccddeeL, 4);
        assertEquals("vm7", tap.name());
        assertEquals(1280, tap.mtu());
        assertEquals(1280 + 14 + 4, tap.frameCapacity());
        assertEquals(0x02aabbccddeeL, tap.macAddress());
        MemoryTap defaults = new MemoryTap();
        assertEquals(1500, defaults.mtu());
        assertEquals(MemoryTap.DEFAULT_MAC, defaults.macAddress());
        assertThrows(IllegalArgumentException.class, () -> new MemoryTap("vm7", 67, 1, 4));
        assertThrows(IllegalArgumentException.class, () -> new MemoryTap("vm7", 1500, 1L << 48, 4));
        assertThrows(IllegalArgumentException.class, () -> new MemoryTap("vm7", 1500, 1, 0));
    }

    @Test
    void injectedFramesAreReadInOneBatchUpToCount() throws Exception {
        MemoryTap tap = new MemoryTap("vm0", 1500, MemoryTap.DEFAULT_MAC, 16);
        for (int i = 0; i < 5; i++) {
            assertTrue(tap.inject(frame(60 + i, i)));
        }
        ByteBuf[] bufs = buffers(8, tap.frameCapacity());
        assertEquals(3, tap.read(bufs, 3), "count caps the batch");
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(frame(60 + i, i), TestFrames.bytes(bufs[i]));
            bufs[i].clear();
        }
        assertEquals(2, tap.read(bufs, 8), "the rest, without waiting for more");
        assertArrayEquals(frame(63, 3), TestFrames.bytes(bufs[0]));
        assertArrayEquals(frame(64, 4), TestFrames.bytes(bufs[1]));
        assertEquals(0, bufs[2].writerIndex(), "unfilled buffers untouched");
        assertEquals(0, tap.inboundPending());
    }

    @Test
    void readAppendsAtTheWriterIndexAndKeepsTheBuffer() throws Exception {
        MemoryTap tap = new MemoryTap();
        ByteBuf[] bufs = buffers(1, tap.frameCapacity() + 3);
        bufs[0].writeBytes(new byte[] {7, 8, 9});
        tap.inject(frame(64, 1));
        assertEquals(1, tap.read(bufs, 1));
        assertEquals(3 + 64, bufs[0].writerIndex());
        assertEquals(7, bufs[0].getByte(0));
        assertEquals(frame(64, 1)[0], bufs[0].getByte(3));
        assertEquals(1, bufs[0].refCnt());
    }

    @Test
    void writtenFramesAreCopiesAndTheBufferIsLeftAsItWas() throws Exception {
        MemoryTap tap = new MemoryTap();
        ByteBuf frame = direct(frame(100, 5));
        frame.readerIndex(10);
        assertTrue(tap.write(frame));
        assertEquals(10, frame.readerIndex());
        assertEquals(100, frame.writerIndex());
        assertEquals(1, frame.refCnt());
        frame.setByte(10, 0x55); // the caller reuses its buffer at once
        ByteBuf taken = tap.takeWritten(Duration.ofSeconds(1));
        byte[] expected = java.util.Arrays.copyOfRange(frame(100, 5), 10, 100);
        assertArrayEquals(expected, TestFrames.bytes(taken));
        assertNull(tap.takeWritten(Duration.ofMillis(10)));
        assertEquals(0, tap.writeErrors());
    }

    @Test
    void fullQueuesDropAndWritesAreCounted() throws Exception {
        MemoryTap tap = new MemoryTap("vm0", 1500, MemoryTap.DEFAULT_MAC, 2);
        ByteBuf frame = direct(frame(60, 0));
        assertTrue(tap.write(frame));
        assertTrue(tap.write(frame));
        assertFalse(tap.write(frame));
        assertEquals(1, tap.writeErrors());
        assertEquals(2, tap.writtenPending());
        assertTrue(tap.inject(frame(60, 0)));
        assertTrue(tap.inject(frame(60, 0)));
        assertFalse(tap.inject(frame(60, 0)));
    }

    @Test
    void framesOutsideEthernetSizesAreRefused() {
        MemoryTap tap = new MemoryTap("vm0", 1500, MemoryTap.DEFAULT_MAC, 4);
        assertFalse(tap.write(direct(frame(13, 0))));
        assertFalse(tap.write(direct(frame(1519, 0))));
        assertTrue(tap.write(direct(frame(1518, 0))));
        assertEquals(2, tap.writeErrors());
        assertThrows(IllegalArgumentException.class, () -> tap.inject(frame(1519, 0)));
        assertThrows(IllegalArgumentException.class, () -> tap.inject(frame(13, 0)));
        assertThrows(IllegalArgumentException.class, () -> tap.write(Unpooled.wrappedBuffer(frame(60, 0))),
                "heap buffers break the contract");
    }

    @Test
    void readWithoutFramesReturnsZeroAfterTheTimeout() throws Exception {
        MemoryTap tap = new MemoryTap();
        long start = System.nanoTime();
        assertEquals(0, tap.read(buffers(1, tap.frameCapacity()), 1));
        long waited = System.nanoTime() - start;
        assertTrue(waited >= MemoryTap.READ_TIMEOUT.toNanos() * 9 / 10, "waited " + waited + " ns");
    }

    @Test
    void closeWakesABlockedReaderWhichReturnsMinusOne() throws Exception {
        MemoryTap tap = new MemoryTap();
        ByteBuf[] bufs = buffers(4, tap.frameCapacity());
        AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
        AtomicLong returnedAt = new AtomicLong();
        Thread reader = Thread.ofPlatform().name("memtap-reader").start(() -> {
            try {
                int n;
                do {
                    n = tap.read(bufs, 4);
                } while (n == 0);
                returnedAt.set(System.nanoTime());
                result.set(n);
            } catch (Exception e) {
                result.set(Integer.MAX_VALUE);
            }
        });
        Thread.sleep(200);
        assertTrue(reader.isAlive(), "the reader blocks while there is nothing to read");
        long closedAt = System.nanoTime();
        tap.close();
        reader.join(2000);
        assertFalse(reader.isAlive());
        assertEquals(-1, result.get());
        assertTrue(returnedAt.get() - closedAt < 500_000_000L, "woken by close, not by the timeout");

        assertEquals(-1, tap.read(bufs, 4), "read after close");
        assertFalse(tap.inject(frame(60, 0)));
        assertFalse(tap.write(direct(frame(60, 0))), "write after close");
        assertEquals(1, tap.writeErrors());
        tap.close(); // idempotent
        assertTrue(tap.isClosed());
    }

    @Test
    void writersOnManyThreadsLoseNothingWhileThereIsRoom() throws Exception {
        MemoryTap tap = new MemoryTap("vm0", 1500, MemoryTap.DEFAULT_MAC, 4000);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            ByteBuf frame = direct(frame(64, t));
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    tap.write(frame);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(4000, tap.writtenPending());
        assertEquals(0, tap.writeErrors());
    }
}
