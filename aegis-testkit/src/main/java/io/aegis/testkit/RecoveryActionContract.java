package io.aegis.testkit;

import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.ConfigException;
import io.aegis.api.FailureReason;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.RecoveryContext;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.Settings;
import io.aegis.testkit.internal.Calls;
import io.aegis.testkit.internal.Rules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@link RecoveryAction} and {@link RecoveryActionFactory}, as tests. Extend it and say how to make
 * your factory and its settings; the kit runs the action against a {@link FakeRuntime} and a recording context:
 *
 * <pre>{@code
 * class DrainActionContractTest extends RecoveryActionContract {
 *     protected RecoveryActionFactory factory() { return new DrainActionFactory(); }
 *     protected Settings settings() { return Settings.of("services[0].actions.drain", Map.of()); }
 * }
 * }</pre>
 */
public abstract class RecoveryActionContract {
    /**
     * How long the kit watches the runtime after an execution's stage completed, for a call the action makes late
     * (a rollback handed to a pool thread, say): long enough for such a call to come, short enough to watch after
     * each execution.
     */
    private static final Duration LATE_CALL_WATCH = Duration.ofMillis(300);

    private final Calls calls = new Calls();

    /** {@return a new instance of the factory under test, as {@link ServiceLoader} would make it} */
    protected abstract RecoveryActionFactory factory();

    /**
     * Settings with which the action can run.
     *
     * @return the action's settings, passed to {@code create()} in each test that runs the action
     * @throws Exception when they cannot be made (a file they name not written, say): the test fails with it
     */
    protected abstract Settings settings() throws Exception;

    /**
     * Settings with one mistake each, and the key path the factory's {@link ConfigException} must name.
     *
     * @return the mistakes, each tried with a factory of its own; none by default, which skips the test
     */
    protected List<Misconfiguration<Settings>> misconfigurations() {
        return List.of();
    }

    /**
     * {@return how long {@code execute()} may take to return its stage once the action has run once; by default
     * 500 ms}
     */
    protected Duration callerBudget() {
        return Duration.ofMillis(500);
    }

    /**
     * {@return how long an execution may take to complete against a runtime that answers at once: 10 s by default}
     */
    protected Duration executionLimit() {
        return Duration.ofSeconds(10);
    }

    @AfterEach
    void endTheKitsThreads() {
        calls.close();
    }

    @Test
    void nameIsAName() {
        RecoveryActionFactory factory = factory();
        Rules.requireName(factory, "name()", factory.name());
    }

    @Test
    void factoryIsRegisteredForServiceLoader() {
        Rules.requireRegistered(RecoveryActionFactory.class, factory());
    }

    @Test
    void anExecutionEndsInAnOutcomeAndUsesOnlyTheOperationsItDeclares() throws Exception {
        RecoveryActionFactory factory = factory();
        Set<RuntimeOperation> declared = EnumSet.noneOf(RuntimeOperation.class);
        declared.addAll(factory.requiredOperations());
        // Attempts 1 to 3, after an HTTP failure, a timeout and a refused connect: an action may do more on later
        // attempts, and each must be declared.
        FailureReason[] reasons = {FailureReason.STATUS, FailureReason.TIMEOUT, FailureReason.CONNECT};
        for (int attempt = 1; attempt <= reasons.length; attempt++) {
            FakeRuntime runtime = new FakeRuntime();
            ActionOutcome outcome = execute(factory.create(settings()),
                    new Context(Optional.of(runtime), attempt, reasons[attempt - 1]));
            List<RuntimeOperation> undeclared = runtime.calls().stream().filter(call -> !declared.contains(call))
                    .toList();
            ContractViolation.check(undeclared.isEmpty(), ContractRule.REQUIRED_OPERATIONS_DECLARED, "at attempt "
                    + attempt + " (" + reasons[attempt - 1] + ") the action called " + undeclared + " (and ended "
                    + outcome.result() + "), but requiredOperations() is " + declared);
        }
    }

    @Test
    void withoutARuntimeItEndsInAnOutcome() throws Exception {
        RecoveryActionFactory factory = factory();
        ActionOutcome outcome = execute(factory.create(settings()), new Context(Optional.empty()));
        ContractViolation.check(!factory.requiresRuntime() || outcome.result() != ActionOutcome.Result.SUCCEEDED,
                ContractRule.OUTCOMES_NOT_EXCEPTIONS, "with no runtime, the action that requires one said " + outcome);
    }

