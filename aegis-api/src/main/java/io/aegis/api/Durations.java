package io.aegis.api;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints the durations used in configuration files: {@code 500ms}, {@code 5s}, {@code 1m},
 * {@code 1h}, {@code 1d}, and combinations such as {@code 1m30s} (Go's and Prometheus' notation).
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final String EXPECTED = "expected a duration like 500ms, 5s, 1m or 1h";

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException with a sentence saying what was expected, when {@code text} is not a
     *     duration (a bare number is rejected: its unit would be a guess)
     */
    public static Duration parse(String text) {
        String trimmed = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException(EXPECTED + ", found an empty value");
        }
        Matcher matcher = PART.matcher(trimmed);
        Duration total = Duration.ZERO;
        int position = 0;
        while (position < trimmed.length()) {
            if (!matcher.find(position) || matcher.start() != position) {
                String hint = trimmed.chars().allMatch(Character::isDigit) ? " (add a unit: " + trimmed + "s?)" : "";
                throw new IllegalArgumentException(EXPECTED + ", found \"" + text + "\"" + hint);
            }
            long amount = Long.parseLong(matcher.group(1));
            total = total.plus(unit(amount, matcher.group(2)));
            position = matcher.end();
        }
        return total;
    }

    /** Prints a duration in the shortest form {@link #parse} reads back, e.g. {@code 1m30s}, {@code 250ms}. */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long millis = duration.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            if (millis >= sizes[i]) {
                sb.append(millis / sizes[i]).append(units[i]);
                millis %= sizes[i];
            }
        }
        return sb.toString();
    }

    private static Duration unit(long amount, String unit) {
        switch (unit) {
            case "ms":
                return Duration.ofMillis(amount);
            case "s":
                return Duration.ofSeconds(amount);
            case "m":
                return Duration.ofMinutes(amount);
            case "h":
                return Duration.ofHours(amount);
            default:
                return Duration.ofDays(amount);
        }
    }
}
