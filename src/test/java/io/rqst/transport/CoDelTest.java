package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoDelTest {
    static final long MS = 1_000_000L;
    static final long TARGET = 1 * MS;
    static final long INTERVAL = 10 * MS;

    /** Dequeues one packet every {@code step} ns from {@code from} to {@code to}, all with {@code sojourn}; the drop times. */
    static List<Long> run(CoDel c, long from, long to, long step, long sojourn) {
        List<Long> drops = new ArrayList<>();
        for (long t = from; t < to; t += step) {
            if (c.dequeue(t, sojourn)) {
                drops.add(t);
            }
        }
        return drops;
    }

    @Test
    void aQueueBelowTargetIsNeverDropped() {
        CoDel c = new CoDel(TARGET, INTERVAL);
        assertEquals(List.of(), run(c, 1, 2000 * MS, 100_000, TARGET - 1));
        assertEquals(0, c.drops());
    }

    @Test
    void aBurstThatDrainsWithinAnIntervalIsNotDropped() {
        CoDel c = new CoDel(TARGET, INTERVAL);
        for (int burst = 0; burst < 50; burst++) {
            long start = burst * 30 * MS;
            // 9 ms above target (a good queue: it drains), then below
            assertEquals(List.of(), run(c, start, start + 9 * MS, 100_000, 5 * MS));
            assertEquals(List.of(), run(c, start + 9 * MS, start + 30 * MS, 100_000, 0));
        }
        assertFalse(c.dropping());
    }

    @Test
    void aStandingQueueIsDroppedAfterOneIntervalThenFasterAsItStays() {
        CoDel c = new CoDel(TARGET, INTERVAL);
        List<Long> drops = run(c, 1, 100 * MS, 10_000, 3 * MS);
        assertTrue(drops.get(0) >= 1 + INTERVAL && drops.get(0) <= 1 + INTERVAL + 20_000, "first drop one interval after the queue stood: " + drops);
        // RFC 8289 control law: the n-th gap is interval / sqrt(n)
        for (int n = 1; n < drops.size() - 1; n++) {
            long gap = drops.get(n) - drops.get(n - 1);
            long expected = (long) (INTERVAL / Math.sqrt(n));
            assertTrue(Math.abs(gap - expected) <= 10_000, "gap " + n + " was " + gap + ", expected " + expected);
        }
        assertTrue(drops.size() >= 10, "dropping speeds up while the queue stands: " + drops.size());
        assertTrue(c.dropping());
        assertEquals(drops.size(), c.drops());
    }

    @Test
    void theDroppingStateEndsAsSoonAsTheSojournFallsBelowTarget() {
        CoDel c = new CoDel(TARGET, INTERVAL);
        assertFalse(run(c, 1, 30 * MS, 10_000, 3 * MS).isEmpty());
        assertFalse(c.dequeue(30 * MS, TARGET / 2));
        assertFalse(c.dropping());
        // standing again: another full interval before the next drop
        assertEquals(List.of(), run(c, 31 * MS, 31 * MS + INTERVAL - 20_000, 10_000, 3 * MS));
    }

    @Test
    void reenteringSoonAfterResumesTheDropRateRatherThanRestarting() {
        CoDel c = new CoDel(TARGET, INTERVAL);
        List<Long> first = run(c, 1, 60 * MS, 10_000, 3 * MS);
        c.dequeue(60 * MS, 0);
        List<Long> second = run(c, 61 * MS, 100 * MS, 10_000, 3 * MS);
        long gapAfterRestart = second.get(1) - second.get(0);
        assertTrue(gapAfterRestart < INTERVAL * 3 / 4,
                "count resumed from " + first.size() + " drops: next gap " + gapAfterRestart + " ns, not a fresh interval");
    }

    @Test
    void targetMustBeBelowInterval() {
        assertThrows(IllegalArgumentException.class, () -> new CoDel(0, INTERVAL));
        assertThrows(IllegalArgumentException.class, () -> new CoDel(INTERVAL, INTERVAL));
    }

    @Test
    void aLongerIntervalAfterRetuningWaitsLongerBeforeTheFirstDrop() {
        CoDel c = new CoDel(TARGET, INTERVAL);
        c.retune(4 * MS, 40 * MS);
        assertEquals(4 * MS, c.targetNanos());
        assertEquals(40 * MS, c.intervalNanos());
        assertEquals(List.of(), run(c, 1, 300 * MS, MS, 3 * MS), "3 ms is now below target");
        List<Long> drops = run(c, 300 * MS, 420 * MS, MS, 5 * MS);
        // the queue stood from 300 ms: first drop one 40 ms interval later, the next 40 / sqrt(2) ms after that
        assertEquals(List.of(340 * MS, 380 * MS, 409 * MS), drops);
    }

    @Test
    void retuningChecksItsArguments() {
        CoDel c = new CoDel(TARGET, INTERVAL);
        assertThrows(IllegalArgumentException.class, () -> c.retune(10 * MS, 10 * MS));
        assertEquals(INTERVAL, c.intervalNanos(), "a refused retune changes nothing");
    }
}
