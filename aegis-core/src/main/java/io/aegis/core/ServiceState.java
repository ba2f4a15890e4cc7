package io.aegis.core;

/**
 * Where a supervised service stands, as tracked by the engine's per-service state machine.
 *
 * <pre>
 * UNKNOWN → STARTING → HEALTHY ⇄ DEGRADED ⇄ UNHEALTHY → RECOVERING → HEALTHY
 *                                                     ↘ FAILED (no step of the recovery ladder left: a person must act)
 *                                                     ↘ ISOLATED (the ladder's isolate step, or a person: until reset)
 *
 * any of HEALTHY, DEGRADED, UNHEALTHY, RECOVERING → FLAPPING (more than flapping.threshold changes within
 *                                                  flapping.window)
 * FLAPPING → the state its checks show (after a whole flapping.window without a change)
 * FLAPPING → FAILED, ISOLATED, STARTING (a reset), STOPPED (at once: those end the flapping)
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
    /**
     * Changes state too often: more than its {@code flapping.threshold} times within {@code flapping.window}
     * (see {@link FlappingPolicy}). One alert is raised on entering and resolved on leaving, not one per flap,
     * and recovery escalates instead of restarting again. It is left only after a whole {@code flapping.window}
     * without a change. Only services with a {@code flapping:} policy ever get here.
     */
    FLAPPING,
    /**
     * Taken out of traffic by an isolate action, its workload kept running for debugging; no automatic recovery
     * and passing checks do not end it: {@code Engine.reset} does.
     */
    ISOLATED,
    /**
     * Recovery gave up (the budget of its last step is spent, or no step of its ladder is left); the engine leaves
     * the service alone until a person acts ({@code Engine.reset}) or it passes its checks again.
     */
    FAILED,
    /** The engine has stopped supervising it (shutdown). */
    STOPPED
}
