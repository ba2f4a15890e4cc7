package io.aegis.core.internal;

import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every {@link ServiceMonitor} of one engine shares.
 *
 * @param clock the engine's clock
 * @param timer the single scheduler thread: ticks, deadlines, delays; runs no plugin code but the non-blocking
 *     {@code check()} of the checkers bundled with Aegis, which a tick calls inline
 * @param workers the pool on which monitors run (each monitor serializes its own work on it; the check path of a
 *     bundled checker runs on the timer thread and the checker's loop instead while the monitor is idle)
 * @param pluginCalls where plugin entry points are invoked, so a plugin that blocks in a call holds one of
 *     its threads, never a worker or the timer
 * @param bus where events go
 * @param alerts where alerts are raised and resolved (published as events; delivered by a bus subscriber)
 * @param blockingChecks the limit on checks that block (scripts) and their threads; null for no limit
 * @param skippedChecks where ticks whose check did not run are counted and logged
 * @param redactor masks secrets in every check result before the monitor logs or publishes it (one place for
 *     every checker, rather than a proxy around each checker's hot path)
 * @param scheduler where monitors and recovery coordinators take their time and timers (virtual in tests); in
 *     production {@link Scheduler#over} the {@code timer}
 * @param recoveryPermits the fleet-wide limit on recovery actions in flight ({@code global.recovery.maxConcurrent})
 * @param checkLoad the cap on checks in flight per checker type ({@code global.maxInFlightChecks}) and the record of
 *     when the engine was behind
 * @param checkMetrics where each check attempt is counted directly (the engine's metrics), rather than through a
 *     {@code CheckCompleted} event per check; {@link CheckMetrics#NONE} without metrics
 */
public record MonitorContext(Clock clock, ScheduledExecutorService timer, Executor workers, Executor pluginCalls,
        EventBus bus, Alerts alerts, BlockingChecks blockingChecks, SkippedChecks skippedChecks,
        Redactor redactor, Scheduler scheduler, RecoveryPermits recoveryPermits, CheckLoad checkLoad,
        CheckMetrics checkMetrics) {

    /** A context without a cap on checks in flight, counting checks through events only (tests of other things). */
    public MonitorContext(Clock clock, ScheduledExecutorService timer, Executor workers, Executor pluginCalls,
            EventBus bus, Alerts alerts, BlockingChecks blockingChecks, SkippedChecks skippedChecks,
            Redactor redactor, Scheduler scheduler, RecoveryPermits recoveryPermits) {
        this(clock, timer, workers, pluginCalls, bus, alerts, blockingChecks, skippedChecks, redactor, scheduler,
                recoveryPermits, new CheckLoad(0), CheckMetrics.NONE);
    }

    /** A context timed by the {@code timer} thread, without a fleet-wide limit on recoveries. */
    public MonitorContext(Clock clock, ScheduledExecutorService timer, Executor workers, Executor pluginCalls,
            EventBus bus, Alerts alerts, BlockingChecks blockingChecks, SkippedChecks skippedChecks,
            Redactor redactor) {
        this(clock, timer, workers, pluginCalls, bus, alerts, blockingChecks, skippedChecks, redactor,
                Scheduler.over(timer), new RecoveryPermits(Integer.MAX_VALUE));
    }

    /** A context without a limit on blocking checks (benchmarks and tests of other things). */
    public MonitorContext(Clock clock, ScheduledExecutorService timer, Executor workers, Executor pluginCalls,
            EventBus bus, Alerts alerts) {
        this(clock, timer, workers, pluginCalls, bus, alerts, null, new SkippedChecks(), Redactor.urlCredentialsOnly());
    }
}
