package io.aegis.core.internal;

import io.aegis.core.RetryBackoff;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * The delays between the attempts of one check cycle: the exponential curve of a {@link RetryBackoff}
 * (resilience4j {@link IntervalFunction}) with full jitter, the delay drawn uniformly from
 * {@code [0, curve(n)]} ("Exponential Backoff And Jitter", AWS architecture blog). The random source is
 * injected so tests can pin it. Stateless and thread-safe.
 */
public final class RetryDelays {
    private final IntervalFunction curve;
    private final DoubleSupplier random;

    /** Delays for {@code backoff}, drawing jitter from {@code random} (values in [0, 1)). */
    public RetryDelays(RetryBackoff backoff, DoubleSupplier random) {
        this.curve = IntervalFunction.ofExponentialBackoff(backoff.initial(), backoff.multiplier(), backoff.max());
        this.random = random;
    }

    /** The ceiling of the delay after failed attempt {@code attempt} (1 for the first attempt of a cycle). */
    public Duration ceiling(int attempt) {
        return Duration.ofMillis(curve.apply(attempt));
    }

    /** The delay to wait after failed attempt {@code attempt} before the next one. */
    public Duration after(int attempt) {
        return Duration.ofMillis((long) (random.getAsDouble() * (curve.apply(attempt) + 1)));
    }
}
