package io.rqst.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Durations}: {@code --idle-timeout} and friends. */
class DurationsTest {

    // Promise: 30s, 500ms, 2m, 1h and plain seconds mean what they say.
    @ParameterizedTest(name = "{0}")
    @CsvSource(textBlock = """
            30s,    30000
            30,     30000
            ' 45s ', 45000
            500ms,  500
            0,      0
            2m,     120000
            1h,     3600000
            0ms,    0
            999999999h, 3599999996400000
            """)
    void parses(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), Durations.parse(text));
    }

    // Promise: microseconds (for --rx-aqm's CoDel target) parse, print as such, and read back.
    @Test
    void microseconds() {
        assertEquals(Duration.ofNanos(250_000), Durations.parse("250us"));
        assertEquals(Duration.ZERO, Durations.parse("0us"));
        assertEquals("250us", Durations.format(Duration.ofNanos(250_000)));
        assertEquals("1500us", Durations.format(Duration.ofNanos(1_500_000)));
        assertEquals("5ms", Durations.format(Durations.parse("5000us")));
        assertEquals("2000001us", Durations.format(Duration.ofSeconds(2).plusNanos(1_000)));
        for (String text : new String[] {"1us", "999us", "1001us", "999999999us"}) {
            assertEquals(text, Durations.format(Durations.parse(text)));
        }
    }

    // Promise: anything else is refused with one line quoting it and giving examples.
    @ParameterizedTest
    @ValueSource(strings = {"", "s", "1.5s", "-1s", "30 s", "30sec", "1d", "10x", "1234567890s", "PT30S"})
    void refuses(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertEquals("'" + text + "' is not a duration (examples: 30s, 500ms, 2m)", e.getMessage());
    }

    // Promise: durations print in the shortest accepted form, and that form reads back as the same duration.
    @Test
    void formatsShortestAndRoundTrips() {
        assertEquals("30s", Durations.format(Duration.ofSeconds(30)));
        assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
        assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
        assertEquals("61m", Durations.format(Duration.ofMinutes(61)));
        assertEquals("0s", Durations.format(Duration.ZERO));
        for (Duration d : new Duration[] {Duration.ofMillis(1), Duration.ofMillis(999), Duration.ofSeconds(59), Duration.ofMinutes(59),
                Duration.ofHours(25), Duration.ofSeconds(3601), Duration.ofMillis(60_001)}) {
            assertEquals(d, Durations.parse(Durations.format(d)), Durations.format(d));
        }
    }
}
