package io.aegis.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * What a recovery achieved, once that is known: one per recovery, after its {@link RecoveryFinished}.
 *
 * <p>{@link RecoveryFinished} says that the action ended and what the action itself reported: a restart that
 * started a new process "succeeded" even if that process crashes at once. This event is the verdict on the
 * service: for an action that acts on the workload (restart), it comes when the verification ends, that is
 * when the service is healthy again or when it is clear that it did not become healthy in time; for any other
 * action (notify), and for an action that failed or was skipped, it comes together with
 * {@link RecoveryFinished}. A recovery cut short by the engine's shutdown has no verdict.
 *
 * @param serviceName the service
 * @param at when the verdict was reached
 * @param action the action's name, as in {@link RecoveryStarted}
 * @param attempt as in the matching {@link RecoveryStarted}
 * @param outcome the verdict
 * @param detail a short sentence saying why, for logs and listeners
 */
public record RecoveryConcluded(String serviceName, Instant at, String action, int attempt, Outcome outcome,
        String detail) implements ServiceEvent {

    /** The verdict on one recovery. */
    public enum Outcome {
        /**
         * The service was healthy (or degraded) again within the verification time after the action
         * ({@code verifyWithin}, or the service's {@code startPeriod} when that is longer); for an action that does
         * not act on the workload (notify), the action did its job.
         */
        SUCCEEDED,
        /**
         * The action ran, but the service did not become healthy within the verification time, or its workload
         * exited again before it was healthy (a crash loop).
         */
        NOT_HEALTHY,
        /** The action itself failed (or did not finish within its deadline). */
        FAILED,
        /** The action decided there was nothing to do. */
        SKIPPED
    }

    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when the verdict was reached
     * @param action the action's name, as in {@link RecoveryStarted}
     * @param attempt as in the matching {@link RecoveryStarted}
     * @param outcome the verdict
     * @param detail a short sentence saying why, for logs and listeners
     */
    public RecoveryConcluded {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
    }
}
