package io.aegis.core.internal.recovery;

import io.aegis.api.CheckResult;
import io.aegis.api.RuntimeAdapter;
import io.aegis.core.ServiceState;
import java.util.Optional;

/**
 * What a {@link RecoveryCoordinator} may do to its service's monitor: the narrow way back from recovery to the
 * check cycle and the state machine. Every method is called on the service's serial executor and returns at once.
 */
public interface RecoveryTarget {

    /** The state machine's own state now (under FLAPPING, which is only published, the state it shows). */
    ServiceState state();

    /** The service's runtime, when it has one. */
    Optional<RuntimeAdapter> runtime();

    /** The final result of the latest check cycle, if any. */
    Optional<CheckResult> lastResult();

    /** Failed cycles in a row so far. */
    int consecutiveFailures();

    /** Moves the service to {@code state} for {@code cause} (publishes StateChanged; no-op when already there). */
    void moveTo(ServiceState state, String cause);

    /** The workload was just (re)started or rolled back: a new start period begins (failures in it do not count). */
    void workloadRestarted(String cause);

    /** Runs a check cycle now, unless one is running (a person resumed, a dependency recovered). */
    void checkNow();
}
