package io.aegis.core.internal;

import com.google.common.util.concurrent.MoreExecutors;
import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryContext;
import io.aegis.api.RuntimeAdapter;
import io.aegis.core.ServiceState;
import io.aegis.api.Severity;
import io.aegis.api.WorkloadStatus;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryBudgetExhausted;
import io.aegis.core.event.RecoveryConcluded;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.StateChanged;
import io.aegis.core.event.WorkloadExited;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises one service: runs its check cycles (with retries), feeds the results to its
 * {@link ServiceStateMachine}, reacts to workload exits, and drives recovery through its
 * {@link RecoveryTracker}.
 *
 * <p>Everything a monitor does runs on its own sequential executor over the shared worker pool, so its
 * state needs no locks and its events are published in order. Plugin entry points are invoked on the
 * plugin-call pool under {@link Deadlines}; the shared timer thread only enqueues work here.
 */
public final class ServiceMonitor {
    private static final Logger log = LoggerFactory.getLogger(ServiceMonitor.class);
    /** Recovery actions without a runtime (notify) still get a deadline. */
    private static final Duration ACTION_DEADLINE = Duration.ofMinutes(2);

    private final ServiceDefinition definition;
    private final String name;
    private final HealthChecker checker;
    private final RuntimeAdapter runtime;
    private final RecoveryAction action;
    private final String actionName;
    private final boolean actionActsOnWorkload;
    private final MonitorContext context;
    private final Executor serial;
    private final ServiceStateMachine stateMachine;
    private final RecoveryTracker tracker;
    private final RetryDelays retryDelays;
    private final Duration checkDeadline;
    /** Immutable, and most cycles have only their first attempt: built once rather than per check. */
    private final CheckContext firstAttempt;
    private final Duration runtimeDeadline;
    private final Duration actionDeadline;
    /** Set (from any thread) as soon as shutdown begins, so exits caused by the shutdown are not crashes. */
    private volatile boolean stopping;
    /** Whether the checker is still inside a call of {@code check()} (not its stage): it must not block. */
    private final AtomicBoolean checkCallInFlight = new AtomicBoolean();
    /** Whether each check holds a thread (a script): it then needs a permit of the engine's limit to start. */
    private final boolean blockingChecker;

    // Confined to the serial executor.
    private boolean cycleRunning;
    private boolean recoveryPending;
    private boolean recoveryRunning;
    private boolean closed;
    /** System.nanoTime() of the tick after the one that started the running cycle: retries end before it. */
    private long nextTickNanos;
    /** The blocking-check permit of the attempt running or the retry scheduled; null for other checkers. */
    private BlockingChecks.Permit permit;
    /** While the cycle waits in line for a permit: its place, and when it gives up. */
    private BlockingChecks.Waiter waitingForPermit;
    private ScheduledFuture<?> permitGiveUp;
    private Instant verifyUntil;
    /** The recovery whose verdict waits for the service to be healthy again (RecoveryConcluded); or null. */
    private AwaitingVerdict awaitingVerdict;
    private WorkloadStatus exitDuringRecovery;
    private CheckResult lastFinalResult;
    private ScheduledFuture<?> ticks;
    private ScheduledFuture<?> pendingRetry;
    private ScheduledFuture<?> pendingRecovery;

    // Read by any thread (snapshots).
    private volatile ServiceSnapshot snapshot;

