package io.aegis.core.internal;

import io.aegis.api.CheckResult;
import java.time.Instant;

/**
 * Where a monitor counts each check attempt directly, on its own thread: the engine's metrics need every check,
 * and a {@code CheckCompleted} event per check queued to a metrics subscriber cost a thread hand-off and a map
 * look-up per check. The event is still published when someone else subscribes to it.
 */
@FunctionalInterface
public interface CheckMetrics {
    /** Counts nothing (the engine runs without metrics, or they are fed from events). */
    CheckMetrics NONE = service -> Recorder.NONE;

    /** The recorder of service {@code service}; a monitor resolves it once. */
    Recorder forService(String service);

    /** Counts the check attempts of one service. */
    @FunctionalInterface
    interface Recorder {
        /** Counts nothing. */
        Recorder NONE = (result, at, finalAttempt) -> { };

        /** One attempt ended with {@code result} at {@code at}; must not throw. */
        void checkCompleted(CheckResult result, Instant at, boolean finalAttempt);

        /**
         * As {@link #checkCompleted(CheckResult, Instant, boolean)}, knowing whether the service was {@code normal}
         * when it ended (HEALTHY or DEGRADED): what the monitor calls.
         */
        default void checkCompleted(CheckResult result, Instant at, boolean finalAttempt, boolean normal) {
            checkCompleted(result, at, finalAttempt);
        }

        /** Tells {@code first}, then {@code second}. */
        static Recorder both(Recorder first, Recorder second) {
            return new Recorder() {
                @Override
                public void checkCompleted(CheckResult result, Instant at, boolean finalAttempt) {
                    first.checkCompleted(result, at, finalAttempt);
                    second.checkCompleted(result, at, finalAttempt);
                }

                @Override
                public void checkCompleted(CheckResult result, Instant at, boolean finalAttempt, boolean normal) {
                    first.checkCompleted(result, at, finalAttempt, normal);
                    second.checkCompleted(result, at, finalAttempt, normal);
                }
            };
        }
    }
}
