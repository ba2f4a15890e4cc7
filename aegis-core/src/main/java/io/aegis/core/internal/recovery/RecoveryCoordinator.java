package io.aegis.core.internal.recovery;

import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.Durations;
import io.aegis.api.RecoveryContext;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.Severity;
import io.aegis.api.WorkloadStatus;
import io.aegis.core.RecoveryPolicy;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.IncidentClosed;
import io.aegis.core.event.OperatorAction;
import io.aegis.core.event.RecoveryBudgetExhausted;
import io.aegis.core.event.RecoveryConcluded;
import io.aegis.core.event.RecoveryEscalated;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceIsolated;
import io.aegis.core.internal.Deadlines;
import io.aegis.core.internal.MonitorContext;
import io.aegis.core.internal.RecoveryPermits;
import io.aegis.core.internal.RecoveryTracker;
import io.aegis.core.internal.Scheduler;
import io.aegis.core.internal.ServiceStateMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides and runs the recovery of one service: incidents, the ladder ({@code actions.onFailure}), backoff,
 * the budget, verification, the fleet-wide limit, isolation, and a person's pause, resume, reset, restart and
 * isolate.
 *
 * <p>It reacts to the service's events ({@link #onTransition state changes}, {@link #onCycleCompleted check
 * cycles}, {@link #onWorkloadExit workload exits}; later log matches and anomalies), handed to it in order on the
 * service's serial executor, so it needs no locks and loses nothing; it acts back on the monitor through the
 * narrow {@link RecoveryTarget}. Every method must be called on that executor.
 *
 * <p>An incident opens with the first recovery after the service was stably healthy and ends once it has stayed
 * healthy for {@code resetAfter} (or a person resets it): a service that comes back briefly and fails again goes
 * on up the ladder instead of starting over.
 */
public final class RecoveryCoordinator {
    private static final Logger log = LoggerFactory.getLogger(RecoveryCoordinator.class);
    /** The alert raised when the ladder moves on. */
    public static final String ESCALATED_ALERT = "RecoveryEscalated";
    /** The critical alert raised when the service is isolated. */
    public static final String ISOLATED_ALERT = "ServiceIsolated";
    /** The critical alert raised when recovery gives up (FAILED). */
    public static final String BUDGET_ALERT = "RecoveryBudgetExhausted";
    /** The critical alert raised when the ladder has no step left (FAILED). */
    public static final String LADDER_EXHAUSTED_ALERT = "RecoveryLadderExhausted";

    private final String name;
    private final ServiceDefinition definition;
    private final RecoveryPolicy policy;
    private final Ladder ladder;
    private final MonitorContext context;
    private final Scheduler scheduler;
    private final Executor serial;
    private final RecoveryTarget target;
    private final RecoveryTracker tracker;
    private final Duration actionDeadline;
    private final Duration runtimeDeadline;

    // Confined to the serial executor.
    private Incident incident;
    /** Waiting for the backoff or for a fleet-wide permit. */
    private boolean pending;
    private Scheduler.Task pendingDelay;
    /** The fleet-wide permit asked for (while pending) or held (while running). */
    private RecoveryPermits.Ticket ticket;
    private boolean running;
    /** The restart a person asked for, while it runs: a second request joins it. Touched on the serial thread. */
    private CompletableFuture<Void> personsRestart;
    /**
     * Whether a person's restart is under way, until the new workload is known started (set and cleared on the
     * monitor's sequence, unlike {@code personsRestart}'s completion): no check is judged meanwhile.
     */
    private boolean personsRestartRunning;
    /** Whether the step running now acts on the workload (restart, rollback, isolate), not only notifies. */
    private boolean runningOnWorkload;
    private AwaitingVerdict awaiting;
    private Instant verifyUntil;
    /** Failing checks since {@link #failuresCountedAfter} (the verifyUntil they were counted after) passed. */
    private int failuresAfterVerify;
    private Instant failuresCountedAfter;
    private WorkloadStatus exitDuringRecovery;
    /**
     * Whether the recovery waiting to run (for its backoff or a permit) answers a workload that exited: a passing
     * check meanwhile does not call it off, because the exit happened (another replica may serve the check while
     * the dead one still needs its restart, e.g. a pod deleted for Kubernetes to replace).
     */
    private boolean recoveringFromExit;
    private Instant healthySince;
    private Scheduler.Task incidentEnd;
    /** Volatile: the log analyzer's threads read it ({@link #paused()}) to hold a paused service's alerts. */
    private volatile boolean paused;
    /** Why recovery is held back by another signal (a dependency down), or null; see {@link #inhibit}. */
    private String inhibitedBy;
    /** Why the service is FLAPPING (the monitor's overlay says so), or null; see {@link #flappingStarted}. */
    private String flappingReason;
    /** Asked before each recovery step whether the failure is a dependency's doing; null without dependsOn. */
    private FailureAttribution attribution;
    /** The question to {@link #attribution} being waited for (while pending), or null. */
    private Object attributing;
    /** Set when an inhibition is lifted: the next failing check (not only a new failure) recovers the service. */
    private boolean recoverOnNextFailure;
    private boolean isolated;
    private boolean closed;
    /**
     * Whether the current step was counted (attemptsAtStep) but has not started yet: it waits out its backoff or
     * for a fleet-wide permit. A wait given up (healthy again, pause, hold-back, isolation) did not run the step,
     * so it must not count as run: a rollback that never ran would otherwise be skipped for isolate.
     */
    private boolean stepQueued;
    /** Whether that queued step also took a place in the budget ({@link RecoveryTracker#next}): restart does. */
    private boolean queuedInBudget;
    /** Incremented by a person's reset: a step that started before it does not act on the service after it. */
    private int generation;
    /**
     * Until when log matches with {@code action: restart} are dropped without a word: the budget was found spent
     * (reported once, with one event) and has no room before then; null when it was not found spent.
     */
    private Instant logBudgetSpentUntil;
    /** Whether log matches were dropped since the budget was last reported spent. */
    private boolean logMatchesNotActedOn;

    /**
     * Creates the coordinator of one service.
     *
     * @param serial the service's serial executor: every callback of an asynchronous step comes back on it
     * @param runtimeDeadline how long one runtime operation may take
     * @param actionDeadline how long one recovery action may take
     */
    public RecoveryCoordinator(ServiceDefinition definition, Ladder ladder, MonitorContext context, Executor serial,
            RecoveryTarget target, RecoveryTracker tracker, Duration runtimeDeadline, Duration actionDeadline) {
        this.name = definition.name();
        this.definition = definition;
        this.policy = definition.recoveryPolicy();
        this.ladder = ladder;
        this.context = context;
        this.scheduler = context.scheduler();
        this.serial = serial;
        this.target = target;
        this.tracker = tracker;
        this.runtimeDeadline = runtimeDeadline;
        this.actionDeadline = actionDeadline;
    }

    /** The ladder. */
    public Ladder ladder() {
        return ladder;
    }

    /** Whether a recovery action is running now (the monitor skips its ticks meanwhile). */
    public boolean actionRunning() {
        return running || personsRestartRunning;
    }

    /**
     * Whether a person's restart is under way: what a check sees while it stops the workload and starts the new one
     * says nothing of the service (a HEALTHY service would turn UNHEALTHY for a moment, and with a low
     * {@code failureThreshold} set off a recovery nobody needed). The ladder's own restarts hold judgement the same way.
     */
    public boolean personsRestartRunning() {
        return personsRestartRunning;
    }

    /** Recoveries since the service was last stably healthy (for snapshots). */
    public int attempts() {
        return tracker.attempts();
    }

    /** The current ladder step, from 1; 0 when there is no incident (the {@code aegis_recovery_ladder_step} gauge). */
    public int ladderStep() {
        return incident == null ? 0 : incident.step + 1;
    }

    /** Whether a person paused the service (maintenance). */
    public boolean paused() {
        return paused;
    }

    // ---- events from the monitor -------------------------------------------------------------------

    /** The service changed state (already published): a failure opens or continues an incident. */
    public void onTransition(ServiceStateMachine.Transition t) {
        Instant now = now();
        switch (t.to()) {
            case HEALTHY:
            case DEGRADED:
                recoverOnNextFailure = false;
                if (t.from() == ServiceState.FAILED) {
                    // The backoff starts over, but the budget's window is kept: a service that fails, passes once
                    // and fails again would otherwise be restarted without end, whatever budget.max says (hostile
                    // H3: 7 restarts in 3 minutes with max 3 in 5m). Only a person's reset clears it.
                    tracker.resetBackoff();
                    closeIncident("healthy again after it had failed");
                }
                tracker.healthy(now);
                if (healthySince == null) {
                    healthySince = now;
                    scheduleIncidentEnd();
                }
                if (awaiting != null) {
                    concludeHealthy(now, t.cause());
                }
                verifyUntil = null;
                if (pending && !recoveringFromExit) {
                    // Healthy again while waiting out the backoff or for a permit: nothing left to recover.
                    cancelPending();
                    log.info("{}: recovered before its {} ran", name, currentStepName());
                }
                if (flappingReason == null) {
                    // While flapping a healthy moment is no recovery: alerts stand until it is calm (flappingStopped).
                    context.alerts().resolveAll(name);
                }
                break;
            case UNHEALTHY:
                tracker.unhealthy(now);
                endIncidentIfHealthyLongEnough(now);
                healthySince = null;
                Scheduler.cancel(incidentEnd);
                if (!closed) {
                    recover(t.cause());
                }
                break;
            default:
                if (t.to() != ServiceState.RECOVERING) {
                    healthySince = null;
                    Scheduler.cancel(incidentEnd);
                }
                break;
        }
    }

    /** A check cycle ended with {@code result} (after the state machine took it): verifies the last step. */
    public void onCycleCompleted(CheckResult result, Instant now) {
        if (recoverOnNextFailure && !result.isPassing() && (target.state() == ServiceState.UNHEALTHY
                || target.state() == ServiceState.RECOVERING) && !running && !pending
                && (verifyUntil == null || now.isAfter(verifyUntil))) {
            // Its dependencies are up again and it still fails (after the last step had its time): its own failure.
            recoverOnNextFailure = false;
            recover("still failing with its dependencies up: " + ServiceStateMachine.describe(result));
            return;
        }
        if (!result.isPassing() && target.state() == ServiceState.RECOVERING && !running && !pending
                && verifyUntil != null && now.isAfter(verifyUntil) && failedAfterVerifyWithin()) {
            recover("not healthy " + Durations.format(policy.verifyWithin()) + " after recovery: "
                    + ServiceStateMachine.describe(result));
        }
    }

    /**
     * Counts a failing check after {@code verifyUntil} (the service still RECOVERING): whether there were
     * {@code failureThreshold} of them, in a row or not. In a row only, a service that fails every other check
     * (never {@code successThreshold} passes in a row either) would stay RECOVERING forever, its ladder stalled.
     */
    private boolean failedAfterVerifyWithin() {
        if (!verifyUntil.equals(failuresCountedAfter)) {
            failuresCountedAfter = verifyUntil;
            failuresAfterVerify = 0;
        }
        failuresAfterVerify++;
        return failuresAfterVerify >= definition.failureThreshold()
                || target.consecutiveFailures() >= definition.failureThreshold();
    }

    /** The workload ended without being asked to (the monitor has published and logged it). */
    public void onWorkloadExit(WorkloadStatus status) {
        if (running) {
            // The freshly (re)started workload died before the action finished: act on it when it does.
            exitDuringRecovery = status;
            return;
        }
        String cause = "workload exited: " + status.description();
        ServiceState state = target.state();
        recoveringFromExit = true;
        if (state == ServiceState.RECOVERING) {
            recover(cause);
        } else if (state != ServiceState.FAILED && state != ServiceState.UNHEALTHY && state != ServiceState.ISOLATED) {
            target.moveTo(ServiceState.UNHEALTHY, cause);
        }
    }

    /**
     * A log pattern with an {@code action} matched (its threshold crossed). With {@code restart} null ({@code action:
     * ladder}) the service's ladder starts as for a failed check: the service turns UNHEALTHY and its current step
     * runs, with its backoff, budget, permit and verification. With {@code restart} ({@code action: restart}), that
     * restart step runs instead of the ladder's current one, under the same backoff, budget, permit and verification;
     * when the ladder's current step is a restart already, the ladder itself runs (the same thing, counted once).
     * Either way nothing more starts while a recovery runs or waits, or while the service is paused, held back,
     * isolated or FAILED: one restart answers a burst of matching lines. Like a workload exit, a passing check while
     * the step waits out its backoff does not call it off: the log said the service is broken.
     */
    public void onLogMatch(String cause, Ladder.Step restart) {
        onEvidence("log match", "log matches", cause, restart);
    }

    /**
     * An anomaly of {@code anomaly_detection} with an {@code action} began: as {@link #onLogMatch}, the same
     * restart-or-ladder, backoff, budget and hold-offs.
     */
    public void onAnomaly(String cause, Ladder.Step restart) {
        onEvidence("anomaly", "anomalies", cause, restart);
    }

    /** What a log match or an anomaly ({@code what}, {@code plural} for messages) with an action makes happen. */
    private void onEvidence(String what, String plural, String cause, Ladder.Step restart) {
        if (running || pending || closed || paused || inhibitedBy != null || isolated
                || target.state() == ServiceState.FAILED) {
            log.debug("{}: {} not acted on (a recovery runs or waits, or the service is paused, held back,"
                    + " isolated or failed): {}", name, what, cause);
            return;
        }
        Ladder.Step current = ladder.step(incident == null ? 0 : incident.step);
        if (restart == null || (current.kind() == Ladder.Kind.REPEAT && current.name().equals(restart.name()))) {
            recoveringFromExit = true; // the same staying power as an exit: the match happened
            if (target.state() == ServiceState.UNHEALTHY || target.state() == ServiceState.RECOVERING) {
                recover(cause);
            } else {
                target.moveTo(ServiceState.UNHEALTHY, cause);
            }
            return;
        }
        Instant now = now();
        if (logBudgetSpentUntil != null) {
            if (now.isBefore(logBudgetSpentUntil)) {
                // Reported once already: a flood of matching lines must not log or publish once per line.
                // (One budget-spent state for both kinds of evidence: either would restart the same workload.)
                logMatchesNotActedOn = true;
                return;
            }
            logBudgetSpentUntil = null;
        }
        RecoveryTracker.Decision decision = tracker.next(now);
        if (decision instanceof RecoveryTracker.Exhausted exhausted) {
            Instant freesAt = tracker.budgetFreesAt();
            logBudgetSpentUntil = freesAt != null ? freesAt : now.plus(exhausted.window());
            context.bus().publish(new RecoveryBudgetExhausted(name, now, exhausted.recoveries(), exhausted.window()));
            log.warn("{}: not restarting for a {}: the recovery budget is spent ({} recoveries within {});"
                    + " {} are not acted on until it has room again, in {}: {}", name, what,
                    exhausted.recoveries(), Durations.format(exhausted.window()), plural,
                    Durations.format(wholeSeconds(Duration.between(now, logBudgetSpentUntil))), cause);
            return;
        }
        if (logMatchesNotActedOn) {
            // aegis_log_matches_total counts every match, acted on or not
            log.info("{}: the recovery budget has room again: {} act again", name, plural);
            logMatchesNotActedOn = false;
        }
        RecoveryTracker.Proceed proceed = (RecoveryTracker.Proceed) decision;
        recoveringFromExit = true;
        stepQueued = true;
        queuedInBudget = true;
        target.moveTo(ServiceState.RECOVERING, cause);
        if (proceed.delay().isZero()) {
            dispatch(restart, proceed.attempt(), cause);
            return;
        }
        log.info("{}: {} {} in {}ms (backoff)", name, restart.name(), proceed.attempt(), proceed.delay().toMillis());
        pending = true;
        pendingDelay = schedule(() -> {
            if (pending && ticket == null) {
                pending = false;
                pendingDelay = null;
                dispatch(restart, proceed.attempt(), cause);
            }
        }, proceed.delay());
        if (pendingDelay == null) {
            pending = false;
        }
    }

    /** {@code duration} rounded up to whole seconds, for a message ("9m53s", not "9m52s266ms32us630ns"). */
    private static Duration wholeSeconds(Duration duration) {
        return Duration.ofSeconds(duration.getSeconds() + (duration.getNano() > 0 ? 1 : 0));
    }

    /** The engine is shutting down: nothing new starts, waits are given up. */
    public void close() {
        closed = true;
        cancelPending();
        Scheduler.cancel(incidentEnd);
    }

    // ---- the ladder --------------------------------------------------------------------------------

    private void recover(String cause) {
        recover(cause, attribution != null);
    }

    private void recover(String cause, boolean askAttribution) {
        if (running || pending || closed || paused || inhibitedBy != null || isolated
                || target.state() == ServiceState.FAILED) {
            return;
        }
        if (askAttribution) {
            askAttribution(cause);
            return;
        }
        recoverOnNextFailure = false;
        if (awaiting != null) {
            // Recovery is needed again before the service was healthy: the previous step did not bring it back.
            conclude(awaiting.step(), awaiting.attempt(), RecoveryConcluded.Outcome.NOT_HEALTHY, cause);
        }
        if (incident == null) {
            incident = new Incident();
            incident.stopRepeating = flappingReason;
        }
        incident.lastCause = cause;
        runCurrentStep(cause);
    }

    private void runCurrentStep(String cause) {
        Ladder.Step step = ladder.step(incident.step);
        boolean last = ladder.isLast(incident.step);
        switch (step.kind()) {
            case NOTICE:
                dispatch(step, ++incident.attemptsAtStep, cause);
                return;
            case ISOLATE:
                if (incident.attemptsAtStep > 0) {
                    giveUpOrEscalate(step, last, cause, "isolate failed");
                    return;
                }
                stepQueued = true;
                dispatch(step, ++incident.attemptsAtStep, cause);
                return;
            case ONCE:
                if (incident.attemptsAtStep > 0) {
                    giveUpOrEscalate(step, last, cause, step.name() + " ran once in this incident and the service is"
                            + " still not healthy");
                    return;
                }
                incident.attemptsAtStep++;
                stepQueued = true;
                target.moveTo(ServiceState.RECOVERING, cause);
                dispatch(step, 1, cause);
                return;
            default:
                repeat(step, last, cause);
        }
    }

    private void repeat(Ladder.Step step, boolean last, String cause) {
        if (incident.stopRepeating != null && incident.attemptsAtStep > 0) {
            String why = incident.stopRepeating;
            incident.stopRepeating = null;
            giveUpOrEscalate(step, last, cause, why);
            return;
        }
        if (!last && incident.attemptsAtStep >= policy.restartAttempts()) {
            escalate(cause, incident.attemptsAtStep + " " + step.name() + (incident.attemptsAtStep == 1 ? "" : "s")
                    + " did not make the service healthy (restart.attempts: " + policy.restartAttempts() + ")");
            return;
        }
        Instant now = now();
        RecoveryTracker.Decision decision = tracker.next(now);
        if (decision instanceof RecoveryTracker.Exhausted exhausted) {
            String window = Durations.format(exhausted.window());
            context.bus().publish(new RecoveryBudgetExhausted(name, now, exhausted.recoveries(), exhausted.window()));
            if (last) {
                giveUp(BUDGET_ALERT, exhausted.recoveries() + " recoveries within " + window
                        + " did not help; giving up until a person acts", name + " failed " + exhausted.recoveries()
                        + " recoveries within " + window + "; last cause: " + cause);
            } else {
                escalate(cause, "the recovery budget is spent (" + exhausted.recoveries() + " recoveries within "
                        + window + ")");
            }
            return;
        }
        RecoveryTracker.Proceed proceed = (RecoveryTracker.Proceed) decision;
        incident.attemptsAtStep++;
        stepQueued = true;
        queuedInBudget = true;
        target.moveTo(ServiceState.RECOVERING, cause);
        if (proceed.delay().isZero()) {
            dispatch(step, proceed.attempt(), cause);
            return;
        }
        log.info("{}: {} {} in {}ms (backoff)", name, step.name(), proceed.attempt(), proceed.delay().toMillis());
        pending = true;
        pendingDelay = schedule(() -> {
            if (pending && ticket == null) {
                pending = false;
                pendingDelay = null;
                dispatch(step, proceed.attempt(), cause);
            }
        }, proceed.delay());
        if (pendingDelay == null) {
            pending = false;
        }
    }

    private void giveUpOrEscalate(Ladder.Step step, boolean last, String cause, String why) {
        if (last) {
            giveUp(LADDER_EXHAUSTED_ALERT, "every step of the recovery ladder " + ladder + " ran (" + why
                    + "); giving up until a person acts", name + " is still failing after every step of its"
                    + " recovery ladder " + ladder + "; last cause: " + cause);
        } else {
            escalate(cause, why);
        }
    }

    /** Moves on to the next step of the ladder, and runs it. */
    private void escalate(String cause, String why) {
        Ladder.Step from = ladder.step(incident.step);
        incident.step++;
        incident.attemptsAtStep = 0;
        Ladder.Step to = ladder.step(incident.step);
        verifyUntil = null;
        Instant now = now();
        log.warn("{}: escalating from {} to {} (step {} of {}): {}", name, from.name(), to.name(), incident.step + 1,
                ladder.size(), why);
        context.bus().publish(new RecoveryEscalated(name, now, from.name(), to.name(), incident.step + 1, why));
        context.alerts().raise(Alert.builder(ESCALATED_ALERT, name).severity(Severity.WARNING)
                .summary(name + ": " + from.name() + " did not help (" + why + "); trying " + to.name()
                        + " next; cause: " + cause)
                .startsAt(now).build());
        runCurrentStep(cause);
    }

    /** Recovery ends in FAILED: no step is left. */
    private void giveUp(String alertName, String stateCause, String summary) {
        verifyUntil = null;
        target.moveTo(ServiceState.FAILED, stateCause);
        context.alerts().raise(Alert.builder(alertName, name).severity(Severity.CRITICAL).summary(summary)
                .startsAt(now()).build());
    }

    /** Runs {@code step} once a fleet-wide permit is free (for steps that act on the workload). */
    private void dispatch(Ladder.Step step, int attempt, String cause) {
        if (closed) {
            return;
        }
        if (!step.actsOnWorkload()) {
            execute(step, attempt, cause);
            return;
        }
        pending = true;
        // The grant comes back through the serial executor, so it runs after this task, once ticket is set.
        ticket = context.recoveryPermits().request(granted -> runSerially(() -> {
            if (ticket != granted || !pending || closed) {
                granted.release();
                return;
            }
            pending = false;
            execute(step, attempt, cause);
        }));
        if (ticket.waiting()) {
            log.info("{}: {} waits for a free recovery slot (global.recovery.maxConcurrent: {}; {} waiting)", name,
                    step.name(), context.recoveryPermits().limit(), context.recoveryPermits().waiting());
        }
    }

    private void execute(Ladder.Step step, int attempt, String cause) {
        running = true;
        recoveringFromExit = false;
        runningOnWorkload = step.actsOnWorkload();
        stepQueued = false;
        queuedInBudget = false;
        exitDuringRecovery = null;
        int startedIn = generation;
        int stepNumber = incident == null ? 1 : incident.step + 1;
        context.bus().publish(new RecoveryStarted(name, now(), step.name(), attempt, cause, stepNumber));
        if (quietWhileFlapping(step)) {
            log.debug("{}: {} while flapping: {}", name, step.name(), cause);
        } else {
            log.info("{}: {}{}: {}", name, step.name(), step.kind() == Ladder.Kind.REPEAT ? " (attempt " + attempt
                    + ")" : "", cause);
        }
        RecoveryContext recoveryContext = new Context(attempt, cause, target.lastResult().orElse(null));
        Deadlines.<ActionOutcome>call(() -> step.action().execute(recoveryContext), context.pluginCalls(),
                actionDeadline, scheduler,
                error -> ActionOutcome.failed(step.name() + " failed: " + Deadlines.describe(error)),
                () -> ActionOutcome.failed(step.name() + " did not finish within " + Durations.format(actionDeadline)))
                .thenAccept(outcome -> runSerially(() -> finished(step, attempt, startedIn, outcome != null ? outcome
                        : ActionOutcome.failed(step.name() + " completed without an outcome"))));
    }

    private void finished(Ladder.Step step, int attempt, int startedIn, ActionOutcome outcome) {
        running = false;
        runningOnWorkload = false;
        Instant now = now();
        context.bus().publish(new RecoveryFinished(name, now, step.name(), attempt, outcome));
        // After the event: counted from events, recoveries in flight never exceed the fleet-wide limit.
        releaseTicket();
        boolean verified = step.kind() == Ladder.Kind.REPEAT || step.kind() == Ladder.Kind.ONCE;
        if (outcome.result() != ActionOutcome.Result.SUCCEEDED || !verified) {
            // Nothing to verify: the action's own result is the verdict (notify changes nothing in the service).
            conclude(step.name(), attempt, verdictOf(outcome.result()), outcome.message());
        }
        if (closed) {
            return;
        }
        if (startedIn != generation) {
            // A person reset the service while this step ran: the reset started it over, the step's result is moot
            // (an isolation that ends after the reset must not isolate the service again).
            log.info("{}: {} ended after a reset; its outcome is not acted on: {}", name, step.name(),
                    outcome.message());
            if (verified && outcome.result() == ActionOutcome.Result.SUCCEEDED) {
                // Every step that started gets its verdict (aegis_recoveries_total): not verified, the reset took over.
                conclude(step.name(), attempt, RecoveryConcluded.Outcome.SKIPPED, "a person reset the service while "
                        + step.name() + " ran");
            }
            return;
        }
        if (outcome.result() == ActionOutcome.Result.FAILED) {
            // Built-in actions say "restart failed: ..." themselves; a plugin's message may not name its step.
            log.warn("{}: {}", name, outcome.message().startsWith(step.name()) ? outcome.message()
                    : step.name() + " failed: " + outcome.message());
            if (step.actsOnWorkload() && !paused) {
                recover(outcome.message());
            }
            return;
        }
        if (quietWhileFlapping(step)) {
            log.debug("{}: {} done while flapping (its alert held): {}", name, step.name(), outcome.message());
        } else {
            log.info("{}: {} done: {}", name, step.name(), outcome.message());
        }
        if (step.kind() == Ladder.Kind.ISOLATE) {
            if (outcome.result() == ActionOutcome.Result.SUCCEEDED) {
                isolate("the recovery ladder " + ladder + " reached isolate; cause: " + incidentCause());
            }
            return;
        }
        if (!verified) {
            afterNotice();
            return;
        }
        Duration verify = max(policy.verifyWithin(), definition.startPeriod());
        verifyUntil = now.plus(verify);
        if (outcome.result() == ActionOutcome.Result.SUCCEEDED) {
            awaiting = new AwaitingVerdict(step.name(), attempt, now);
            if (target.state() == ServiceState.HEALTHY || target.state() == ServiceState.DEGRADED) {
                // A check in flight during the action already passed enough to make it HEALTHY again.
                concludeHealthy(now, "healthy when " + step.name() + " ended");
            }
        }
        target.workloadRestarted(step.name() + " done");
        if (exitDuringRecovery != null) {
            WorkloadStatus exited = exitDuringRecovery;
            exitDuringRecovery = null;
            if (replacedSince(exited)) {
                // The exit of the process this step replaced (killed before the step, reported while it ran).
                log.debug("{}: ignoring the exit of {}, which {} replaced", name, exited.description(), step.name());
            } else {
                recover("workload exited right after " + step.name() + ": " + exited.description());
            }
        }
    }

    /**
     * Whether the workload that exited is not the one running now: a process (a container) killed just before a
     * restart reports its exit while the restart runs, and that must not count against the one the restart started.
     */
    private boolean replacedSince(WorkloadStatus exited) {
        // Only a process id tells one run from the next: a container keeps its id across a restart, and a pod's or an
        // allocation's exit names the pod, not the Deployment or job the runtime's status is about.
        if (exited.pid().isEmpty() || target.runtime().isEmpty()) {
            return false;
        }
        try {
            CompletableFuture<WorkloadStatus> status = target.runtime().get().status().toCompletableFuture();
            // Only an answer the runtime already has: this runs on the service's serial executor and must not wait.
            WorkloadStatus now = status.isDone() && !status.isCompletedExceptionally() ? status.getNow(null) : null;
            return now != null && now.isRunning() && now.pid().isPresent()
                    && now.pid().getAsLong() != exited.pid().getAsLong();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A notify (or ignore) step ran: the ladder moves on, or, at its end after an escalation, gives up. */
    private void afterNotice() {
        if (incident == null || target.state() == ServiceState.HEALTHY || target.state() == ServiceState.DEGRADED) {
            return;
        }
        if (paused || isolated || inhibitedBy != null) {
            // Paused, isolated or held back while the notice ran: no next step now (resume or lift judges it again).
            return;
        }
        if (!ladder.isLast(incident.step)) {
            escalate(incidentCause(), ladder.step(incident.step).name() + " done");
        } else if (incident.step > 0 && target.state() == ServiceState.RECOVERING) {
            // Earlier steps acted on the workload and did not help; the person notified now owns the service.
            target.moveTo(ServiceState.FAILED, "every step of the recovery ladder " + ladder + " ran; giving up until"
                    + " a person acts");
        }
    }

    private void isolate(String reason) {
        isolated = true;
        cancelPending();
        verifyUntil = null;
        awaiting = null;
        Instant now = now();
        target.moveTo(ServiceState.ISOLATED, reason);
        context.bus().publish(new ServiceIsolated(name, now, reason));
        String workload = workloadAfterIsolation();
        log.error("{}: isolated: its workload is out of traffic and {}; automatic recovery stopped until"
                + " Engine.reset(\"{}\"): {}", name, workload, name, reason);
        context.alerts().raise(Alert.builder(ISOLATED_ALERT, name).severity(Severity.CRITICAL)
                .summary(name + " is isolated (" + reason + "): its workload is out of traffic and " + workload
                        + ", and Aegis will not recover it automatically. When it is fixed, bring it back"
                        + " with Engine.reset(\"" + name + "\"), which restarts it under supervision.")
                .startsAt(now).build());
    }

    /**
     * How the isolated workload is, in words: kept running for debugging, or (it crashed meanwhile) not running;
     * only from an answer the runtime already has, since this runs on the service's serial executor.
     */
    private String workloadAfterIsolation() {
        String kept = "kept running, for debugging";
        try {
            CompletableFuture<WorkloadStatus> status = target.runtime().map(runtime -> runtime.status()
                    .toCompletableFuture()).orElse(null);
            if (status == null || !status.isDone() || status.isCompletedExceptionally()) {
                return kept;
            }
            WorkloadStatus now = status.getNow(null);
            if (now == null || now.isRunning()) {
                return kept;
            }
            return "NOT running (" + now.describe().orElse(now.state().name().toLowerCase(java.util.Locale.ROOT))
                    + "; Engine.reset starts it again)";
        } catch (RuntimeException e) {
            return kept;
        }
    }

    // ---- verdicts ----------------------------------------------------------------------------------

    /** The service is healthy again: the step awaiting its verdict succeeded if that came in time. */
    private void concludeHealthy(Instant now, String cause) {
        AwaitingVerdict verdict = awaiting;
        String after = Durations.format(Duration.between(verdict.actionDoneAt(), now));
        if (now.isAfter(verifyUntil)) {
            conclude(verdict.step(), verdict.attempt(), RecoveryConcluded.Outcome.NOT_HEALTHY, "healthy only " + after
                    + " after " + verdict.step() + ", later than verifyWithin (" + Durations.format(Duration.between(
                            verdict.actionDoneAt(), verifyUntil)) + "): " + cause);
        } else {
            conclude(verdict.step(), verdict.attempt(), RecoveryConcluded.Outcome.SUCCEEDED, "healthy " + after
                    + " after " + verdict.step() + ": " + cause);
        }
    }

    /** Publishes the verdict on one step (aegis_recoveries_total counts these). */
    private void conclude(String step, int attempt, RecoveryConcluded.Outcome outcome, String detail) {
        awaiting = null;
        if (outcome == RecoveryConcluded.Outcome.NOT_HEALTHY) {
            log.warn("{}: {} (attempt {}) did not make the service healthy: {}", name, step, attempt, detail);
        }
        context.bus().publish(new RecoveryConcluded(name, now(), step, attempt, outcome, detail));
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

    // ---- incidents ---------------------------------------------------------------------------------

    private void scheduleIncidentEnd() {
        Scheduler.cancel(incidentEnd);
        if (incident == null) {
            return;
        }
        incidentEnd = schedule(() -> {
            incidentEnd = null;
            if (healthySince != null && !running && flappingReason == null) {
                closeIncident("healthy for " + Durations.format(policy.resetAfter()) + " (resetAfter)");
            }
        }, policy.resetAfter());
    }

    private void endIncidentIfHealthyLongEnough(Instant now) {
        if (incident != null && healthySince != null && flappingReason == null
                && !Duration.between(healthySince, now).minus(policy.resetAfter()).isNegative()) {
            closeIncident("healthy for " + Durations.format(policy.resetAfter()) + " (resetAfter)");
        }
    }

    private void closeIncident(String detail) {
        if (incident == null) {
            return;
        }
        int step = incident.step + 1;
        incident = null;
        log.info("{}: incident closed at ladder step {}: {}", name, step, detail);
        context.bus().publish(new IncidentClosed(name, now(), step, detail));
    }

    /**
     * Why the incident's latest step ran: a workload exit leaves no failed check behind, so the last check result
     * alone may describe a passing check from before the crash.
     */
    private String incidentCause() {
        if (incident != null && incident.lastCause != null) {
            return incident.lastCause;
        }
        return target.lastResult().map(ServiceStateMachine::describe).orElse("unhealthy");
    }

    private String currentStepName() {
        return ladder.step(incident == null ? 0 : incident.step).name();
    }

    // ---- other signals (the seams for flapping and dependencies) ----------------------------------------------

    /**
     * Holds recovery back because the failure is attributed elsewhere (a dependency is down): no step runs and so
     * no alert is raised while inhibited; checks and state changes go on. A waiting step is given up. Calling it
     * again replaces the reason.
     */
    public void inhibit(String reason) {
        if (inhibitedBy == null) {
            log.info("{}: recovery held back: {}", name, reason);
        }
        inhibitedBy = reason;
        cancelPending();
    }

    /**
     * Ends {@link #inhibit}: the service is checked at once, and recovered if that check (or a later one) still
     * fails; one that passes needs no recovery (the failure was the dependency's).
     */
    public void lift(String reason) {
        if (inhibitedBy == null) {
            return;
        }
        inhibitedBy = null;
        log.info("{}: recovery no longer held back: {}", name, reason);
        ServiceState state = target.state();
        recoverOnNextFailure = state == ServiceState.UNHEALTHY || state == ServiceState.RECOVERING;
        target.checkNow();
    }

    /** Why recovery is held back now ({@link #inhibit}), if it is. */
    public Optional<String> heldBackBy() {
        return Optional.ofNullable(inhibitedBy);
    }

    /**
     * From now on, asks {@code attribution} before each recovery step whether the failure is a dependency's doing:
     * then no step runs (the dependency's own recovery is what helps), and the engine {@link #inhibit inhibits}
     * this service until the dependency is up. Closes the race where this service's check fails before the
     * dependency's own check has noticed that it is down.
     */
    public void attributeFailuresWith(FailureAttribution attribution) {
        this.attribution = attribution;
    }

    /** Waits (as pending, without a thread) for the attribution's answer, then recovers or leaves it be. */
    private void askAttribution(String cause) {
        Object question = new Object();
        attributing = question;
        pending = true;
        CompletionStage<Optional<String>> answer;
        try {
            answer = attribution.blame();
        } catch (RuntimeException e) {
            log.warn("{}: could not ask whether a dependency is to blame; recovering it", name, e);
            answer = CompletableFuture.completedFuture(Optional.empty());
        }
        answer.whenComplete((blame, error) -> runSerially(() -> {
            if (attributing != question || !pending || closed) {
                return; // healthy again, held back, paused, reset or closed meanwhile
            }
            attributing = null;
            pending = false;
            if (blame != null && blame.isPresent()) {
                // Not inhibited here: the engine does that, and lifts it, as the dependency goes down and up.
                log.info("{}: not recovered: its failure is attributed to a dependency ({})", name, blame.get());
                return;
            }
            if (error != null) {
                log.warn("{}: could not tell whether a dependency is to blame ({}); recovering it", name,
                        Deadlines.describe(error));
            }
            recover(cause, false);
        }));
    }

    /**
     * The service keeps failing in a way restarting will not fix (it flaps): the current incident leaves its
     * repeating step (restart) for the next step of the ladder at its next recovery, instead of restarting until
     * the budget is spent; as the last step, the service is FAILED. Opens an incident when there is none.
     */
    public void stopRepeating(String reason) {
        if (incident == null) {
            incident = new Incident();
        }
        incident.stopRepeating = reason;
    }

    /**
     * The service is FLAPPING (its monitor publishes it so and has raised the one flapping alert): until
     * {@link #flappingStopped}, its repeating step does not repeat again ({@link #stopRepeating}, for this incident
     * and one that opens meanwhile), its incident does not end after {@code resetAfter} (brief healthy moments are
     * part of the flapping), and alerts are held: a healthy moment resolves nothing, and the alerts of actions
     * (notify) are not raised, so a person gets one alert rather than one per flap. Escalations, isolation and
     * giving up still raise theirs: they happen once per incident, not once per flap.
     */
    public void flappingStarted(String reason) {
        flappingReason = reason;
        if (incident != null) {
            stopRepeating(reason);
        }
    }

    /**
     * Ends {@link #flappingStarted}: calm for a whole flapping window, or the service moved on (FAILED, ISOLATED,
     * reset, shutdown). A healthy service's incident ends {@code resetAfter} from now.
     */
    public void flappingStopped() {
        if (flappingReason == null) {
            return;
        }
        flappingReason = null;
        if (incident != null) {
            incident.stopRepeating = null;
        }
        if (healthySince != null) {
            scheduleIncidentEnd();
        }
    }

    /** Whether the service is flapping, as far as recovery is concerned. */
    public boolean flapping() {
        return flappingReason != null;
    }

    /** A notify step runs once per flap while flapping, its alert held: not a log line per flap at info. */
    private boolean quietWhileFlapping(Ladder.Step step) {
        return flappingReason != null && step.kind() == Ladder.Kind.NOTICE;
    }

    private void reevaluate(String why) {
        ServiceState state = target.state();
        if (state == ServiceState.UNHEALTHY || state == ServiceState.RECOVERING) {
            recover("still " + state.name().toLowerCase(java.util.Locale.ROOT) + " (" + why + "): " + incidentCause());
        }
        target.checkNow();
    }

    // ---- a person's actions ------------------------------------------------------------------------

    /** Maintenance: no recovery and no alerts until {@link #resume}; checks go on. */
    public void pause(String reason) {
        operatorAction(OperatorAction.Kind.PAUSE, reason);
        paused = true;
        cancelPending();
        log.warn("{}: paused for maintenance ({}): no recovery and no alerts until resumed; checks go on", name,
                reason);
    }

    /** Ends maintenance: the service is judged at once (recovered if it is down, checked now). */
    public void resume(String reason) {
        operatorAction(OperatorAction.Kind.RESUME, reason);
        paused = false;
        log.info("{}: resumed ({}): supervised again", name, reason);
        reevaluate("maintenance ended");
    }

    /**
     * Starts over (after FAILED or ISOLATED, or at any time): incident, budget and backoff cleared, the workload
     * restarted when the service has a runtime, checks go on. Completes when the workload has been restarted.
     */
    public CompletableFuture<Void> reset(String reason) {
        operatorAction(OperatorAction.Kind.RESET, reason);
        generation++;
        cancelPending();
        closeIncident("reset by a person: " + reason);
        tracker.reset();
        logBudgetSpentUntil = null;
        isolated = false;
        awaiting = null;
        verifyUntil = null;
        exitDuringRecovery = null;
        context.alerts().resolveAll(name);
        log.info("{}: reset ({}): starting over under supervision", name, reason);
        target.moveTo(ServiceState.STARTING, "reset by a person: " + reason);
        target.workloadRestarted("reset");
        Optional<RuntimeAdapter> runtime = target.runtime();
        if (runtime.isEmpty()) {
            target.checkNow();
            return CompletableFuture.completedFuture(null);
        }
        return runtimeCall(() -> runtime.get().restart(), "restart").thenApply(ignored -> {
            runSerially(() -> {
                target.workloadRestarted("reset");
                target.checkNow();
            });
            return null;
        });
    }

    /** Restarts the workload now, outside the ladder and its budget. */
    public CompletableFuture<Void> restartNow(String reason) {
        if (running) {
            return CompletableFuture.failedFuture(new IllegalStateException(name + ": a recovery action is running;"
                    + " try again when it has ended"));
        }
        if (personsRestart != null && !personsRestart.isDone()) {
            // A double click, or two people at once: a second restart would kill the process the first one is
            // starting, and its failed checks would open an incident nobody caused (hostile M5: 20 requests, 20
            // restarts, a false UNHEALTHY -> RECOVERING). It joins the restart under way.
            log.info("{}: a restart asked by a person is under way; this request ({}) waits for it", name, reason);
            return personsRestart;
        }
        operatorAction(OperatorAction.Kind.RESTART, reason);
        RuntimeAdapter runtime = target.runtime().orElseThrow();
        log.info("{}: restarting at a person's request ({})", name, reason);
        boolean standsForQueuedRestart = pending && stepQueued && incident != null
                && ladder.step(incident.step).kind() == Ladder.Kind.REPEAT;
        if (standsForQueuedRestart) {
            // The ladder's restart waits (backoff or permit): this restart is that attempt, not one more after it.
            log.info("{}: the restart asked for stands for the {} the ladder was waiting to run", name,
                    ladder.step(incident.step).name());
            stepQueued = false;
            queuedInBudget = false;
            cancelPending();
            verifyUntil = now().plus(max(policy.verifyWithin(), definition.startPeriod()));
        }
        ServiceState before = target.state();
        if (before == ServiceState.HEALTHY || before == ServiceState.DEGRADED) {
            // Down on purpose until the new workload passes a check, as after a reset: its dependents are held back
            // meanwhile, and the start period's grace covers the new one's boot (it does not cover a HEALTHY service).
            target.moveTo(ServiceState.STARTING, "restarted by a person: " + reason);
        }
        personsRestartRunning = true;
        personsRestart = runtimeCall(runtime::restart, "restart").whenComplete((ignored, error) -> runSerially(() -> {
            personsRestartRunning = false;
            if (error != null) {
                return; // the checks judge what runs now
            }
            target.workloadRestarted("restarted by a person");
            if (standsForQueuedRestart && verifyUntil != null) {
                verifyUntil = now().plus(max(policy.verifyWithin(), definition.startPeriod()));
            }
        }));
        return personsRestart;
    }

    /** Isolates the service now: out of traffic, kept running, no automatic recovery until reset. */
    public CompletableFuture<Void> isolateNow(String reason) {
        if (isolated) {
            // Already out of traffic: running the hook and raising the critical alert again would only add noise.
            log.info("{}: already isolated; nothing to do ({})", name, reason);
            return CompletableFuture.completedFuture(null);
        }
        if (running && runningOnWorkload) {
            // A restart or rollback in flight would bring the workload back into traffic right after the drain.
            return CompletableFuture.failedFuture(new IllegalStateException(name + ": a recovery action is running;"
                    + " try again when it has ended"));
        }
        operatorAction(OperatorAction.Kind.ISOLATE, reason);
        cancelPending();
        RuntimeAdapter runtime = target.runtime().orElseThrow();
        int askedIn = generation;
        return runtimeCall(runtime::isolate, "isolate").thenApply(ignored -> {
            runSerially(() -> {
                if (askedIn == generation && !closed) {
                    isolate("isolated by a person: " + reason);
                } else {
                    log.info("{}: the isolation asked for ({}) ended after a reset; not isolating", name, reason);
                }
            });
            return null;
        });
    }

    private void operatorAction(OperatorAction.Kind kind, String reason) {
        context.bus().publish(new OperatorAction(name, now(), kind, reason));
    }

    /** Calls the runtime under its deadline; the future fails with a message a person can act on. */
    private CompletableFuture<Void> runtimeCall(java.util.function.Supplier<CompletionStage<Void>> call, String what) {
        return Deadlines.<Throwable>call(() -> call.get().thenApply(done -> null), context.pluginCalls(),
                runtimeDeadline, scheduler, error -> error,
                () -> new TimeoutException(what + " did not finish within " + Durations.format(runtimeDeadline)))
                .thenCompose(error -> {
                    if (error == null) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    log.error("{}: {} failed: {}", name, what, Deadlines.describe(error));
                    return CompletableFuture.<Void>failedFuture(new IllegalStateException(name + ": " + what
                            + " failed: " + Deadlines.describe(error), error));
                });
    }

    // ---- plumbing ----------------------------------------------------------------------------------

    private void cancelPending() {
        if (stepQueued && !running) {
            // Given up before it ran: it did not run, and must count neither as run nor against the budget.
            if (incident != null && incident.attemptsAtStep > 0) {
                incident.attemptsAtStep--;
            }
            if (queuedInBudget) {
                tracker.notRun();
            }
        }
        stepQueued = false;
        queuedInBudget = false;
        pending = false;
        recoveringFromExit = false;
        attributing = null;
        Scheduler.cancel(pendingDelay);
        pendingDelay = null;
        if (!running) {
            releaseTicket();
        }
    }

    private void releaseTicket() {
        if (ticket != null) {
            ticket.release();
            ticket = null;
        }
    }

    private void runSerially(Runnable task) {
        try {
            serial.execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("{}: the engine is shutting down; dropped a recovery callback", name);
        }
    }

    /** Schedules {@code task} to run serially after {@code delay}; null when the engine is shutting down. */
    private Scheduler.Task schedule(Runnable task, Duration delay) {
        return scheduler.scheduleOn(this::runSerially, task, delay);
    }

    private Instant now() {
        return context.clock().instant();
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** What one incident has tried so far (the per-incident state; the policy is the {@link Ladder}). */
    private static final class Incident {
        /** The ladder step, from 0. */
        private int step;
        /** How often the current step ran in this incident. */
        private int attemptsAtStep;
        /** Why the repeating step must not repeat again (flapping), or null. */
        private String stopRepeating;
        /** The cause the latest step was asked to recover from. */
        private String lastCause;
    }

    /** A step that succeeded, waiting for the service to prove it is healthy. */
    private record AwaitingVerdict(String step, int attempt, Instant actionDoneAt) {
    }

    /** What a recovery action sees. */
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
            return target.runtime();
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
            if (flappingReason != null) {
                // The flapping alert stands for this one: not one alert per flap.
                log.debug("{}: alert {} held: the service is flapping ({})", name, alert.name(), flappingReason);
                return CompletableFuture.completedFuture(null);
            }
            return context.alerts().raise(alert);
        }
    }
}
