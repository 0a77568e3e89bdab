package io.rqst.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class MemoryTest {
    private static ByteBuf numbered(ByteBuf b, int n) {
        for (int i = 0; i < n; i++) {
            b.writeByte(i * 7 + 3);
        }
        return b;
    }

    private static void appendsLikeWriteBytes(IntFunction<ByteBuf> srcKind, IntFunction<ByteBuf> outKind) {
        ByteBuf src = numbered(srcKind.apply(300), 300).readerIndex(5);
        ByteBuf out = outKind.apply(64).writeBytes(new byte[] {1, 2, 3});
        ByteBuf expected = Unpooled.buffer().writeBytes(new byte[] {1, 2, 3}).writeBytes(src, 17, 200).writeBytes(src, 0, 1);
        try {
            Memory.append(out, src, 17, 200); // past out's capacity of 64: it grows as writeBytes would
            Memory.append(out, src, 0, 1);
            Memory.append(out, src, 300, 0);
            assertArrayEquals(ByteBufUtil.getBytes(expected), ByteBufUtil.getBytes(out));
            assertEquals(5, src.readerIndex(), "src indexes untouched");
            assertEquals(300, src.writerIndex());
        } finally {
            src.release();
            out.release();
            expected.release();
        }
    }

    @Test
    void copiesBetweenDirectBuffersAsWriteBytesDoes() {
        appendsLikeWriteBytes(Unpooled::directBuffer, Unpooled::directBuffer);
        appendsLikeWriteBytes(PooledByteBufAllocator.DEFAULT::directBuffer, Unpooled::directBuffer);
    }

    @Test
    void fallsBackForHeapBuffers() {
        appendsLikeWriteBytes(Unpooled::buffer, Unpooled::directBuffer);
        appendsLikeWriteBytes(Unpooled::directBuffer, Unpooled::buffer);
    }

    @Test
    void aTargetThatStopsHavingOneAddressWhenItGrowsGetsACorrectCopy() {
        // a composite of one direct buffer has an address until growing adds a second component
        appendsLikeWriteBytes(Unpooled::directBuffer, n -> Unpooled.compositeBuffer().addComponent(true, Unpooled.directBuffer(n, n)));
    }

    @Test
    void refusesARangeOutsideTheSource() {
        ByteBuf src = numbered(Unpooled.directBuffer(16, 16), 16);
        ByteBuf out = Unpooled.directBuffer(64);
        try {
            assertThrows(IndexOutOfBoundsException.class, () -> Memory.append(out, src, 10, 7));
            assertThrows(IndexOutOfBoundsException.class, () -> Memory.append(out, src, -1, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> Memory.append(out, src, 0, -1));
            assertEquals(0, out.writerIndex(), "nothing written on a refused range");
        } finally {
            src.release();
            out.release();
        }
    }

    @Test
    void copiesIntoAnArrayAsGetBytesDoes() {
        for (IntFunction<ByteBuf> kind : java.util.List.<IntFunction<ByteBuf>>of(Unpooled::directBuffer, Unpooled::buffer,
                PooledByteBufAllocator.DEFAULT::directBuffer)) {
            ByteBuf src = numbered(kind.apply(300), 300).readerIndex(5);
            try {
                byte[] expected = new byte[220];
                src.getBytes(17, expected, 9, 200);
                byte[] got = new byte[220];
                Memory.copy(src, 17, got, 9, 200);
                assertArrayEquals(expected, got);
                assertEquals(5, src.readerIndex(), "src indexes untouched");
                if (src.hasMemoryAddress()) {
                    assertThrows(IndexOutOfBoundsException.class, () -> Memory.copy(src, 250, got, 0, 51));
                }
            } finally {
                src.release();
            }
        }
    }
}
