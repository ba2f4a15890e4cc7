package io.aegis.core.internal;

import io.aegis.api.CheckResult;
import io.aegis.api.HealthStatus;
import io.aegis.core.ServiceState;
import java.time.Instant;
import java.util.Optional;

/**
 * The per-service health state machine: turns check cycles into state changes using
 * {@code failureThreshold} and {@code successThreshold} (Kubernetes semantics: counted in whole cycles,
 * consecutive). Pure logic: no threads, no clock of its own, so it is tested with plain instants.
 *
 * <p>It only decides what checks imply. Recovery-driven states (RECOVERING, FAILED, ISOLATED) are entered
 * through {@link #moveTo}; while in them, failing cycles change nothing and passing cycles count towards
 * HEALTHY again. Not thread-safe: a service's events are serialized by its monitor.
 */
public final class ServiceStateMachine {

    /** A change of state with its cause, as the monitor publishes it. */
    public record Transition(ServiceState from, ServiceState to, String cause) {
    }

    private final int failureThreshold;
    private final int successThreshold;
    private ServiceState state = ServiceState.UNKNOWN;
    private Instant graceUntil = Instant.MIN;
    private int consecutiveFailures;
    private int consecutiveSuccesses;
    /** Whether a signal of the service is anomalous (anomaly detection): passing means DEGRADED meanwhile. */
    private boolean anomalous;
    /** Whether the last passing check said DEGRADED itself. */
    private boolean lastPassDegraded;

    /** Creates a machine in state UNKNOWN. */
    public ServiceStateMachine(int failureThreshold, int successThreshold) {
        if (failureThreshold < 1 || successThreshold < 1) {
            throw new IllegalArgumentException("thresholds start at 1");
        }
        this.failureThreshold = failureThreshold;
        this.successThreshold = successThreshold;
    }

    /** The current state. */
    public ServiceState state() {
        return state;
    }

    /** Failed cycles in a row so far. */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /**
     * The workload was (re)started at {@code now}: failures until {@code now + gracePeriod} do not count.
     * Moves UNKNOWN to STARTING; keeps recovery states.
     */
    public Optional<Transition> started(Instant now, java.time.Duration gracePeriod, String cause) {
        graceUntil = now.plus(gracePeriod);
        consecutiveFailures = 0;
        consecutiveSuccesses = 0;
        if (state == ServiceState.UNKNOWN) {
            return moveTo(ServiceState.STARTING, cause);
        }
        return Optional.empty();
    }

    /**
     * Continues from {@code state}, the state a monitor this machine's replaces left the service in (a hot reload
     * that swapped its check): no transition, nothing published; the new checks go on from there.
     */
    public void continueFrom(ServiceState state) {
        this.state = state;
    }

    /** Returns whether failures at {@code now} fall in the grace period after a start. */
    public boolean inGracePeriod(Instant now) {
        return now.isBefore(graceUntil);
    }

    /** Accounts one completed check cycle (its final attempt) and returns the state change it causes. */
    public Optional<Transition> cycleCompleted(CheckResult result, Instant now) {
        if (result.isPassing()) {
            consecutiveFailures = 0;
            consecutiveSuccesses++;
            lastPassDegraded = result.status() == HealthStatus.DEGRADED;
            ServiceState passing = lastPassDegraded || anomalous ? ServiceState.DEGRADED : ServiceState.HEALTHY;
            switch (state) {
                case UNKNOWN:
                case STARTING:
                    return moveTo(passing, "first passing check: " + describe(result));
                case HEALTHY:
                case DEGRADED:
                    return state == passing ? Optional.empty() : moveTo(passing, describe(result));
                case ISOLATED:
                    // Out of traffic until a person resets it, even if its checks pass (it may pass off-traffic).
                    return Optional.empty();
                default:
                    if (consecutiveSuccesses >= successThreshold) {
                        return moveTo(passing, countOf(consecutiveSuccesses, "passing check") + ": " + describe(result));
                    }
                    return Optional.empty();
            }
        }
        consecutiveSuccesses = 0;
        if (inGracePeriod(now) && (state == ServiceState.STARTING || state == ServiceState.UNKNOWN
                || state == ServiceState.RECOVERING)) {
            return Optional.empty();
        }
        consecutiveFailures++;
        switch (state) {
            case UNKNOWN:
            case STARTING:
            case HEALTHY:
            case DEGRADED:
                if (consecutiveFailures >= failureThreshold) {
                    return moveTo(ServiceState.UNHEALTHY,
                            countOf(consecutiveFailures, "failed check") + ": " + describe(result));
                }
                return Optional.empty();
            default:
                return Optional.empty();
        }
    }

    /**
     * A signal of the service became anomalous ({@code true}), or none is any more: while one is, a passing service is
     * DEGRADED rather than HEALTHY. Returns the state change it causes now (HEALTHY and DEGRADED only).
     */
    public Optional<Transition> anomalous(boolean anomalous, String cause) {
        this.anomalous = anomalous;
        if (anomalous && state == ServiceState.HEALTHY) {
            return moveTo(ServiceState.DEGRADED, cause);
        }
        if (!anomalous && state == ServiceState.DEGRADED && !lastPassDegraded) {
            return moveTo(ServiceState.HEALTHY, cause);
        }
        return Optional.empty();
    }

    /** Moves to {@code target} for a reason outside the checks (recovery, process exit, shutdown). */
    public Optional<Transition> moveTo(ServiceState target, String cause) {
        if (target == state) {
            return Optional.empty();
        }
        ServiceState from = state;
        state = target;
        if (target == ServiceState.UNHEALTHY || target == ServiceState.RECOVERING) {
            consecutiveSuccesses = 0;
        }
        return Optional.of(new Transition(from, target, cause));
    }

    private static String countOf(int count, String what) {
        return count + " " + what + (count == 1 ? "" : "s") + (count == 1 ? "" : " in a row");
    }

    /** A check result in words, for causes and logs: {@code "status: HTTP 503"}. */
    public static String describe(CheckResult result) {
        String reason = result.failureReason().map(r -> r.label() + ": ").orElse("");
        String message = result.message().isEmpty() ? result.status().name().toLowerCase(java.util.Locale.ROOT)
                : result.message();
        return reason + message;
    }
}
