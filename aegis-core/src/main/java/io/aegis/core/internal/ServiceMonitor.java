package io.aegis.core.internal;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RuntimeAdapter;
import io.aegis.core.ServiceState;
import io.aegis.api.WorkloadStatus;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.WorkloadExited;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceSnapshot;
import io.aegis.core.internal.recovery.FlappingOverlay;
import io.aegis.core.internal.recovery.Ladder;
import io.aegis.core.internal.recovery.RecoveryCoordinator;
import io.aegis.core.internal.recovery.RecoveryTarget;
import io.aegis.plugin.support.NonBlockingChecker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises one service: runs its check cycles (with retries, blocking-check permits, redaction), feeds the
 * results to its {@link ServiceStateMachine}, and hands every state change, check cycle and workload exit to its
 * {@link RecoveryCoordinator}, which owns recovery (incidents, the ladder, backoff, budget, verification) and acts
 * back through the narrow {@link RecoveryTarget}.
 *
 * <p>Everything a monitor and its coordinator do runs serially ({@link SerialRunner}, over the shared worker pool),
 * so their state needs no locks and events are published in order. Plugin entry points are invoked on the
 * plugin-call pool under {@link Deadlines}. The one exception is the check path of the checkers bundled with Aegis
 * ({@link NonBlockingChecker}, never a third-party plugin): when the monitor is idle, the tick runs on the timer
 * thread itself and calls {@code check()} there (still under the engine's deadline), and a passing verdict is
 * judged on the thread that completed it (the checker's event loop); failures are judged on a worker. A checker that
 * names its loop ({@link NonBlockingChecker#checkLoop()}, the http checker) has its ticks scheduled on that loop, so
 * tick, request, answer and verdict run on one thread and a passing check wakes no other.
 */
public final class ServiceMonitor {
    private static final Logger log = LoggerFactory.getLogger(ServiceMonitor.class);
    /** Recovery actions without a runtime (notify) still get a deadline. */
    private static final Duration ACTION_DEADLINE = Duration.ofMinutes(2);
    /** A tick is shed as late only beyond half an interval and beyond this. */
    private static final long MIN_LATE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * How many timeouts in a row may be put down to the engine's starvation: a service that really hangs while the
     * engine stays overloaded is declared down after this many ticks, not never.
     */
    static final int MAX_EXCUSED_IN_A_ROW = 3;
    /**
     * How late a tick may reach the timer thread for its check to still start there (a bundled checker's): beyond
     * it the timer is behind, and the tick goes to a worker as a third-party checker's does.
     */
    static final long TIMER_BEHIND_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * The grid on which the ticks of a checker's loop are put ({@link #alignedToTheGrid}); {@code
     * -Daegis.tickGridMillis=0} turns it off (the baseline of the benchmarks). Coarser steps batch more checks per
     * wake-up of the loop, in bursts of (services per loop x step / interval) requests.
     */
    static final long TICK_GRID_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
            Long.getLong("aegis.tickGridMillis", 4));

    private final ServiceDefinition definition;
    private final String name;
    private final HealthChecker checker;
    private final RuntimeAdapter runtime;
    private final MonitorContext context;
    private final Scheduler scheduler;
    private final SerialRunner serial;
    /**
     * {@code -Daegis.inlineChecks=false} puts every check back on the guarded path (plugin-call thread, verdict on a
     * worker): a way out, and the baseline the benchmarks compare the inline path with.
     */
    private static final boolean INLINE_CHECKS = !"false".equals(System.getProperty("aegis.inlineChecks"));
    /**
     * Whether the checker is one of Aegis' own non-blocking ones ({@link #callsInline}): its {@code check()} is called
     * on the thread that starts the attempt and its verdict judged on the thread that completed it, without the
     * hand-offs to a plugin-call thread and back to a worker. Other checkers keep the guarded path.
     */
    private final boolean inline;
    /**
     * Whether a passing verdict may be judged on the checker's loop: judging it may ask the runtime (its status, that
     * the workload is healthy), so only without a runtime or with one from the engine's own class loader, never a
     * plugin jar's.
     */
    private final boolean inlineVerdicts;
    /** The workload as the runtime last described it (a passing check asked, or it exited); null before. */
    private volatile WorkloadStatus lastWorkloadStatus;
    /**
     * A trusted checker's event loop ({@link NonBlockingChecker#checkLoop()}), where its ticks are scheduled so that
     * tick, request, answer and verdict run on one thread; null: the ticks come from the engine's timer.
     */
    private final java.util.concurrent.ScheduledExecutorService tickLoop;
    private final ServiceStateMachine stateMachine;
    private final RecoveryCoordinator coordinator;
    /** Publishes the state machine's changes, with FLAPPING laid over them while the service flaps. */
    private final FlappingOverlay flapping;
    private final RetryDelays retryDelays;
    private final Duration checkDeadline;
    /** Immutable, and most cycles have only their first attempt: built once rather than per check. */
    private final CheckContext firstAttempt;
    private final Duration runtimeDeadline;
    /** Set (from any thread) as soon as shutdown begins, so exits caused by the shutdown are not crashes. */
    private volatile boolean stopping;
    /** Whether the checker is still inside a call of {@code check()} (not its stage): it must not block. */
    private final AtomicBoolean checkCallInFlight = new AtomicBoolean();
    /** Whether a plugin-call thread is inside {@code check()} now (not merely asked to call it). */
    private volatile boolean insideCheckCall;
    /**
     * Whether the last attempt's timeout was put down to the engine's starvation; if its call then turns out to be
     * stuck in the checker, the next attempt counts that timeout after all (it was a plugin that blocks).
     */
    private boolean timeoutExcused;
    /** Timeouts excused as starvation since the last attempt that was judged: at most {@link #MAX_EXCUSED_IN_A_ROW}. */
    private int timeoutsExcusedInARow;
    /** Whether each check holds a thread (a script): it then needs a permit of the engine's limit to start. */
    private final boolean blockingChecker;
    /** The in-flight slots of this service's checker type ({@code global.maxInFlightChecks}); null for blocking ones. */
    private final CheckLoad.Slots inFlightSlots;
    private final long intervalNanos;
    private static final int NO_VERDICT_WARNINGS_PER_MINUTE = 10;
    private static final java.util.concurrent.atomic.AtomicLong NO_VERDICT_MINUTE =
            new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);
    private static final java.util.concurrent.atomic.AtomicInteger NO_VERDICT_IN_MINUTE =
            new java.util.concurrent.atomic.AtomicInteger();
    /** Where each attempt is counted directly (the engine's metrics), without an event per check. */
    private final CheckMetrics.Recorder checkMetrics;

    // Confined to the serial executor.
    private boolean cycleRunning;
    /**
     * While the first start of the workload is in flight: no check runs, since there is nothing to check yet (a
     * fleet of processes launching together can take longer than the start period, and a check failing before
     * its process exists must not count against it).
     */
    private boolean workloadStarting;
    private boolean closed;
    /** The scheduler's nanoTime() of the tick after the one that started the running cycle: retries end before it. */
    private long nextTickNanos;
    /** Whether this service's last tick was shed because the line for in-flight slots stood. */
    private boolean lastTickShed;
    /** Whether the running cycle waited in line for one of {@link #inFlightSlots} (so it started late). */
    private boolean cycleWaitedForSlot;
    /** Whether the running cycle holds one of {@link #inFlightSlots}. */
    private boolean holdsSlot;
    /** The scheduler's nanoTime() when the running attempt was handed to the checker. */
    private long attemptStartNanos;
    /** The blocking-check permit of the attempt running or the retry scheduled; null for other checkers. */
    private BlockingChecks.Permit permit;
    /**
     * While the cycle waits in line for capacity (a permit for a blocking checker, an in-flight slot for the
     * others: never both), its place, and when it gives up.
     */
    private PlaceInLine placeInLine;
    private Scheduler.Task lineGiveUp;
    private CheckResult lastFinalResult;
    private Scheduler.Task ticks;
    private Scheduler.Task pendingRetry;

    // Read by any thread (snapshots).
    private volatile ServiceSnapshot snapshot;
    /** The endpoint as snapshots show it: URL credentials and values from the environment masked. */
    private final String maskedEndpoint;

    /** Creates a monitor whose recovery is the single action {@code action}; {@code runtime} may be null. */
    public ServiceMonitor(ServiceDefinition definition, HealthChecker checker, RuntimeAdapter runtime,
            RecoveryAction action, String actionName, boolean actionActsOnWorkload, MonitorContext context) {
        this(definition, checker, runtime, new Ladder(List.of(new Ladder.Step(actionName, action,
                Ladder.kindOf(actionName, actionActsOnWorkload)))), context);
    }

    /** Creates the monitor; nothing runs until {@link #start}. {@code runtime} may be null. */
    public ServiceMonitor(ServiceDefinition definition, HealthChecker checker, RuntimeAdapter runtime, Ladder ladder,
            MonitorContext context) {
        this(definition, checker, runtime, ladder, context, RecoveryTracker::new);
    }

    /** As the public constructor, with the tracker made by {@code trackers} (tests make its backoff deterministic). */
    public ServiceMonitor(ServiceDefinition definition, HealthChecker checker, RuntimeAdapter runtime, Ladder ladder,
            MonitorContext context, Function<io.aegis.core.RecoveryPolicy, RecoveryTracker> trackers) {
        this.definition = definition;
        this.name = definition.name();
        this.checker = checker;
        this.runtime = runtime;
        this.context = context;
        this.scheduler = context.scheduler();
        this.serial = new SerialRunner(context.workers());
        this.stateMachine = new ServiceStateMachine(definition.failureThreshold(), definition.successThreshold());
        this.retryDelays = new RetryDelays(definition.retryBackoff(), () -> ThreadLocalRandom.current().nextDouble());
        // Slack so that a checker's own timeout verdict (more precise: TIMEOUT on connect or on read) wins.
        Duration timeout = definition.timeout();
        this.checkDeadline = timeout.plus(max(Duration.ofMillis(100), timeout.dividedBy(10)));
        this.firstAttempt = new CheckContext(1, timeout);
        this.blockingChecker = context.blockingChecks() != null && declaresBlocking(checker);
        this.inline = !blockingChecker && callsInline(checker);
        this.inlineVerdicts = inline && (runtime == null
                || runtime.getClass().getClassLoader() == ServiceMonitor.class.getClassLoader());
        this.tickLoop = inline ? checkLoopOf((NonBlockingChecker) checker) : null;
        this.inFlightSlots = blockingChecker ? null : context.checkLoad().slotsFor(definition.checkType());
        this.intervalNanos = definition.interval().toNanos();
        this.checkMetrics = context.checkMetrics().forService(name);
        this.runtimeDeadline = runtime == null ? ACTION_DEADLINE : safeOperationTimeout(runtime);
        Duration actionDeadline = runtime == null ? ACTION_DEADLINE : runtimeDeadline.plus(Duration.ofSeconds(10));
        this.coordinator = new RecoveryCoordinator(definition, ladder, context, this::runSerially, new Target(),
                trackers.apply(definition.recoveryPolicy()), runtimeDeadline, actionDeadline);
        this.flapping = new FlappingOverlay(name, definition.flapping().orElse(null), context, this::runSerially,
                coordinator, stateMachine::state, this::updateSnapshot);
        this.maskedEndpoint = context.redactor() == null ? definition.endpoint()
                : context.redactor().redact(definition.endpoint());
        this.snapshot = new ServiceSnapshot(name, ServiceState.UNKNOWN, context.clock().instant(), Optional.empty(), 0,
                false, Optional.empty(), Optional.empty(), definition.checkType(), maskedEndpoint);
    }

    /** The service's name. */
    public String name() {
        return name;
    }

    /** The service's runtime, when it has one. */
    public Optional<RuntimeAdapter> runtime() {
        return Optional.ofNullable(runtime);
    }

    /** How long the engine waits for an operation of this service's runtime. */
    public Duration runtimeDeadline() {
        return runtimeDeadline;
    }

    /**
     * The latest state, readable from any thread, with the workload as the runtime last described it (never asked
     * here: a plugin's {@code status()} could block the caller).
     */
    public ServiceSnapshot snapshot() {
        ServiceSnapshot current = snapshot;
        WorkloadStatus status = lastWorkloadStatus;
        if (status == null) {
            return current;
        }
        Optional<String> workload = Optional.of(context.redactor() == null ? status.description()
                : context.redactor().redact(status.description()));
        return new ServiceSnapshot(current.name(), current.state(), current.since(), current.lastResult(),
                current.recoveries(), current.paused(), current.ladderStep(), workload, current.checkType(),
                current.endpoint());
    }

    /**
     * What the runtime says of the workload now, without waiting (a status not ready at once, or failing, is null);
     * remembered for {@link #snapshot()}, so reading a service never calls a runtime: it shows the workload as of its
     * start or restart, its last passing check, or its exit.
     */
    private WorkloadStatus askWorkloadStatus() {
        if (runtime == null) {
            return null;
        }
        try {
            WorkloadStatus status = runtime.status().toCompletableFuture().getNow(null);
            if (status != null) {
                lastWorkloadStatus = status;
            }
            return status;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The service's checker (the engine closes it). */
    public HealthChecker checker() {
        return checker;
    }

    /** The service's definition. */
    public ServiceDefinition definition() {
        return definition;
    }

    /**
     * Logs a check without a verdict: at WARN for the first {@link #NO_VERDICT_WARNINGS_PER_MINUTE} of each minute in
     * this process, then at DEBUG with their number said once the minute is over. When the process runs out of file
     * descriptors every check gives no verdict, and one line per check was ~220 lines a second (hostile test, Dec 2).
     */
    private void warnNoVerdict(String message) {
        long minute = java.util.concurrent.TimeUnit.NANOSECONDS.toMinutes(System.nanoTime());
        long current = NO_VERDICT_MINUTE.get();
        if (minute != current && NO_VERDICT_MINUTE.compareAndSet(current, minute)) {
            int lastMinute = NO_VERDICT_IN_MINUTE.getAndSet(0);
            if (lastMinute > NO_VERDICT_WARNINGS_PER_MINUTE) {
                log.warn("{} more checks gave no verdict in the last minute (not logged one by one)",
                        lastMinute - NO_VERDICT_WARNINGS_PER_MINUTE);
            }
        }
        if (NO_VERDICT_IN_MINUTE.incrementAndGet() <= NO_VERDICT_WARNINGS_PER_MINUTE) {
            log.warn("{}: check gave no verdict: {}", name, message);
        } else {
            log.debug("{}: check gave no verdict: {}", name, message);
        }
    }

    /** Whether a person paused the service (maintenance); any thread. */
    public boolean paused() {
        return coordinator.paused();
    }

    /**
     * Runs {@code action} on the service's serial executor with its recovery coordinator (a person's pause,
     * resume, reset...; later the wiring of flapping and dependencies); the future completes with its result.
     */
    public <T> CompletableFuture<T> withCoordinator(Function<RecoveryCoordinator, CompletableFuture<T>> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            serial.execute(() -> {
                if (closed) {
                    result.completeExceptionally(new IllegalStateException("the engine is shutting down"));
                    return;
                }
                try {
                    action.apply(coordinator).whenComplete((value, error) -> {
                        if (error != null) {
                            result.completeExceptionally(Deadlines.unwrap(error));
                        } else {
                            result.complete(value);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                } finally {
                    updateSnapshot();
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the engine is shutting down", e));
        }
        return result;
    }

    /** Runs a check cycle now (unless one is running), besides the periodic ones. */
    public void checkNow() {
        runSerially(() -> beginCycle(scheduler.nanoTime() + definition.interval().toNanos(), true));
    }

    /**
     * Starts the workload (when there is a runtime) and the periodic checks. The first check comes after
     * {@code initialDelay} plus a random offset within {@code firstCheckSpread} (capped at the interval), so
     * a large fleet does not check everything in the same instant, then every interval after that.
     */
    public void start(Duration firstCheckSpread) {
        start(firstCheckSpread, (ServiceSnapshot) null);
    }

    /**
     * Takes over from the monitor this one replaces (a hot reload that changed the service's check but not its
     * runtime): the workload already runs and is not started again; the checks start, and the service continues in
     * the state {@code previous} shows when it is HEALTHY, DEGRADED or STARTING (any other state is judged again from
     * UNKNOWN by the new checks). {@code previous.paused()} is carried over.
     */
    public void adopt(Duration firstCheckSpread, ServiceSnapshot previous) {
        start(firstCheckSpread, java.util.Objects.requireNonNull(previous, "previous"));
    }

    private void start(Duration firstCheckSpread, ServiceSnapshot previous) {
        runSerially(() -> {
            if (previous != null) {
                ServiceState state = previous.state();
                if (state == ServiceState.HEALTHY || state == ServiceState.DEGRADED
                        || state == ServiceState.STARTING) {
                    stateMachine.continueFrom(state);
                    if (state == ServiceState.STARTING) {
                        stateMachine.started(previous.since(), definition.startPeriod(), "configuration reloaded");
                    }
                    snapshot = new ServiceSnapshot(name, state, previous.since(), previous.lastResult(), 0, false,
                            Optional.empty(), Optional.empty(), definition.checkType(), maskedEndpoint);
                }
                lastFinalResult = previous.lastResult().orElse(null);
                if (previous.paused()) {
                    coordinator.pause("paused before the configuration was reloaded");
                }
                updateSnapshot();
            } else if (runtime != null) {
                // The grace period starts now, not when the start completes: the first check may come first.
                transition(stateMachine.started(now(), definition.startPeriod(), "starting the workload"));
                startWorkload();
            }
            long jitterNanos = ThreadLocalRandom.current().nextLong(
                    Math.max(1, Math.min(definition.interval().toNanos(), firstCheckSpread.toNanos())));
            long intervalNanos = definition.interval().toNanos();
            long now = scheduler.nanoTime();
            // When each tick is due (a fixed rate keeps to these times), so a cycle knows when the next comes.
            long firstTickNanos = alignedToTheGrid(now + definition.initialDelay().toNanos() + jitterNanos,
                    intervalNanos);
            long firstNanos = firstTickNanos - now;
            AtomicLong tickCount = new AtomicLong();
            try {
                Runnable tick = () -> {
                    long dueNanos = firstTickNanos + tickCount.getAndIncrement() * intervalNanos;
                    // On the ticking thread itself (the timer, or the checker's loop) when the monitor is idle (the
                    // usual case): no hand-off to a worker. But not once that thread runs behind (starved on a busy
                    // host): then the starts spill over to the workers, so that every tick is not waiting on the one
                    // thread doing every start.
                    try {
                        boolean timerOnTime = scheduler.nanoTime() - dueNanos < TIMER_BEHIND_NANOS;
                        runSerially(() -> beginCycle(dueNanos + intervalNanos, false), inline && timerOnTime);
                    } catch (Throwable e) {
                        // A throwable that escaped a tick would cancel this fixed-rate schedule for good: the service
                        // would silently never be checked again. Logged; the next tick runs.
                        log.error("{}: a check tick failed; the next tick runs as planned", name, e);
                    }
                };
                ticks = scheduleTicks(tick, Duration.ofNanos(firstNanos), Duration.ofNanos(intervalNanos));
            } catch (RejectedExecutionException e) {
                log.debug("{}: the engine shut down before the checks started", name);
            }
        });
    }

    /**
     * The first tick's time, moved up to the next whole {@link #TICK_GRID_NANOS} when the ticks run on a checker's
     * loop (and the interval is a whole number of grid steps, so every later tick stays on it): the ticks of a loop's
     * services then come due together, a few per step, and the loop wakes once for them (and once or twice for their
     * answers, which come back together) instead of once per check. The phase is still random, at the grid's
     * resolution; no tick is later than its own schedule. Otherwise unchanged.
     */
    private long alignedToTheGrid(long firstTickNanos, long intervalNanos) {
        if (tickLoop == null || TICK_GRID_NANOS <= 0 || intervalNanos % TICK_GRID_NANOS != 0) {
            return firstTickNanos;
        }
        return Math.floorDiv(firstTickNanos + TICK_GRID_NANOS - 1, TICK_GRID_NANOS) * TICK_GRID_NANOS;
    }

    /**
     * Schedules the ticks on the trusted checker's loop when it offered one, else (or when the loop refuses them:
     * the checker is closing) on the engine's timer, so a service is never left unticked.
     */
    private Scheduler.Task scheduleTicks(Runnable tick, Duration first, Duration interval) {
        if (tickLoop != null) {
            try {
                return scheduler.scheduleAtFixedRateOn(tickLoop, tick, first, interval);
            } catch (RejectedExecutionException e) {
                log.debug("{}: the checker's loop refused the ticks; the engine's timer ticks instead", name);
            }
        }
        return scheduler.scheduleAtFixedRate(tick, first, interval);
    }

    /**
     * As {@link #start(Duration)}, once {@code after} completes (either way): the seam for starting a service only
     * when its dependencies have passed their first check. Until then the service stays UNKNOWN, unchecked.
     */
    public void start(Duration firstCheckSpread, java.util.concurrent.CompletionStage<?> after) {
        after.whenComplete((ignored, error) -> {
            if (!stopping) {
                start(firstCheckSpread);
            }
        });
    }

    /**
     * Anomaly detection found a signal of the service anomalous ({@code true}), or none is any more (any thread):
     * while one is, the service is DEGRADED when its checks pass.
     */
    public void anomalous(boolean anomalous, String cause) {
        runSerially(() -> {
            if (closed || stopping) {
                return;
            }
            transition(stateMachine.anomalous(anomalous, cause));
        });
    }

    /** Called by the runtime (any thread) when the workload ended without being asked to. */
    public void workloadExited(WorkloadStatus status) {
        lastWorkloadStatus = status;
        runSerially(() -> onWorkloadExit(status));
    }

    /**
     * Called by the runtime (any thread) when a workload it was asked to stop or replace had ended on its own first:
     * on record (event, metric, log), not acted on, since what runs now is not what ended.
     */
    public void workloadExitedBeforeStop(WorkloadStatus status) {
        runSerially(() -> {
            context.bus().publish(new WorkloadExited(name, now(), status));
            if (!closed && !stopping) {
                log.warn("{}: workload had exited unexpectedly before it was stopped or replaced ({})", name,
                        status.description());
            }
        });
    }

    /**
     * Marks the service as shutting down at once (from the closing thread), so that workload exits caused by
     * the shutdown itself (a signal sent to the whole process group) are not taken for crashes.
     */
    public void prepareToStop() {
        stopping = true;
        // Nothing new starts from here on (hostile F3: a restart launched, and alerts raised, after "shutting
        // down"): the checks in flight are not judged (a service stopped by the same signal as aegis fails them),
        // and no recovery begins while the engine closes its log sources before it stops the monitors.
        runSerially(coordinator::close);
    }

    /** Stops the checks and recovery; completes when no more work will start. The engine stops the workload. */
    public CompletableFuture<Void> stopMonitoring() {
        return stopMonitoring("engine shutting down");
    }

    /** As {@link #stopMonitoring()}, the service turning STOPPED for {@code reason} (a reload removed it...). */
    public CompletableFuture<Void> stopMonitoring(String reason) {
        stopping = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        runSerially(() -> {
            stopWork();
            transition(stateMachine.moveTo(ServiceState.STOPPED, reason));
            flapping.close();
            done.complete(null);
        });
        return done;
    }

    /** What every way of stopping a monitor does first: no tick, retry, recovery or slot of its own is left. */
    private void stopWork() {
        closed = true;
        Scheduler.cancel(ticks);
        Scheduler.cancel(pendingRetry);
        coordinator.close();
        releasePermit();
        releaseSlot();
        leaveLine();
    }

    /**
     * Stops the checks and recovery for a monitor that replaces this one and takes over the running workload (a hot
     * reload): as {@link #stopMonitoring()}, but the service does not turn STOPPED and its workload's exits are no
     * longer this monitor's. Returns the last snapshot once no more work will start.
     */
    public CompletableFuture<ServiceSnapshot> handOver() {
        stopping = true;
        CompletableFuture<ServiceSnapshot> done = new CompletableFuture<>();
        runSerially(() -> {
            stopWork();
            flapping.close();
            done.complete(snapshot);
        });
        return done;
    }

    // ---- workload ---------------------------------------------------------------------------------

    private void startWorkload() {
        workloadStarting = true;
        Deadlines.<Throwable>call(() -> runtime.start().thenApply(started -> null), context.pluginCalls(),
                runtimeDeadline, scheduler, error -> error,
                () -> new TimeoutException("did not start within " + runtimeDeadline.toSeconds() + "s"))
                .thenAccept(error -> runSerially(() -> {
                    workloadStarting = false;
                    if (closed || stopping) {
                        return;
                    }
                    if (error == null) {
                        log.info("{}: workload started", name);
                        askWorkloadStatus(); // its pid shows from now, not from its first passing check
                        transition(stateMachine.started(now(), definition.startPeriod(), "workload started"));
                    } else {
                        log.error("{}: could not start the workload: {}", name, Deadlines.describe(error));
                        transition(stateMachine.moveTo(ServiceState.UNHEALTHY,
                                "could not start the workload: " + Deadlines.describe(error)));
                    }
                }));
    }

    private void onWorkloadExit(WorkloadStatus status) {
        context.bus().publish(new WorkloadExited(name, now(), status));
        if (closed || stopping) {
            return;
        }
        log.warn("{}: workload exited unexpectedly ({})", name, status.description());
        coordinator.onWorkloadExit(status);
        updateSnapshot();
    }

    // ---- check cycles -----------------------------------------------------------------------------

    private void beginCycle(long nextTick, boolean onDemand) {
        if (closed || stopping || coordinator.actionRunning() || workloadStarting) {
            return;
        }
        if (!onDemand && tickIsLate(nextTick)) {
            return;
        }
        if (cycleRunning) {
            if (!onDemand) {
                // a cycle that waited in line for an in-flight slot (or still waits): the cap made it late
                context.skippedChecks().skipped(name, cycleWaitedForSlot
                        ? SkippedChecks.Reason.OVERLOAD : SkippedChecks.Reason.BUSY);
            }
            return;
        }
        if (inFlightSlots != null) {
            if (!inFlightSlots.tryAcquire()) {
                if (!onDemand && inFlightSlots.shedding() && !lastTickShed) {
                    // the line stands: this tick is shed so that it drains; the next one joins it (CheckLoad.Slots)
                    lastTickShed = true;
                    context.skippedChecks().skipped(name, SkippedChecks.Reason.OVERLOAD);
                    return;
                }
                lastTickShed = false;
                waitForSlot(nextTick);
                return;
            }
            lastTickShed = false;
            holdsSlot = true;
        }
        if (blockingChecker) {
            Optional<BlockingChecks.Permit> granted = context.blockingChecks().tryAcquire();
            if (granted.isEmpty()) {
                waitInLine(nextTick, SkippedChecks.Reason.NO_CAPACITY, () -> context.blockingChecks()
                        .request(permitted -> runSerially(() -> permitGranted(permitted))));
                return;
            }
            permit = granted.get();
        }
        cycleRunning = true;
        cycleWaitedForSlot = false;
        nextTickNanos = nextTick;
        attempt(1);
    }

    /**
     * Whether the tick due one interval before {@code nextTick} reaches the monitor more than half an interval late:
     * the engine is behind (its CPU saturated, a long pause), and running this tick now would only add a check
     * to the backlog of late ones; it is shed, counted and logged, and the next tick runs on time.
     */
    private boolean tickIsLate(long nextTick) {
        long lateNanos = scheduler.nanoTime() - (nextTick - intervalNanos);
        // At least 100 ms: a 50 ms interval's tick 30 ms late on a busy box is jitter, not a backlog.
        if (lateNanos > Math.max(intervalNanos / 2, MIN_LATE_NANOS)) {
            context.skippedChecks().skipped(name, SkippedChecks.Reason.LATE);
            return true;
        }
        return false;
    }

    /**
     * Waits in line for capacity ({@code getInLine} takes the place: a blocking checker's permit), but only while the
     * check could still end before the next tick; then the tick is skipped for {@code reason}. The wait is not the
     * check's: its timeout starts when it starts.
     */
    private void waitInLine(long nextTick, SkippedChecks.Reason reason, Supplier<PlaceInLine> getInLine) {
        long patienceNanos = nextTick - checkDeadline.toNanos() - scheduler.nanoTime();
        if (patienceNanos <= 0) {
            context.skippedChecks().skipped(name, reason);
            return;
        }
        cycleRunning = true;
        nextTickNanos = nextTick;
        PlaceInLine place = getInLine.get();
        placeInLine = place;
        lineGiveUp = schedule(() -> {
            if (placeInLine == place && place.cancel()) {
                placeInLine = null;
                lineGiveUp = null;
                cycleRunning = false;
                context.skippedChecks().skipped(name, reason);
            }
        }, Duration.ofNanos(patienceNanos));
        if (lineGiveUp == null) {
            leaveLine();
            cycleRunning = false;
        }
    }

    /**
     * Waits in line for an in-flight slot for as long as it takes (see {@link CheckLoad} for why not only until
     * the next tick): the ticks that come meanwhile are skipped as {@code overload}, and the check runs when its
     * turn comes, late. Its timeout starts when it starts.
     */
    private void waitForSlot(long nextTick) {
        cycleRunning = true;
        cycleWaitedForSlot = true;
        nextTickNanos = nextTick;
        // granted on the thread that freed the slot (another service's verdict): handed to a worker
        placeInLine = inFlightSlots.request(this::slotGranted);
    }

    /** An in-flight slot came free for this monitor's place in line; on the thread that freed it. */
    private void slotGranted(CheckLoad.Slots.Waiter granted) {
        runSerially(() -> {
            if (closed || placeInLine != granted) {
                inFlightSlots.release();
                return;
            }
            leftLineWithGrant();
            holdsSlot = true;
            // The wait may have outlasted the tick after the one that started the cycle: retries end before the next
            // tick still to come, not before one already past (none would ever fit).
            long now = scheduler.nanoTime();
            if (nextTickNanos - now <= 0) {
                nextTickNanos += ((now - nextTickNanos) / intervalNanos + 1) * intervalNanos;
            }
            if (coordinator.actionRunning() || workloadStarting) {
                // a recovery (or a person's pause) began while it waited, maybe seconds under overload: as at a tick
                endCycle();
                return;
            }
            attempt(1);
        });
    }

    private void permitGranted(BlockingChecks.Permit granted) {
        if (closed || placeInLine == null) {
            granted.checkEnded();
            return;
        }
        leftLineWithGrant();
        permit = granted;
        attempt(1);
    }

    private void leftLineWithGrant() {
        placeInLine = null;
        Scheduler.cancel(lineGiveUp);
        lineGiveUp = null;
    }

    /** Leaves the line; capacity granted meanwhile is given back by {@link #slotGranted} / {@link #permitGranted}. */
    private void leaveLine() {
        if (placeInLine != null) {
            placeInLine.cancel();
            placeInLine = null;
        }
        Scheduler.cancel(lineGiveUp);
        lineGiveUp = null;
    }

    private void attempt(int number) {
        pendingRetry = null;
        if (closed || stopping) {
            releasePermit();
            endCycle();
            return;
        }
        if (!checkCallInFlight.compareAndSet(false, true)) {
            if (timeoutExcused && insideCheckCall) {
                // The timeout excused as starvation was a checker blocked in its call after all: it counts now.
                timeoutExcused = false;
                attemptCompleted(number, CheckResult.unknown(FailureReason.TIMEOUT, "no verdict within "
                        + definition.timeout().toMillis() + "ms (checker " + definition.checkType()
                        + " is still blocked in its call)", definition.timeout()));
                return;
            }
            // A previous call to check() has not returned: invoking it again would only pile up blocked threads.
            attemptCompleted(number, CheckResult.unknown(FailureReason.PLUGIN_ERROR, "checker "
                    + definition.checkType() + " is still blocked in its previous call (a checker must not block)",
                    Duration.ZERO));
            return;
        }
        timeoutExcused = false;
        CheckContext checkContext = number == 1 ? firstAttempt : new CheckContext(number, definition.timeout());
        long startNanos = scheduler.nanoTime();
        attemptStartNanos = startNanos;
        BlockingChecks.Permit attemptPermit = permit;
        Deadlines.<CheckResult>call(() -> {
            insideCheckCall = true;
            try {
                return attemptPermit == null ? checker.check(checkContext)
                        : attemptPermit.call(() -> checker.check(checkContext));
            } finally {
                insideCheckCall = false;
                checkCallInFlight.set(false);
            }
        }, inline ? Runnable::run : context.pluginCalls(), checkDeadline, scheduler,
                error -> CheckResult.unknown(FailureReason.PLUGIN_ERROR,
                        "checker " + definition.checkType() + " failed: " + Deadlines.describe(error),
                        Duration.ofNanos(scheduler.nanoTime() - startNanos)),
                // (never HEALTHY, so judged on a worker: the wheel's thread stays free)
                () -> CheckResult.unknown(FailureReason.TIMEOUT,
                        "no verdict within " + definition.timeout().toMillis() + "ms", definition.timeout()))
                // A trusted checker's passing verdict is judged where it arrived (its event loop): the cheap, common
                // case. A failure goes to a worker as before: it may log, alert, start a recovery or a retry, which
                // must not hold up the loop's other checks (in a failure storm that work would starve the loop and
                // turn more checks into timeouts), and the engine's own timeout must leave the wheel's thread free.
                .thenAccept(result -> runSerially(() -> attemptCompleted(number, result != null ? result
                        : CheckResult.unknown(FailureReason.PLUGIN_ERROR, "checker " + definition.checkType()
                                + " completed without a result", Duration.ofNanos(scheduler.nanoTime() - startNanos))),
                        inlineVerdicts && result != null && judgedOnTheLoop(result)));
    }

    /**
     * Whether a trusted checker's verdict may be judged on the thread it arrived on (its event loop): only the
     * plain case, a HEALTHY result for a service already HEALTHY, which changes no state, logs nothing and
     * starts nothing. Anything else (a failure, DEGRADED, the first pass after a start, which transitions and
     * may raise or resolve alerts, and a pass while the workload is not known to run, which makes
     * {@link WorkloadPresence} look through /proc) goes to a worker. Read from the loop, {@link #snapshot} may
     * be a moment old: that only picks the thread, the verdict is still judged in order.
     */
    private boolean judgedOnTheLoop(CheckResult result) {
        return result.status() == HealthStatus.HEALTHY && snapshot.state() == ServiceState.HEALTHY;
    }

    private void attemptCompleted(int number, CheckResult result) {
        releasePermit();
        if (closed || stopping) {
            endCycle();
            return;
        }
        if (coordinator.personsRestartRunning()) {
            // begun before the restart, seen during it: no verdict on the service (no new cycle begins meanwhile)
            endCycle();
            log.debug("{}: a check that ended during a person's restart is not judged ({})", name,
                    context.redactor().redact(result).message());
            return;
        }
        if (timedOutWhileBehind(result)) {
            timeoutExcused = true;
            timeoutsExcusedInARow++;
            // The engine (or the checker's threads) starved: the timeout says nothing about the service. Counted as
            // a shed tick, not a failure, and not retried (a retry would only add load); the next tick checks again.
            endCycle();
            context.skippedChecks().skipped(name, SkippedChecks.Reason.OVERLOAD);
            log.debug("{}: check timed out while aegis was behind; not counted as a failure ({})", name,
                    context.redactor().redact(result).message());
            updateSnapshot();
            return;
        }
        timeoutsExcusedInARow = 0;
        // What the checker (or its failure) says may quote a secret: masked before anything logs or publishes it.
        result = context.redactor().redact(result);
        // Passing is the service's own only while its workload runs (issue 7: an orphan served the port).
        result = WorkloadPresence.check(result, result.isPassing() ? askWorkloadStatus() : null,
                definition.endpoint());
        Instant now = now();
        // Most attempts pass: the retry delay (a stream in resilience4j's IntervalFunction) only when one may follow.
        Duration retryDelay = result.isPassing() || number > definition.retries() ? null : retryDelays.after(number);
        boolean isFinal = retryDelay == null || !retryFits(retryDelay) || !reserveRetryPermit();
        if (isFinal) {
            endCycle();
            lastFinalResult = result;
        }
        // "normal": passing its checks, the only states whose numbers a baseline may learn (a start, an outage and a
        // recovery are the health checks' to report; the start period only matters before the first pass)
        ServiceState state = stateMachine.state();
        checkMetrics.checkCompleted(result, now, isFinal, state == ServiceState.HEALTHY
                || state == ServiceState.DEGRADED);
        if (context.bus().wants(CheckCompleted.class)) {
            context.bus().publish(new CheckCompleted(name, now, result, number, isFinal));
        }
        if (!isFinal) {
            log.debug("{}: attempt {} failed ({}), retrying in {}ms", name, number, result, retryDelay.toMillis());
            pendingRetry = schedule(() -> attempt(number + 1), retryDelay);
            if (pendingRetry == null) {
                releasePermit();
                endCycle();
            }
            return;
        }
        log.debug("{}: {}", name, result);
        if (result.failureReason().filter(reason -> reason == FailureReason.PLUGIN_ERROR).isPresent()) {
            // "Could not tell" is not "down" (like a Kubernetes probe error): no threshold moves.
            warnNoVerdict(result.message());
            updateSnapshot();
            return;
        }
        transition(stateMachine.cycleCompleted(result, now));
        coordinator.onCycleCompleted(result, now);
        if (runtime != null && stateMachine.state() == ServiceState.HEALTHY) {
            tellRuntimeHealthy();
        }
        updateSnapshot();
    }

    /** Lets the runtime record the version that runs now as known-good, the one a rollback goes back to. */
    private void tellRuntimeHealthy() {
        try {
            runtime.workloadHealthy();
        } catch (RuntimeException | LinkageError e) {
            // A plugin's mistake must not end the check cycle; it only loses its rollback target.
            log.warn("{}: runtime {} failed to record the healthy version: {}", name, definition.runtimeType().orElse("?"),
                    e.toString());
        }
    }

    /**
     * Whether {@code result} is a timeout that the engine's own starvation explains: its verdict reached the monitor
     * more than {@link CheckLoad#BEHIND_TOLERANCE_NANOS} after the attempt's deadline (the engine's deadline timer,
     * or this monitor's thread, ran that late: the engine's CPU is saturated), unless the checker is still inside its
     * {@code check()} call (a plugin that blocks: a failure as before; a call not even started yet is starvation too).
     * Kubernetes, Monit and
     * Gatus users expect a probe that timed out because the prober was starved not to count against the service. A
     * timeout whose verdict comes on time is a failure as before.
     */
    private boolean timedOutWhileBehind(CheckResult result) {
        if (result.failureReason().orElse(null) != FailureReason.TIMEOUT || insideCheckCall
                || timeoutsExcusedInARow >= MAX_EXCUSED_IN_A_ROW) {
            return false;
        }
        long overdueNanos = scheduler.nanoTime() - attemptStartNanos - checkDeadline.toNanos();
        return overdueNanos > CheckLoad.BEHIND_TOLERANCE_NANOS;
    }

    /**
     * Whether a retry started after {@code delay} ends before the next tick even if it takes its whole
     * deadline (the timeout plus the engine's slack), so that a retry never makes the next tick skip.
     */
    private boolean retryFits(Duration delay) {
        return scheduler.nanoTime() + delay.toNanos() + checkDeadline.toNanos() - nextTickNanos < 0;
    }

    /** Takes the permit a retry of a blocking check needs now, so that it cannot be refused later. */
    private boolean reserveRetryPermit() {
        if (!blockingChecker) {
            return true;
        }
        Optional<BlockingChecks.Permit> granted = context.blockingChecks().tryAcquire();
        granted.ifPresent(held -> permit = held);
        return granted.isPresent();
    }

    /** The check cycle is over: its in-flight slot goes back. */
    private void endCycle() {
        cycleRunning = false;
        releaseSlot();
    }

    private void releaseSlot() {
        if (holdsSlot) {
            holdsSlot = false;
            inFlightSlots.release();
        }
    }

    private void releasePermit() {
        if (permit != null) {
            permit.checkEnded();
            permit = null;
        }
    }

    // ---- state changes ----------------------------------------------------------------------------

    private void transition(Optional<ServiceStateMachine.Transition> maybe) {
        if (maybe.isEmpty()) {
            updateSnapshot();
            return;
        }
        ServiceStateMachine.Transition t = maybe.get();
        Optional<String> heldBack = coordinator.heldBackBy();
        if (t.to() == ServiceState.UNHEALTHY && heldBack.isPresent()) {
            // The failure is attributed to a dependency: the cause says which, as people read it in the log.
            t = new ServiceStateMachine.Transition(t.from(), t.to(), t.cause() + " (" + heldBack.get()
                    + ": recovery held back)");
        }
        Instant now = now();
        if (flapping.hides(t)) {
            log.debug("{}: {} -> {} while FLAPPING ({})", name, t.from(), t.to(), t.cause());
        } else if (t.to() == ServiceState.UNHEALTHY || t.to() == ServiceState.FAILED
                || t.to() == ServiceState.ISOLATED) {
            log.warn("{}: {} -> {} ({})", name, t.from(), t.to(), t.cause());
        } else {
            log.info("{}: {} -> {} ({})", name, t.from(), t.to(), t.cause());
        }
        updateSnapshot();
        flapping.onTransition(t, now);
        if (t.to() != ServiceState.STOPPED) {
            coordinator.onTransition(t);
            updateSnapshot();
        }
    }

    /** What the coordinator may do to this monitor; called on the serial executor. */
    private final class Target implements RecoveryTarget {
        @Override
        public ServiceState state() {
            return stateMachine.state();
        }

        @Override
        public Optional<RuntimeAdapter> runtime() {
            return Optional.ofNullable(runtime);
        }

        @Override
        public Optional<CheckResult> lastResult() {
            return Optional.ofNullable(lastFinalResult);
        }

        @Override
        public int consecutiveFailures() {
            return stateMachine.consecutiveFailures();
        }

        @Override
        public void moveTo(ServiceState state, String cause) {
            transition(stateMachine.moveTo(state, cause));
        }

        @Override
        public void workloadRestarted(String cause) {
            stateMachine.started(now(), definition.startPeriod(), cause);
            // The new workload, not the one it replaced, until its first check: `aegis status` showed the old pid
            // (or the crashed one's exit) all through the start period.
            askWorkloadStatus();
            updateSnapshot();
        }

        @Override
        public void checkNow() {
            beginCycle(scheduler.nanoTime() + definition.interval().toNanos(), true);
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------------

    /** Runs {@code task} on this monitor's sequential executor; a task that throws is logged, never lost. */
    private void runSerially(Runnable task) {
        runSerially(task, false);
    }

    /**
     * As {@link #runSerially(Runnable)}; with {@code inlineIfIdle}, on the calling thread at once when no work of
     * this monitor runs or waits (the tick on the timer thread, a trusted checker's verdict on its event loop). Only
     * the check path runs inline: it never blocks (plugin calls go through {@link Deadlines}), and whatever else it
     * queues runs on a worker.
     */
    private void runSerially(Runnable task, boolean inlineIfIdle) {
        Runnable guarded = () -> {
            try {
                task.run();
            } catch (Throwable e) {
                // Errors too (a stack overflow or an OutOfMemoryError inside a check run inline): the cycle must end,
                // or every later tick would be skipped as busy.
                log.error("{}: internal error; the service's monitor keeps running", name, e);
                leaveLine(); // a grant that comes later must not start a check outside any cycle
                endCycle();
                releasePermit();
            }
        };
        try {
            if (inlineIfIdle) {
                serial.runInline(guarded);
            } else {
                serial.execute(guarded);
            }
        } catch (RejectedExecutionException e) {
            if (!stopping) {
                log.error("{}: the engine's workers refused a task", name, e);
            }
        }
    }

    /** Schedules {@code task} to run serially after {@code delay}; null when the engine is shutting down. */
    private Scheduler.Task schedule(Runnable task, Duration delay) {
        return scheduler.scheduleOn(this::runSerially, task, delay);
    }

    private void updateSnapshot() {
        ServiceSnapshot previous = snapshot;
        ServiceState state = flapping.shown(stateMachine.state());
        Instant since = previous.state() == state ? previous.since() : now();
        int step = coordinator.ladderStep();
        Optional<String> ladderStep = step == 0 ? Optional.empty()
                : Optional.of(coordinator.ladder().step(step - 1).name());
        snapshot = new ServiceSnapshot(name, state, since, Optional.ofNullable(lastFinalResult), coordinator.attempts(),
                coordinator.paused(), ladderStep, Optional.empty(), definition.checkType(), maskedEndpoint);
    }

    private Instant now() {
        return context.clock().instant();
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /**
     * Whether {@code checker} may be called inline: it is marked {@link NonBlockingChecker} and its class comes from
     * the engine's own class loader (the checkers bundled with Aegis). A plugin loaded on a class loader of its own
     * is never trusted, whatever it implements: a third-party checker that blocks must not stall the engine.
     */
    static boolean callsInline(HealthChecker checker) {
        return INLINE_CHECKS && checker instanceof NonBlockingChecker
                && checker.getClass().getClassLoader() == ServiceMonitor.class.getClassLoader();
    }

    /** The trusted checker's loop for its ticks, or null (none offered, or asking failed: the timer then ticks). */
    private java.util.concurrent.ScheduledExecutorService checkLoopOf(NonBlockingChecker checker) {
        try {
            return checker.checkLoop().orElse(null);
        } catch (RuntimeException | LinkageError e) {
            log.warn("{}: checker {} could not name its event loop; its checks are ticked by the engine's timer: {}",
                    name, definition.checkType(), e.toString());
            return null;
        }
    }

    private static boolean declaresBlocking(HealthChecker checker) {
        try {
            return checker.blocking();
        } catch (RuntimeException | LinkageError e) {
            // a plugin whose blocking() throws is checked like any other, without a permit
            return false;
        }
    }

    private static Duration safeOperationTimeout(RuntimeAdapter runtime) {
        try {
            Duration timeout = runtime.operationTimeout();
            return timeout == null || timeout.isNegative() || timeout.isZero() ? ACTION_DEADLINE : timeout;
        } catch (RuntimeException e) {
            return ACTION_DEADLINE;
        }
    }
}
