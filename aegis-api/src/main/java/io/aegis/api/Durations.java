package io.aegis.api;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;

/**
 * Parses and prints the durations used in configuration files, in the notation of Go's
 * {@code time.ParseDuration} (which the original project's configurations were written for) and Prometheus:
 * {@code 500ms}, {@code 5s}, {@code 1m}, {@code 1h}, and also {@code 1.5s}, {@code 1h30m}, {@code 2h45m},
 * {@code 1m30.5s}, {@code 300ms}, {@code 250us}.
 *
 * <ul>
 *   <li>A duration is one or more parts, each a decimal number (with an optional fraction: {@code 1.5},
 *       {@code .5}, {@code 5.}) directly followed by a unit: {@code ns}, {@code us} (or {@code µs}),
 *       {@code ms}, {@code s}, {@code m}, {@code h}, and {@code d} (a day of 24 hours, which Go lacks). No
 *       spaces between the parts.</li>
 *   <li>{@code 0} needs no unit, as in Go. Any other number without a unit is rejected: its unit would be a
 *       guess.</li>
 *   <li>A leading {@code +} is allowed, as in Go; a negative duration is not (no setting of a configuration
 *       means anything by it).</li>
 *   <li>Units may be written in upper case ({@code 5S}), which Go rejects but earlier versions of Aegis
 *       accepted.</li>
 *   <li>Durations are kept to the nanosecond, like Go's: digits below a nanosecond are dropped
 *       ({@code 1.0000000009s} is {@code 1s}), and the longest duration is Go's, about 292 years
 *       ({@code 2562047h47m16.854775807s}).</li>
 * </ul>
 */
public final class Durations {
    private static final String EXPECTED = "expected a duration like 500ms, 5s, 1m or 1h";
    private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);
    private static final long[] FORMAT_SIZES = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L,
        1_000_000_000L, 1_000_000L, 1_000L, 1L};
    private static final String[] FORMAT_UNITS = {"d", "h", "m", "s", "ms", "us", "ns"};

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @param text a duration such as {@code 500ms}, {@code 5s}, {@code 1m} or {@code 1h30m}; {@code 0} for zero
     * @return the duration
     * @throws IllegalArgumentException with a sentence saying what was expected, when {@code text} is not a
     *     duration (a bare number other than 0 is rejected: its unit would be a guess), is negative, or is longer
     *     than about 292 years
     */
    public static Duration parse(String text) {
        String trimmed = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException(EXPECTED + ", found an empty value");
        }
        String unsigned = trimmed;
        if (trimmed.charAt(0) == '-' || trimmed.charAt(0) == '+') {
            unsigned = trimmed.substring(1);
        }
        if (unsigned.equals("0")) {
            return Duration.ZERO; // Go's one number without a unit, whatever its sign
        }
        if (trimmed.charAt(0) == '-') {
            parseUnsigned(unsigned, text); // a malformed value is reported as such, not as negative
            throw new IllegalArgumentException(EXPECTED + ", found \"" + text + "\" (a duration cannot be negative)");
        }
        return parseUnsigned(unsigned, text);
    }

    private static Duration parseUnsigned(String value, String text) {
        BigDecimal nanos = BigDecimal.ZERO;
        int position = 0;
        if (value.isEmpty()) {
            throw malformed(text);
        }
        while (position < value.length()) {
            int numberStart = position;
            int digits = 0;
            while (position < value.length() && isDigit(value.charAt(position))) {
                position++;
                digits++;
            }
            if (position < value.length() && value.charAt(position) == '.') {
                position++;
                while (position < value.length() && isDigit(value.charAt(position))) {
                    position++;
                    digits++;
                }
            }
            if (digits == 0) {
                throw malformed(text);
            }
            BigDecimal amount = new BigDecimal(value.substring(numberStart, position));
            int unitStart = position;
            while (position < value.length() && !isDigit(value.charAt(position)) && value.charAt(position) != '.') {
                position++;
            }
            long unit = unitNanos(value.substring(unitStart, position));
            if (unit < 0) {
                throw malformed(text);
            }
            nanos = nanos.add(amount.multiply(BigDecimal.valueOf(unit)));
        }
        BigDecimal whole = nanos.setScale(0, RoundingMode.DOWN);
        if (whole.compareTo(MAX_NANOS) > 0) {
            throw new IllegalArgumentException(EXPECTED + ", found \"" + text
                    + "\", which is longer than the longest duration, " + format(Duration.ofNanos(Long.MAX_VALUE)));
        }
        return Duration.ofNanos(whole.longValueExact());
    }

    private static IllegalArgumentException malformed(String text) {
        String trimmed = text.trim();
        String hint = !trimmed.isEmpty() && trimmed.chars().allMatch(Durations::isDigit)
                ? " (add a unit: " + trimmed + "s?)" : "";
        return new IllegalArgumentException(EXPECTED + ", found \"" + text + "\"" + hint);
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    /** Nanoseconds per {@code unit}; -1 for an unknown unit. */
    private static long unitNanos(String unit) {
        switch (unit) {
            case "ns":
                return 1L;
            case "us":
            case "\u00b5s": // micro sign, as Go accepts
            case "\u03bcs": // Greek small letter mu, as Go accepts
                return 1_000L;
            case "ms":
                return 1_000_000L;
            case "s":
                return 1_000_000_000L;
            case "m":
                return 60_000_000_000L;
            case "h":
                return 3_600_000_000_000L;
            case "d":
                return 86_400_000_000_000L;
            default:
                return -1;
        }
    }

    /**
     * Prints a duration in the shortest form {@link #parse} reads back, e.g. {@code 1m30s}, {@code 250ms},
     * {@code 1ms500us}; {@code 0s} for zero.
     *
     * @param duration a duration that is not negative
     * @return the duration as text, such as {@code 1m30s}
     */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        StringBuilder sb = new StringBuilder();
        // whole days first, so that durations too long for a long of nanoseconds still print
        long days = duration.toDays();
        if (days > 0) {
            sb.append(days).append('d');
        }
        long nanos = duration.minusDays(days).toNanos();
        for (int i = 1; i < FORMAT_SIZES.length; i++) {
            if (nanos >= FORMAT_SIZES[i]) {
                sb.append(nanos / FORMAT_SIZES[i]).append(FORMAT_UNITS[i]);
                nanos %= FORMAT_SIZES[i];
            }
        }
        return sb.toString();
    }
}
