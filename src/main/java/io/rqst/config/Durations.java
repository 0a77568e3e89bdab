package io.rqst.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users type them: {@code 30s}, {@code 500ms}, {@code 250us}, {@code 2m}, {@code 1h}, or plain seconds. */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("([0-9]{1,9})(us|ms|s|m|h)?");

    private Durations() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static Duration parse(String text) {
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (examples: 30s, 500ms, 2m)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "us" -> Duration.ofNanos(n * 1000);
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** Formats as the shortest of the accepted forms, e.g. {@code 30s}; below a microsecond is dropped. */
    public static String format(Duration d) {
        if (d.getNano() % 1_000_000 != 0) {
            return d.getSeconds() * 1_000_000 + d.getNano() / 1000 + "us";
        }
        long ms = d.toMillis();
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s != 0 && s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s != 0 && s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
