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
import io.aegis.api.ServiceState;
import io.aegis.api.Severity;
import io.aegis.api.WorkloadStatus;
import io.aegis.api.event.CheckCompleted;
import io.aegis.api.event.RecoveryBudgetExhausted;
import io.aegis.api.event.RecoveryFinished;
import io.aegis.api.event.RecoveryStarted;
import io.aegis.api.event.StateChanged;
import io.aegis.api.event.WorkloadExited;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises one service: runs its check cycles (with retries), feeds the results to its
 * {@link ServiceStateMachine}, reacts to workload exits, and drives recovery through its
 * {@link RecoveryTracker}. Everything a monitor does runs on its own sequential executor over the shared
 * worker pool, so its state needs no locks and its events are published in order. The shared timer thread
 * only enqueues work here; it never calls a plugin.
 */
public final class ServiceMonitor {
    private static final Logger log = LoggerFactory.getLogger(ServiceMonitor.class);
    private static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(100);
    private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(2);

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

    // Confined to the serial executor.
    private boolean cycleRunning;
    private boolean recoveryRunning;
    private boolean closed;
    private Instant cycleStartedAt = Instant.MIN;
    private Instant verifyUntil;
    private CheckResult lastFinalResult;
    private ScheduledFuture<?> ticks;

    // Read by any thread (snapshots).
    private volatile ServiceSnapshot snapshot;