    /** Creates the monitor; nothing runs until {@link #start}. {@code runtime} may be null. */
    public ServiceMonitor(ServiceDefinition definition, HealthChecker checker, RuntimeAdapter runtime,
            RecoveryAction action, String actionName, boolean actionActsOnWorkload, MonitorContext context) {
        this.definition = definition;
        this.name = definition.name();
        this.checker = checker;
        this.runtime = runtime;
        this.action = action;
        this.actionName = actionName;
        this.actionActsOnWorkload = actionActsOnWorkload;
        this.context = context;
        this.serial = MoreExecutors.newSequentialExecutor(context.workers());
        this.stateMachine = new ServiceStateMachine(definition.failureThreshold(), definition.successThreshold());
        this.tracker = new RecoveryTracker(definition.recoveryPolicy());
        this.retryDelays = new RetryDelays(definition.retryBackoff(), () -> ThreadLocalRandom.current().nextDouble());
        // Slack so that a checker's own timeout verdict (more precise: TIMEOUT on connect or on read) wins.
        Duration timeout = definition.timeout();
        this.checkDeadline = timeout.plus(max(Duration.ofMillis(100), timeout.dividedBy(10)));
        this.firstAttempt = new CheckContext(1, timeout);
        this.blockingChecker = context.blockingChecks() != null && declaresBlocking(checker);
        this.runtimeDeadline = runtime == null ? ACTION_DEADLINE : safeOperationTimeout(runtime);
        this.actionDeadline = runtime == null ? ACTION_DEADLINE : runtimeDeadline.plus(Duration.ofSeconds(10));
        this.snapshot = new ServiceSnapshot(name, ServiceState.UNKNOWN, context.clock().instant(), Optional.empty(), 0);
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

    /** The latest state, readable from any thread. */
    public ServiceSnapshot snapshot() {
        return snapshot;
    }

    /**
     * Starts the workload (when there is a runtime) and the periodic checks. The first check comes after
     * {@code initialDelay} plus a random offset within {@code firstCheckSpread} (capped at the interval), so
     * a large fleet does not check everything in the same instant, then every interval after that.
     */
    public void start(Duration firstCheckSpread) {
        runSerially(() -> {
            if (runtime != null) {
                // The grace period starts now, not when the start completes: the first check may come first.
                transition(stateMachine.started(now(), definition.startPeriod(), "starting the workload"));
                startWorkload();
            }
            long jitterNanos = ThreadLocalRandom.current().nextLong(
                    Math.max(1, Math.min(definition.interval().toNanos(), firstCheckSpread.toNanos())));
            long firstNanos = definition.initialDelay().toNanos() + jitterNanos;
            long intervalNanos = definition.interval().toNanos();
            // When each tick is due (a fixed rate keeps to these times), so a cycle knows when the next comes.
            long firstTickNanos = System.nanoTime() + firstNanos;
            AtomicLong tickCount = new AtomicLong();
            ticks = context.timer().scheduleAtFixedRate(() -> {
                long dueNanos = firstTickNanos + tickCount.getAndIncrement() * intervalNanos;
                runSerially(() -> beginCycle(dueNanos + intervalNanos));
            }, firstNanos, intervalNanos, TimeUnit.NANOSECONDS);
        });
    }

    /** Called by the runtime (any thread) when the workload ended without being asked to. */
    public void workloadExited(WorkloadStatus status) {
        runSerially(() -> onWorkloadExit(status));
    }

    /**
     * Marks the service as shutting down at once (from the closing thread), so that workload exits caused by
     * the shutdown itself (a signal sent to the whole process group) are not taken for crashes.
     */
    public void prepareToStop() {
        stopping = true;
    }

    /** Stops the checks and recovery; completes when no more work will start. The engine stops the workload. */
    public CompletableFuture<Void> stopMonitoring() {
        stopping = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        runSerially(() -> {
            closed = true;
            cancel(ticks);
            cancel(pendingRetry);
            cancel(pendingRecovery);
            releasePermit();
            stopWaitingForPermit();
            transition(stateMachine.moveTo(ServiceState.STOPPED, "engine shutting down"));
            done.complete(null);
        });
        return done;
    }

    // ---- workload ---------------------------------------------------------------------------------

    private void startWorkload() {
        Deadlines.<Throwable>call(() -> runtime.start().thenApply(started -> null), context.pluginCalls(),
                runtimeDeadline, context.timer(), error -> error,
                () -> new TimeoutException("did not start within " + runtimeDeadline.toSeconds() + "s"))
                .thenAccept(error -> runSerially(() -> {
                    if (closed) {
                        return;
                    }
                    if (error == null) {
                        log.info("{}: workload started", name);
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
        if (recoveryRunning) {
            // The freshly (re)started workload died before the action finished: act on it when it does.
            exitDuringRecovery = status;
            return;
        }
        String cause = "workload exited: " + status.description();
        ServiceState state = stateMachine.state();
        if (state == ServiceState.RECOVERING) {
            requestRecovery(cause);
        } else if (state != ServiceState.FAILED && state != ServiceState.UNHEALTHY) {
            transition(stateMachine.moveTo(ServiceState.UNHEALTHY, cause));
        }
    }

    // ---- check cycles -----------------------------------------------------------------------------

    private void beginCycle(long nextTick) {
        if (closed || recoveryRunning) {
            return;
        }
        if (cycleRunning) {
            context.skippedChecks().skipped(name, SkippedChecks.Reason.BUSY);
            return;
        }
        if (blockingChecker) {
            Optional<BlockingChecks.Permit> granted = context.blockingChecks().tryAcquire();
            if (granted.isEmpty()) {
                waitForPermit(nextTick);
                return;
            }
            permit = granted.get();
        }
        cycleRunning = true;
        nextTickNanos = nextTick;
        attempt(1);
    }

    /**
     * Waits in line for a blocking-check permit, but only while the check could still end before the next
     * tick; then the tick is skipped. The wait is not the check's: its timeout starts when it starts.
     */
    private void waitForPermit(long nextTick) {
        long patienceNanos = nextTick - checkDeadline.toNanos() - System.nanoTime();
        if (patienceNanos <= 0) {
            context.skippedChecks().skipped(name, SkippedChecks.Reason.NO_CAPACITY);
            return;
        }
        cycleRunning = true;
        nextTickNanos = nextTick;
        BlockingChecks.Waiter waiter = context.blockingChecks()
                .request(granted -> runSerially(() -> permitGranted(granted)));
        waitingForPermit = waiter;
        permitGiveUp = schedule(() -> {
            if (waitingForPermit == waiter && waiter.cancel()) {
                waitingForPermit = null;
                permitGiveUp = null;
                cycleRunning = false;
                context.skippedChecks().skipped(name, SkippedChecks.Reason.NO_CAPACITY);
            }
        }, Duration.ofNanos(patienceNanos));
        if (permitGiveUp == null) {
            stopWaitingForPermit();
            cycleRunning = false;
        }
    }

    private void permitGranted(BlockingChecks.Permit granted) {
        if (closed || waitingForPermit == null) {
            granted.checkEnded();
            return;
        }
        waitingForPermit = null;
        cancel(permitGiveUp);
        permitGiveUp = null;
        permit = granted;
        attempt(1);
    }

    /** Leaves the line for a permit; one granted meanwhile is given back by {@link #permitGranted}. */
    private void stopWaitingForPermit() {
        if (waitingForPermit != null) {
            waitingForPermit.cancel();
            waitingForPermit = null;
        }
        cancel(permitGiveUp);
        permitGiveUp = null;
    }

    private void attempt(int number) {
        pendingRetry = null;
        if (closed) {
            releasePermit();
            cycleRunning = false;
            return;
        }
        if (!checkCallInFlight.compareAndSet(false, true)) {
            // A previous call to check() has not returned: invoking it again would only pile up blocked threads.
            attemptCompleted(number, CheckResult.unknown(FailureReason.PLUGIN_ERROR, "checker "
                    + definition.checkType() + " is still blocked in its previous call (a checker must not block)",
                    Duration.ZERO));
            return;
        }
        CheckContext checkContext = number == 1 ? firstAttempt : new CheckContext(number, definition.timeout());
        long startNanos = System.nanoTime();
        BlockingChecks.Permit attemptPermit = permit;
        Deadlines.<CheckResult>call(() -> {
            try {
                return attemptPermit == null ? checker.check(checkContext)
                        : attemptPermit.call(() -> checker.check(checkContext));
            } finally {
                checkCallInFlight.set(false);
            }
        }, context.pluginCalls(), checkDeadline, context.timer(),
                error -> CheckResult.unknown(FailureReason.PLUGIN_ERROR,
                        "checker " + definition.checkType() + " failed: " + Deadlines.describe(error),
                        Duration.ofNanos(System.nanoTime() - startNanos)),
                () -> CheckResult.unknown(FailureReason.TIMEOUT,
                        "no verdict within " + definition.timeout().toMillis() + "ms", definition.timeout()))
                .thenAccept(result -> runSerially(() -> attemptCompleted(number, result != null ? result
                        : CheckResult.unknown(FailureReason.PLUGIN_ERROR, "checker " + definition.checkType()
                                + " completed without a result", Duration.ofNanos(System.nanoTime() - startNanos)))));
    }

    private void attemptCompleted(int number, CheckResult result) {
        releasePermit();
        if (closed) {
            cycleRunning = false;
            return;
        }
        // What the checker (or its failure) says may quote a secret: masked before anything logs or publishes it.
        result = context.redactor().redact(result);
        // Passing is the service's own only while its workload runs (issue 7: an orphan served the port).
        result = WorkloadPresence.check(result, runtime, definition.endpoint());
        Instant now = now();
        Duration retryDelay = retryDelays.after(number);
        boolean isFinal = result.isPassing() || number > definition.retries() || !retryFits(retryDelay)
                || !reserveRetryPermit();
        if (isFinal) {
            cycleRunning = false;
            lastFinalResult = result;
        }
        context.bus().publish(new CheckCompleted(name, now, result, number, isFinal));
        if (!isFinal) {
            log.debug("{}: attempt {} failed ({}), retrying in {}ms", name, number, result, retryDelay.toMillis());
            pendingRetry = schedule(() -> attempt(number + 1), retryDelay);
            if (pendingRetry == null) {
                releasePermit();
            }
            return;
        }
        log.debug("{}: {}", name, result);
        if (result.failureReason().filter(reason -> reason == FailureReason.PLUGIN_ERROR).isPresent()) {
            // "Could not tell" is not "down" (like a Kubernetes probe error): no threshold moves.
            log.warn("{}: check gave no verdict: {}", name, result.message());
            updateSnapshot();
            return;
        }
        transition(stateMachine.cycleCompleted(result, now));
        if (!result.isPassing() && stateMachine.state() == ServiceState.RECOVERING && !recoveryRunning
                && !recoveryPending && verifyUntil != null && now.isAfter(verifyUntil)
                && stateMachine.consecutiveFailures() >= definition.failureThreshold()) {
            requestRecovery("not healthy " + definition.recoveryPolicy().verifyWithin().toSeconds()
                    + "s after recovery: " + ServiceStateMachine.describe(result));
        }
        updateSnapshot();
    }

    /**
     * Whether a retry started after {@code delay} ends before the next tick even if it takes its whole
     * deadline (the timeout plus the engine's slack), so that a retry never makes the next tick skip.
     */
    private boolean retryFits(Duration delay) {
        return System.nanoTime() + delay.toNanos() + checkDeadline.toNanos() - nextTickNanos < 0;
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

    private void releasePermit() {
        if (permit != null) {
            permit.checkEnded();
            permit = null;
        }
    }

    // ---- state changes and recovery ---------------------------------------------------------------

    private void transition(Optional<ServiceStateMachine.Transition> maybe) {
        if (maybe.isEmpty()) {
            updateSnapshot();
            return;
        }
        ServiceStateMachine.Transition t = maybe.get();
        Instant now = now();
        if (t.to() == ServiceState.UNHEALTHY || t.to() == ServiceState.FAILED) {
            log.warn("{}: {} -> {} ({})", name, t.from(), t.to(), t.cause());
        } else {
            log.info("{}: {} -> {} ({})", name, t.from(), t.to(), t.cause());
        }
        updateSnapshot();
        context.bus().publish(new StateChanged(name, now, t.from(), t.to(), t.cause()));
        switch (t.to()) {
            case HEALTHY:
            case DEGRADED:
                if (t.from() == ServiceState.FAILED) {
                    tracker.reset();
                }
                tracker.healthy(now);
                if (awaitingVerdict != null) {
                    concludeHealthy(now, t.cause());
                }
                verifyUntil = null;
                if (recoveryPending) {
                    // Healthy again while waiting out the backoff: nothing left to recover.
                    cancel(pendingRecovery);
                    recoveryPending = false;
                    log.info("{}: recovered before its {} ran", name, actionName);
                }
                context.alerts().resolveAll(name);
                break;
            case UNHEALTHY:
                tracker.unhealthy(now);
                if (!closed) {
                    requestRecovery(t.cause());
                }
                break;
            default:
                break;
        }
    }

    private void requestRecovery(String cause) {
        if (recoveryRunning || recoveryPending || closed) {
            return;
        }
        if (awaitingVerdict != null) {
            // Recovery is needed again before the service was healthy: the previous one did not bring it back.
            conclude(awaitingVerdict.attempt(), RecoveryConcluded.Outcome.NOT_HEALTHY, cause);
        }
        if (!actionActsOnWorkload) {
            // notify and ignore change nothing, so backoff and budget have nothing to protect: act once now.
            runRecovery(1, cause);
            return;
        }
        Instant now = now();
        RecoveryTracker.Decision decision = tracker.next(now);
        if (decision instanceof RecoveryTracker.Exhausted) {
            RecoveryTracker.Exhausted exhausted = (RecoveryTracker.Exhausted) decision;
            String window = humanDuration(exhausted.window());
            context.bus().publish(new RecoveryBudgetExhausted(name, now, exhausted.recoveries(), exhausted.window()));
            transition(stateMachine.moveTo(ServiceState.FAILED, exhausted.recoveries() + " recoveries within "
                    + window + " did not help; giving up until a person acts"));
            context.alerts().raise(Alert.builder("RecoveryBudgetExhausted", name).severity(Severity.CRITICAL)
                    .summary(name + " failed " + exhausted.recoveries() + " recoveries within " + window
                            + "; last cause: " + cause)
                    .startsAt(now).build());
            return;
        }
        RecoveryTracker.Proceed proceed = (RecoveryTracker.Proceed) decision;
        transition(stateMachine.moveTo(ServiceState.RECOVERING, cause));
        if (proceed.delay().isZero()) {
            runRecovery(proceed.attempt(), cause);
        } else {
            log.info("{}: {} {} in {}ms (backoff)", name, actionName, proceed.attempt(), proceed.delay().toMillis());
            recoveryPending = true;
            pendingRecovery = schedule(() -> {
                if (recoveryPending) {
                    recoveryPending = false;
                    runRecovery(proceed.attempt(), cause);
                }
            }, proceed.delay());
        }
    }

    private void runRecovery(int attempt, String cause) {
        pendingRecovery = null;
        if (closed || stopping) {
            return;
        }
        recoveryRunning = true;
        exitDuringRecovery = null;
        context.bus().publish(new RecoveryStarted(name, now(), actionName, attempt, cause));
        log.info("{}: {}{}: {}", name, actionName, actionActsOnWorkload ? " (attempt " + attempt + ")" : "", cause);
        RecoveryContext recoveryContext = new Context(attempt, cause, lastFinalResult);
        Deadlines.<ActionOutcome>call(() -> action.execute(recoveryContext), context.pluginCalls(), actionDeadline,
                context.timer(), error -> ActionOutcome.failed(actionName + " failed: " + Deadlines.describe(error)),
                () -> ActionOutcome.failed(actionName + " did not finish within " + humanDuration(actionDeadline)))
                .thenAccept(outcome -> runSerially(() -> recoveryFinished(attempt, outcome != null ? outcome
                        : ActionOutcome.failed(actionName + " completed without an outcome"))));
    }

    private void recoveryFinished(int attempt, ActionOutcome outcome) {
        recoveryRunning = false;
        Instant now = now();
        context.bus().publish(new RecoveryFinished(name, now, actionName, attempt, outcome));
        if (outcome.result() != ActionOutcome.Result.SUCCEEDED || !actionActsOnWorkload) {
            // Nothing to verify: the action's own result is the verdict (notify changes nothing in the service).
            conclude(attempt, verdictOf(outcome.result()), outcome.message());
        }
        if (closed) {
            return;
        }
        if (outcome.result() == ActionOutcome.Result.FAILED) {
            log.warn("{}: {} failed: {}", name, actionName, outcome.message());
            if (actionActsOnWorkload) {
                requestRecovery(outcome.message());
            }
            return;
        }
        log.info("{}: {} done: {}", name, actionName, outcome.message());
        if (actionActsOnWorkload) {
            Duration verify = max(definition.recoveryPolicy().verifyWithin(), definition.startPeriod());
            verifyUntil = now.plus(verify);
            if (outcome.result() == ActionOutcome.Result.SUCCEEDED) {
                awaitingVerdict = new AwaitingVerdict(attempt, now);
                if (stateMachine.state() == ServiceState.HEALTHY || stateMachine.state() == ServiceState.DEGRADED) {
                    // A check in flight during the action already passed enough to make it HEALTHY again.
                    concludeHealthy(now, "healthy when " + actionName + " ended");
                }
            }
            stateMachine.started(now, definition.startPeriod(), actionName + " done");
            if (exitDuringRecovery != null) {
                WorkloadStatus exited = exitDuringRecovery;
                exitDuringRecovery = null;
                requestRecovery("workload exited right after " + actionName + ": " + exited.description());
            }
        }
        updateSnapshot();
    }

    /** The service is healthy again: the recovery awaiting its verdict succeeded if that came in time. */
    private void concludeHealthy(Instant now, String cause) {
        AwaitingVerdict awaiting = awaitingVerdict;
        String after = humanDuration(Duration.between(awaiting.actionDoneAt(), now));
        if (now.isAfter(verifyUntil)) {
            conclude(awaiting.attempt(), RecoveryConcluded.Outcome.NOT_HEALTHY, "healthy only " + after + " after "
                    + actionName + ", later than verifyWithin (" + humanDuration(Duration.between(
                            awaiting.actionDoneAt(), verifyUntil)) + "): " + cause);
        } else {
            conclude(awaiting.attempt(), RecoveryConcluded.Outcome.SUCCEEDED, "healthy " + after + " after "
                    + actionName + ": " + cause);
        }
    }

    /** Publishes the verdict on recovery {@code attempt} (aegis_recoveries_total counts these). */
    private void conclude(int attempt, RecoveryConcluded.Outcome outcome, String detail) {
        awaitingVerdict = null;
        if (outcome == RecoveryConcluded.Outcome.NOT_HEALTHY) {
            log.warn("{}: {} (attempt {}) did not make the service healthy: {}", name, actionName, attempt, detail);
        }
        context.bus().publish(new RecoveryConcluded(name, now(), actionName, attempt, outcome, detail));
    }

    private static RecoveryConcluded.Outcome verdictOf(ActionOutcome.Result result) {
        switch (result) {
            case SUCCEEDED:
                return RecoveryConcluded.Outcome.SUCCEEDED;
            case FAILED:
                return RecoveryConcluded.Outcome.FAILED;
            default:
                return RecoveryConcluded.Outcome.SKIPPED;
        }
    }

    /** A recovery action that succeeded, waiting for the service to prove it is healthy. */
    private record AwaitingVerdict(int attempt, Instant actionDoneAt) {
    }

    // ---- plumbing ---------------------------------------------------------------------------------

    /** Runs {@code task} on this monitor's sequential executor; a task that throws is logged, never lost. */
    private void runSerially(Runnable task) {
        try {
            serial.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException | LinkageError | AssertionError e) {
                    log.error("{}: internal error; the service's monitor keeps running", name, e);
                    cycleRunning = false;
                    releasePermit();
                }
            });
        } catch (RejectedExecutionException e) {
            if (!stopping) {
                log.error("{}: the engine's workers refused a task", name, e);
            }
        }
    }

    /** Schedules {@code task} to run serially after {@code delay}; null when the engine is shutting down. */
    private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        try {
            return context.timer().schedule(() -> runSerially(task), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private static void cancel(ScheduledFuture<?> future) {
        if (future != null) {
            future.cancel(false);
        }
    }

    private void updateSnapshot() {
        ServiceSnapshot previous = snapshot;
        ServiceState state = stateMachine.state();
        Instant since = previous.state() == state ? previous.since() : now();
        snapshot = new ServiceSnapshot(name, state, since, Optional.ofNullable(lastFinalResult), tracker.attempts());
    }

    private Instant now() {
        return context.clock().instant();
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
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

    private static String humanDuration(Duration duration) {
        return io.aegis.api.Durations.format(duration);
    }

    /** What the recovery action sees. */
    private final class Context implements RecoveryContext {
        private final int attempt;
        private final String cause;
        private final CheckResult lastResult;

        Context(int attempt, String cause, CheckResult lastResult) {
            this.attempt = attempt;
            this.cause = cause;
            this.lastResult = lastResult;
        }

        @Override
        public String serviceName() {
            return name;
        }

        @Override
        public Optional<RuntimeAdapter> runtime() {
            return Optional.ofNullable(runtime);
        }

        @Override
        public Optional<CheckResult> lastResult() {
            return Optional.ofNullable(lastResult);
        }

        @Override
        public String cause() {
            return cause;
        }

        @Override
        public int attempt() {
            return attempt;
        }

        @Override
        public Instant now() {
            return context.clock().instant();
        }

        @Override
        public CompletionStage<Void> raiseAlert(Alert alert) {
            return context.alerts().raise(alert);
        }
    }
}
