package io.aegis.core;

import java.time.Duration;
import java.util.Objects;

/**
 * When a service counts as {@link ServiceState#FLAPPING FLAPPING}: it changed state more than {@code threshold}
 * times within {@code window}. It stops flapping only after a whole {@code window} without any state change
 * (hysteresis: entering needs a burst, leaving needs calm, so a service at the edge does not flap in and out of
 * FLAPPING itself).
 *
 * <p>Opt-in: a service without a {@code flapping:} block is never FLAPPING. In YAML, on a service:
 * <pre>
 * flapping: {threshold: 6, window: 10m}
 * </pre>
 * One restart that works moves a service through about three states (UNHEALTHY → RECOVERING → HEALTHY), so a
 * threshold of 6 means "more than two failures and recoveries within the window".
 *
 * @param threshold the most state changes within {@code window} that are still not flapping; at least 1
 * @param window how far back changes are counted, and how long a flapping service must stay calm to stop
 *     flapping; at least 1ms
 */
public record FlappingPolicy(int threshold, Duration window) {
    /** The shortest window: state changes are seen at the check interval's pace, at least 1ms apart. */
    public static final Duration MIN_WINDOW = Duration.ofMillis(1);

    /**
     * Validates the values.
     *
     * @param threshold the most state changes within {@code window} that are still not flapping; at least 1
     * @param window how far back changes are counted, and how long a flapping service must stay calm to stop flapping;
     *     at least 1ms
     * @throws IllegalArgumentException naming the field ({@code flapping.threshold}, {@code flapping.window})
     */
    public FlappingPolicy {
        if (threshold < 1) {
            throw new IllegalArgumentException("flapping.threshold must be at least 1, got " + threshold);
        }
        Objects.requireNonNull(window, "flapping.window");
        if (window.compareTo(MIN_WINDOW) < 0) {
            throw new IllegalArgumentException("flapping.window must be at least 1ms, got " + window);
        }
    }

    /**
     * Same as the constructor, reads better in a builder chain.
     *
     * @param threshold the most state changes within {@code window} that are still not flapping; at least 1
     * @param window how far back changes are counted
     * @return the policy
     */
    public static FlappingPolicy of(int threshold, Duration window) {
        return new FlappingPolicy(threshold, window);
    }
}
