package io.rqst.tap;

import java.lang.foreign.MemorySegment;

/**
 * Reads at a buffer's memory address in the machine's byte order, without the bounds, reference-count and
 * liveness checks a {@code ByteBuf} makes on every read: for per-frame loops such as the checksum's, whose
 * callers check once that the whole range lies in a buffer they hold.
 */
final class Memory {
    /** All of memory: a global-scope segment, so a read costs a load and nothing else once compiled. */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private Memory() {}

    /**
     * {@return the {@code length} bytes at {@code address} as a segment} Loops should index it with an
     * {@code int} from 0: C2 hoists the bounds check out of such a loop and vectorises it.
     */
    static MemorySegment slice(long address, int length) {
        return ALL.asSlice(address, length);
    }
}
