package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TapsTest {

    @Test
    void formatsMacsFirstOctetMostSignificant() {
        assertEquals("02:00:00:00:00:01", Taps.formatMac(0x020000000001L));
        assertEquals("fe:dc:ba:98:76:54", Taps.formatMac(0xfedcba987654L));
    }

    @Test
    void mtuRange() {
        assertEquals(68, Taps.checkMtu("rqst0", 68));
        assertEquals(65535, Taps.checkMtu("rqst0", 65535));
        assertEquals("invalid MTU 67 for TAP 'rqst0': must be 68 to 65535",
                assertThrows(IllegalArgumentException.class, () -> Taps.checkMtu("rqst0", 67)).getMessage());
        assertEquals("invalid MTU 65536 for TAP 'rqst0': must be 68 to 65535",
                assertThrows(IllegalArgumentException.class, () -> Taps.checkMtu("rqst0", 65536)).getMessage());
    }

    @Test
    void readArgumentsAreCheckedAgainstTheContract() {
        ByteBuf ok = PooledByteBufAllocator.DEFAULT.directBuffer(1518);
        ByteBuf small = PooledByteBufAllocator.DEFAULT.directBuffer(1517);
        ByteBuf heap = Unpooled.buffer(2048);
        ByteBuf released = PooledByteBufAllocator.DEFAULT.directBuffer(2048);
        released.release();
        try {
            Taps.checkRead(new ByteBuf[] {ok, small}, 1, 1518); // only bufs[0..count) matter
            assertEquals("read count 0 is outside 1..2 (the number of buffers)", assertThrows(
                    IllegalArgumentException.class, () -> Taps.checkRead(new ByteBuf[] {ok, ok}, 0, 1518)).getMessage());
            assertEquals("read count 3 is outside 1..2 (the number of buffers)", assertThrows(
                    IllegalArgumentException.class, () -> Taps.checkRead(new ByteBuf[] {ok, ok}, 3, 1518)).getMessage());
            assertEquals("read buffer 1 has 1517 writable bytes, needs at least 1518", assertThrows(
                    IllegalArgumentException.class, () -> Taps.checkRead(new ByteBuf[] {ok, small}, 2, 1518)).getMessage());
            assertEquals("read buffer 0 has no memory address (use a direct buffer)", assertThrows(
                    IllegalArgumentException.class, () -> Taps.checkRead(new ByteBuf[] {heap}, 1, 1518)).getMessage());
            assertEquals("read buffer 0 is released", assertThrows(
                    IllegalArgumentException.class, () -> Taps.checkRead(new ByteBuf[] {released}, 1, 1518)).getMessage());
            assertEquals("read buffer 0 is null", assertThrows(
                    IllegalArgumentException.class, () -> Taps.checkRead(new ByteBuf[1], 1, 1518)).getMessage());
            assertEquals("frame buffer has no memory address (use a direct buffer)", assertThrows(
                    IllegalArgumentException.class, () -> Taps.checkWrite(heap)).getMessage());
        } finally {
            ok.release();
            small.release();
        }
    }

    @Test
    void readIsRefusedOnAVirtualThread() throws Exception {
        ByteBuf ok = PooledByteBufAllocator.DEFAULT.directBuffer(1518);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try {
            Thread.ofVirtual().start(() -> {
                try {
                    Taps.checkRead(new ByteBuf[] {ok}, 1, 1518);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            }).join();
        } finally {
            ok.release();
        }
        assertEquals(IllegalStateException.class, thrown.get().getClass());
        assertEquals("TapDevice.read must be called on a platform thread", thrown.get().getMessage());
    }
}
