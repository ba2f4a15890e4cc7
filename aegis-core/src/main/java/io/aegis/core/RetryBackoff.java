package io.aegis.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How the attempts of one check cycle are spaced when {@code retries} allows more than one: exponential
 * backoff with full jitter (each delay is drawn uniformly between zero and the exponential curve), so
 * many services retrying at once do not retry in step. A retry never starts past the cycle's next tick.
 *
 * <p>In YAML, on a service: {@code retryBackoff: {initial: 100ms, multiplier: 2, max: 2s}} (the defaults).
 */
public final class RetryBackoff {
    /** Default ceiling of the delay before the first retry. */
    public static final Duration DEFAULT_INITIAL = Duration.ofMillis(100);
    /** Default growth of the ceiling from one retry to the next. */
    public static final double DEFAULT_MULTIPLIER = 2.0;
    /** Default largest ceiling. */
    public static final Duration DEFAULT_MAX = Duration.ofSeconds(2);

    private static final RetryBackoff DEFAULTS = new RetryBackoff(DEFAULT_INITIAL, DEFAULT_MULTIPLIER, DEFAULT_MAX);

    private final Duration initial;
    private final double multiplier;
    private final Duration max;

    private RetryBackoff(Duration initial, double multiplier, Duration max) {
        this.initial = initial;
        this.multiplier = multiplier;
        this.max = max;
    }

    /**
     * The defaults: 100ms, ×2, at most 2s.
     *
     * @return the default backoff
     */
    public static RetryBackoff ofDefaults() {
        return DEFAULTS;
    }

    /**
     * A custom curve.
     *
     * @param initial the ceiling of the delay before the first retry, at least 1ms
     * @param multiplier the growth of the ceiling per retry, at least 1
     * @param max the largest ceiling, at least {@code initial}
     * @return the backoff
     * @throws IllegalArgumentException naming the field when initial is under 1ms, multiplier is below 1,
     *     or max is below initial
     */
    public static RetryBackoff of(Duration initial, double multiplier, Duration max) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.compareTo(Duration.ofMillis(1)) < 0) { // the delays are counted in whole milliseconds
            throw new IllegalArgumentException("retryBackoff.initial must be at least 1ms, got " + initial);
        }
        if (multiplier < 1.0) {
            throw new IllegalArgumentException("retryBackoff.multiplier must be at least 1, got " + multiplier);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("retryBackoff.max must not be below retryBackoff.initial, got " + max);
        }
        return new RetryBackoff(initial, multiplier, max);
    }

    /** {@return ceiling of the delay before the first retry} */
    public Duration initial() {
        return initial;
    }

    /** {@return growth of the ceiling per retry} */
    public double multiplier() {
        return multiplier;
    }

    /** {@return largest ceiling} */
    public Duration max() {
        return max;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryBackoff && initial.equals(((RetryBackoff) o).initial)
                && multiplier == ((RetryBackoff) o).multiplier && max.equals(((RetryBackoff) o).max);
    }

    @Override
    public int hashCode() {
        return Objects.hash(initial, multiplier, max);
    }

    @Override
    public String toString() {
        return "RetryBackoff{" + initial + " x" + multiplier + " max " + max + "}";
    }
}