    /** Creates the monitor; nothing runs until {@link #start()}. {@code runtime} may be null. */
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
        serial.execute(() -> {
            if (runtime != null) {
                startWorkload();
            }
            long jitterNanos = ThreadLocalRandom.current().nextLong(
                    Math.max(1, Math.min(definition.interval().toNanos(), firstCheckSpread.toNanos())));
            long firstNanos = definition.initialDelay().toNanos() + jitterNanos;
            ticks = context.timer().scheduleAtFixedRate(() -> serial.execute(this::beginCycle), firstNanos,
                    definition.interval().toNanos(), TimeUnit.NANOSECONDS);
        });
    }

    /** Called by the runtime (any thread) when the workload ended without being asked to. */
    public void workloadExited(WorkloadStatus status) {
        serial.execute(() -> onWorkloadExit(status));
    }

    /** Stops the checks and recovery; completes when no more work will start. The engine stops the workload. */
    public CompletableFuture<Void> stopMonitoring() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        serial.execute(() -> {
            closed = true;
            if (ticks != null) {
                ticks.cancel(false);
            }
            transition(stateMachine.moveTo(ServiceState.STOPPED, "engine shutting down"));
            done.complete(null);
        });
        return done;
    }

    // ---- workload ---------------------------------------------------------------------------------

    private void startWorkload() {
        Deadlines.<Throwable>call(() -> runtime.start().thenApply(started -> null), context.runtimeDeadline(),
                context.timer(), error -> error, () -> new java.util.concurrent.TimeoutException(
                        "did not start within " + context.runtimeDeadline().toSeconds() + "s"))
                .thenAcceptAsync(error -> {
                    if (closed) {
                        return;
                    }
                    Instant now = now();
                    if (error == null) {
                        log.info("{}: workload started", name);
                        transition(stateMachine.started(now, definition.startPeriod(), "workload started"));
                    } else {
                        log.error("{}: could not start the workload: {}", name, Deadlines.describe(error));
                        transition(stateMachine.moveTo(ServiceState.UNHEALTHY,
                                "could not start the workload: " + Deadlines.describe(error)));
                    }
                }, serial);
    }

    private void onWorkloadExit(WorkloadStatus status) {
        context.bus().publish(new WorkloadExited(name, now(), status));
        if (closed) {
            return;
        }
        log.warn("{}: workload exited unexpectedly ({})", name, status.description());
        if (recoveryRunning) {
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

    private void beginCycle() {
        if (closed || cycleRunning || recoveryRunning) {
            return;
        }
        cycleRunning = true;
        cycleStartedAt = now();
        attempt(1);
    }

    private void attempt(int number) {
        CheckContext checkContext = new CheckContext(number, definition.timeout());
        Duration timeout = definition.timeout();
        long startNanos = System.nanoTime();
        Deadlines.<CheckResult>call(() -> checker.check(checkContext), timeout, context.timer(),
                error -> CheckResult.unknown(FailureReason.PLUGIN_ERROR,
                        "checker " + definition.checkType() + " failed: " + Deadlines.describe(error),
                        Duration.ofNanos(System.nanoTime() - startNanos)),
                () -> CheckResult.unknown(FailureReason.TIMEOUT,
                        "no verdict within " + timeout.toMillis() + "ms", timeout))
                .thenAcceptAsync(result -> attemptCompleted(number, result), serial);
    }

    private void attemptCompleted(int number, CheckResult result) {
        if (closed) {
            cycleRunning = false;
            return;
        }
        Instant now = now();
        Duration retryDelay = retryDelay(number);
        boolean retryFits = now.plus(retryDelay).isBefore(cycleStartedAt.plus(definition.interval()));
        boolean isFinal = result.isPassing() || number > definition.retries() || !retryFits;
        context.bus().publish(new CheckCompleted(name, now, result, number, isFinal));
        if (!isFinal) {
            log.debug("{}: attempt {} failed ({}), retrying in {}ms", name, number, result, retryDelay.toMillis());
            context.timer().schedule(() -> serial.execute(() -> attempt(number + 1)), retryDelay.toNanos(),
                    TimeUnit.NANOSECONDS);
            return;
        }
        cycleRunning = false;
        lastFinalResult = result;
        log.debug("{}: {}", name, result);
        ServiceState before = stateMachine.state();
        transition(stateMachine.cycleCompleted(result, now));
        if (!result.isPassing() && before == ServiceState.RECOVERING && stateMachine.state() == ServiceState.RECOVERING
                && !recoveryRunning && verifyUntil != null && now.isAfter(verifyUntil)) {
            requestRecovery("still failing " + definition.recoveryPolicy().verifyWithin().toSeconds()
                    + "s after recovery: " + ServiceStateMachine.describe(result));
        }
        updateSnapshot();
    }

    /** Exponential backoff with full jitter between attempts of one cycle (100ms doubling, at most 2s). */
    private static Duration retryDelay(int attemptNumber) {
        long ceiling = Math.min(MAX_RETRY_DELAY.toMillis(), FIRST_RETRY_DELAY.toMillis() << Math.min(attemptNumber - 1, 10));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
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
                verifyUntil = null;
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
        if (recoveryRunning || closed) {
            return;
        }
        Instant now = now();
        RecoveryTracker.Decision decision = tracker.next(now);
        if (decision instanceof RecoveryTracker.Exhausted) {
            RecoveryTracker.Exhausted exhausted = (RecoveryTracker.Exhausted) decision;
            transition(stateMachine.moveTo(ServiceState.FAILED, exhausted.recoveries() + " recoveries within "
                    + exhausted.window().toMinutes() + "m did not help; giving up until a person acts"));
            context.bus().publish(new RecoveryBudgetExhausted(name, now, exhausted.recoveries(), exhausted.window()));
            context.alerts().raise(Alert.builder("RecoveryBudgetExhausted", name).severity(Severity.CRITICAL)
                    .summary(name + " failed " + exhausted.recoveries() + " recoveries within "
                            + exhausted.window().toMinutes() + "m; last cause: " + cause)
                    .startsAt(now).build());
            return;
        }
        RecoveryTracker.Proceed proceed = (RecoveryTracker.Proceed) decision;
        recoveryRunning = true;
        if (actionActsOnWorkload) {
            transition(stateMachine.moveTo(ServiceState.RECOVERING, cause));
        }
        if (proceed.delay().isZero()) {
            runRecovery(proceed.attempt(), cause);
        } else {
            log.info("{}: recovery {} in {}ms (backoff)", name, proceed.attempt(), proceed.delay().toMillis());
            context.timer().schedule(() -> serial.execute(() -> runRecovery(proceed.attempt(), cause)),
                    proceed.delay().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void runRecovery(int attempt, String cause) {
        if (closed) {
            recoveryRunning = false;
            return;
        }
        context.bus().publish(new RecoveryStarted(name, now(), actionName, attempt, cause));
        log.info("{}: {} (attempt {}): {}", name, actionName, attempt, cause);
        RecoveryContext recoveryContext = new Context(attempt, cause, lastFinalResult);
        Deadlines.<ActionOutcome>call(() -> action.execute(recoveryContext), context.runtimeDeadline(), context.timer(),
                error -> ActionOutcome.failed(actionName + " failed: " + Deadlines.describe(error)),
                () -> ActionOutcome.failed(actionName + " did not finish within "
                        + context.runtimeDeadline().toSeconds() + "s"))
                .thenAcceptAsync(outcome -> recoveryFinished(attempt, cause, outcome), serial);
    }

    private void recoveryFinished(int attempt, String cause, ActionOutcome outcome) {
        recoveryRunning = false;
        Instant now = now();
        context.bus().publish(new RecoveryFinished(name, now, actionName, attempt, outcome));
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
            verifyUntil = now.plus(definition.recoveryPolicy().verifyWithin());
            stateMachine.started(now, definition.startPeriod(), actionName + " done");
        }
        updateSnapshot();
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