    @Test
    void aRuntimeThatFailsEndsInAnOutcome() throws Exception {
        RecoveryActionFactory factory = factory();
        FakeRuntime failing = new FakeRuntime().failing(true);
        ActionOutcome outcome = execute(factory.create(settings()), new Context(Optional.of(failing)));
        ContractViolation.check(failing.calls().isEmpty() || outcome.result() != ActionOutcome.Result.SUCCEEDED,
                ContractRule.OUTCOMES_NOT_EXCEPTIONS, "the runtime failed " + failing.calls() + ", and the action said "
                        + outcome);
    }

    @Test
    void misconfigurationsNameTheirKeys() throws Exception {
        List<Misconfiguration<Settings>> mistakes = misconfigurations();
        Assumptions.assumeFalse(mistakes.isEmpty(), "misconfigurations() gives none");
        for (Misconfiguration<Settings> mistake : mistakes) {
            Rules.requireRefused(mistake, () -> factory().create(mistake.input()));
        }
    }

    private ActionOutcome execute(RecoveryAction action, RecoveryContext context) throws InterruptedException {
        // A first run, untimed, against a runtime that works: loading classes is not blocking the engine.
        Calls.await("execute()", calls.time("execute()", () -> action.execute(new Context(Optional.of(
                new FakeRuntime()))), callerBudget().plus(executionLimit()), ContractRule.OUTCOMES_NOT_EXCEPTIONS)
                .stage(), executionLimit());
        Optional<FakeRuntime> runtime = context.runtime().filter(FakeRuntime.class::isInstance)
                .map(FakeRuntime.class::cast);
        AtomicInteger callsAtCompletion = new AtomicInteger();
        Calls.Timed<ActionOutcome> timed = calls.time("execute()", () -> {
            CompletionStage<ActionOutcome> stage = action.execute(context);
            // Counted by the thread that completes the stage, as it completes it (or here, when it returned one
            // completed already): any call after that count is late. The stage waited for is the one this returns,
            // so the count is taken before the wait ends.
            return stage == null || runtime.isEmpty() ? stage : stage.whenComplete((done, failure) ->
                    callsAtCompletion.set(runtime.get().calls().size()));
        }, callerBudget().plus(executionLimit()), ContractRule.OUTCOMES_NOT_EXCEPTIONS);
        timed.requireWithin(callerBudget(), "execute()", "");
        Calls.Outcome<ActionOutcome> outcome = Calls.await("execute()", timed.stage(), executionLimit());
        if (outcome.failed()) {
            throw new ContractViolation(ContractRule.OUTCOMES_NOT_EXCEPTIONS,
                    "execute() completed exceptionally with " + outcome.failure(), outcome.failure());
        }
        ContractViolation.check(outcome.value() != null, ContractRule.OUTCOMES_NOT_EXCEPTIONS,
                "execute() completed with null, not an ActionOutcome");
        if (runtime.isPresent()) {
            List<RuntimeOperation> late = runtime.get().awaitCallsBeyond(callsAtCompletion.get(), LATE_CALL_WATCH);
            ContractViolation.check(late.isEmpty(), ContractRule.NO_CALLS_AFTER_COMPLETION, "the action called "
                    + late + " after its stage had completed (with " + outcome.value().result() + "), within the "
                    + Calls.millis(LATE_CALL_WATCH) + " the kit watched the runtime");
        }
        return outcome.value();
    }

    /** The context of one execution: service {@code contract}, failing its check, at the attempt and reason given. */
    private static final class Context implements RecoveryContext {
        private final Optional<RuntimeAdapter> runtime;
        private final List<Alert> alerts = new ArrayList<>();

        private final int attempt;
        private final FailureReason reason;

        Context(Optional<? extends RuntimeAdapter> runtime) {
            this(runtime, 1, FailureReason.STATUS);
        }

        Context(Optional<? extends RuntimeAdapter> runtime, int attempt, FailureReason reason) {
            this.runtime = runtime.map(RuntimeAdapter.class::cast);
            this.attempt = attempt;
            this.reason = reason;
        }

        @Override
        public String serviceName() {
            return "contract";
        }

        @Override
        public Optional<RuntimeAdapter> runtime() {
            return runtime;
        }

        @Override
        public Optional<CheckResult> lastResult() {
            return Optional.of(CheckResult.unhealthy(reason, cause(), Duration.ofMillis(3)));
        }

        @Override
        public String cause() {
            return switch (reason) {
                case TIMEOUT -> "no answer within 1s";
                case CONNECT -> "connection refused";
                default -> "HTTP 503";
            };
        }

        @Override
        public int attempt() {
            return attempt;
        }

        @Override
        public Instant now() {
            return Instant.now();
        }

        @Override
        public CompletionStage<Void> raiseAlert(Alert alert) {
            synchronized (alerts) {
                alerts.add(alert);
            }
            return CompletableFuture.completedFuture(null);
        }
    }
}
