package io.aegis.core;

/**
 * Where a supervised service stands, as tracked by the engine's per-service state machine.
 *
 * <pre>
 * UNKNOWN → STARTING → HEALTHY ⇄ DEGRADED ⇄ UNHEALTHY → RECOVERING → HEALTHY
 *                                                     ↘ FAILED (restart budget spent: a person must act)
 * </pre>
 */
public enum ServiceState {
    /** Not checked yet. */
    UNKNOWN,
    /** Started recently; failures inside the start period do not count. */
    STARTING,
    /** Checks pass. */
    HEALTHY,
    /** Checks pass with a warning. */
    DEGRADED,
    /** Checks fail (as many times in a row as {@code failureThreshold} asks). */
    UNHEALTHY,
    /** A recovery action is running or waiting to be verified. */
    RECOVERING,
    /** Taken out of traffic by an isolate action. */
    ISOLATED,
    /** Recovery gave up (its budget is spent); the engine leaves the service alone until a person acts. */
    FAILED,
    /** The engine has stopped supervising it (shutdown). */
    STOPPED
}
