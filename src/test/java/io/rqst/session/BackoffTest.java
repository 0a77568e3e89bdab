package io.rqst.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** {@link Backoff}: how long the client waits between reconnect attempts. */
class BackoffTest {

    /** A generator whose nextDouble() is always 0.0 (nextLong 0) or always just below 1.0 (nextLong -1). */
    private static RandomGenerator fixed(long bits) {
        return () -> bits;
    }

    private static long[] draw(Backoff b, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = b.next().toMillis();
        }
        return out;
    }

    // Promise: without jitter, the waits are 1 s, 2 s, 4 s … and then stay at the ceiling.
    @Test
    void doublesUpToTheCeiling() {
        RandomGenerator middle = () -> Long.MIN_VALUE; // nextDouble() == 0.5: jitter factor exactly 1.0
        assertEquals(0.5, middle.nextDouble());
        long[] waits = draw(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), middle), 8);
        assertEquals(java.util.List.of(1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L, 30000L),
                java.util.Arrays.stream(waits).boxed().toList());
    }

    // Promise: the jitter stays within ±20 % of the nominal wait, at both extremes.
    @Test
    void jitterIsAtMostTwentyPercent() {
        assertEquals(java.util.List.of(800L, 1600L, 3200L, 4000L),
                java.util.Arrays.stream(draw(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5), fixed(0)), 4)).boxed().toList());
        assertEquals(java.util.List.of(1200L, 2400L, 4800L, 6000L),
                java.util.Arrays.stream(draw(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5), fixed(-1)), 4)).boxed().toList());
    }

    // Promise: with a real (seeded) random source every wait is within ±20 % of 1 s, 2 s, 4 s … the ceiling,
    // and the waits really vary (clients restarted together do not reconnect in lockstep).
    @Test
    void seededJitterStaysInBoundsAndSpreads() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new Random(42));
        long nominal = 1000;
        long minAtCeiling = Long.MAX_VALUE;
        long maxAtCeiling = 0;
        for (int i = 0; i < 200; i++) {
            long w = b.next().toMillis();
            assertTrue(w >= Math.round(nominal * 0.8) && w <= Math.round(nominal * 1.2), "wait " + i + ": " + w + " ms vs " + nominal);
            if (nominal == 30000) {
                minAtCeiling = Math.min(minAtCeiling, w);
                maxAtCeiling = Math.max(maxAtCeiling, w);
            }
            nominal = Math.min(nominal * 2, 30000);
        }
        assertTrue(minAtCeiling < 26000 && maxAtCeiling > 34000, "spread " + minAtCeiling + ".." + maxAtCeiling);
    }

    // Promise: after a connection that worked, the next loss is retried quickly again.
    @Test
    void resetStartsOver() {
        RandomGenerator middle = () -> Long.MIN_VALUE; // nextDouble() == 0.5
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), middle);
        draw(b, 10);
        assertEquals(Duration.ofSeconds(30), b.next());
        b.reset();
        assertEquals(Duration.ofSeconds(1), b.next());
        assertEquals(Duration.ofSeconds(2), b.next());
    }

    // Promise: a ceiling below the first wait (a test's short backoff) caps even the first wait, and
    // many failures in a row never overflow into a zero or negative wait.
    @Test
    void ceilingBelowFirstAndNoOverflow() {
        RandomGenerator middle = () -> Long.MIN_VALUE; // nextDouble() == 0.5
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofMillis(200), middle);
        assertEquals(Duration.ofMillis(200), b.next());
        Backoff hour = new Backoff(Duration.ofHours(1), Duration.ofDays(1), middle);
        for (int i = 0; i < 1000; i++) {
            Duration d = hour.next();
            assertTrue(d.compareTo(Duration.ofHours(1)) >= 0 && d.compareTo(Duration.ofDays(1)) <= 0, i + ": " + d);
        }
        assertEquals(Duration.ofDays(1), hour.next());
    }
}
