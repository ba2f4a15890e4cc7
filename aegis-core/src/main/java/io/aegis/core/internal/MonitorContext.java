package io.aegis.core.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every {@link ServiceMonitor} of one engine shares.
 *
 * @param clock the engine's clock
 * @param timer the single scheduler thread: ticks, deadlines, delays; never runs plugin code
 * @param workers the pool on which monitors run (each monitor serializes its own work on it)
 * @param bus where events go
 * @param alerts where alerts go
 * @param runtimeDeadline how long a runtime operation (start, stop, restart) may take before the engine
 *     gives up waiting
 */
public record MonitorContext(Clock clock, ScheduledExecutorService timer, Executor workers, EventBus bus,
        AlertDispatcher alerts, Duration runtimeDeadline) {
}
