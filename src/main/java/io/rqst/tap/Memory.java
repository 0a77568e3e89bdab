package io.rqst.tap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads at a buffer's memory address in the machine's byte order, without the bounds, reference-count and
 * liveness checks a {@code ByteBuf} makes on every read: for per-frame loops such as the checksum's, whose
 * callers check once that the whole range lies in a buffer they hold.
 */
final class Memory {
    /** All of memory: a global-scope segment, so a read costs a load and nothing else once compiled. */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private Memory() {}

    static long getLong(long address) {
        return ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, address);
    }

    static int getUnsignedByte(long address) {
        return ALL.get(ValueLayout.JAVA_BYTE, address) & 0xff;
    }
}
