package io.aegis.api;

/**
 * The verdict of one health check.
 *
 * <p>Three-valued like Kubernetes probes, plus {@link #DEGRADED}: "I could not tell" ({@link #UNKNOWN}) is
 * not "it is down" ({@link #UNHEALTHY}).
 */
public enum HealthStatus {
    /** The service answered as expected. */
    HEALTHY,
    /** The service works but something is off (slow answer, certificate about to expire, warning exit code). */
    DEGRADED,
    /** The service is down or answered wrongly. */
    UNHEALTHY,
    /** The check could not reach a verdict (the checker itself failed, or the answer was ambiguous). */
    UNKNOWN;

    /** {@return whether this status counts as a passing check (healthy or degraded)} */
    public boolean isPassing() {
        return this == HEALTHY || this == DEGRADED;
    }
}
