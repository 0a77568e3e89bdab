package io.rqst.session;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** Exponential reconnect delays with jitter: 1 s, 2 s, 4 s … up to a ceiling, each ±20 %. */
final class Backoff {
    private final Duration first;
    private final Duration max;
    private final RandomGenerator random;
    private int attempt;

    Backoff(Duration first, Duration max, RandomGenerator random) {
        this.first = first;
        this.max = max;
        this.random = random;
    }

    /** The delay before the next attempt. */
    Duration next() {
        long base = first.toMillis() << Math.min(attempt, 20);
        base = Math.min(base, max.toMillis());
        attempt++;
        double jitter = 0.8 + 0.4 * random.nextDouble();
        return Duration.ofMillis(Math.max(1, Math.round(base * jitter)));
    }

    /** Back to the first delay (after a connection that worked). */
    void reset() {
        attempt = 0;
    }
}
