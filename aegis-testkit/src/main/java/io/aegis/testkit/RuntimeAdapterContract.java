package io.aegis.testkit;

import io.aegis.api.ConfigException;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import io.aegis.testkit.internal.Calls;
import io.aegis.testkit.internal.FreshClasses;
import io.aegis.testkit.internal.Leaks;
import io.aegis.testkit.internal.Rules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of {@link RuntimeAdapter} and {@link RuntimeAdapterFactory}, as tests. Extend it, say how to make your
 * factory and the settings of a workload that starts and keeps running (for a process runtime, a command such as
 * {@code sleep 600}):
 *
 * <pre>{@code
 * class MyRuntimeContractTest extends RuntimeAdapterContract {
 *     protected RuntimeAdapterFactory factory() { return new MyRuntimeFactory(); }
 *
 *     protected Settings workload() {
 *         return Settings.of("services[0].runtime", Map.of("command", List.of("sleep", "600")));
 *     }
 * }
 * }</pre>
 *
 * The kit makes each {@link RuntimeSpec} itself (a service name, a listener, a blocking executor of its own and a
 * state directory it deletes afterwards). Each rule is one test; a broken one fails with a
 * {@link ContractViolation} naming the {@link ContractRule}.
 */
public abstract class RuntimeAdapterContract {
    private final Calls calls = new Calls();
    /** The state directory the specs get; JUnit deletes it after each test. */
    @TempDir
    Path stateDirectory;

    /** {@return a new instance of the factory under test, as {@link ServiceLoader} would make it} */
    protected abstract RuntimeAdapterFactory factory();

    /**
     * The settings of a workload that starts, keeps running until stopped, and stops.
     *
     * @return the runtime's settings; the kit makes the rest of each {@link RuntimeSpec} itself
     * @throws Exception when they cannot be made (a script the workload runs not written, say): the test fails with it
     */
    protected abstract Settings workload() throws Exception;

    /**
     * Settings with one mistake each, and the key path the factory's {@link ConfigException} must name.
     *
     * @return the mistakes, each tried with a factory of its own; none by default, which skips the test
     */
    protected List<Misconfiguration<Settings>> misconfigurations() {
        return List.of();
    }

    /**
     * How long {@code start()}, {@code stop()} and {@code status()} may take to return their stage (not to complete
     * it) once the adapter has done its first start; by default 500 ms.
     *
     * @return the longest each of those calls may take to return its stage
     */
    protected Duration callerBudget() {
        return Duration.ofMillis(500);
    }

    /**
     * How long the kit waits for an operation's stage: by default the adapter's own {@link
     * RuntimeAdapter#operationTimeout()}, capped at 30 s so that a broken adapter fails the test in reasonable time.
     *
     * @param adapter the adapter under test, whose operation timeout is the default
     * @return how long to wait for the stage of each of its operations
     */
    protected Duration operationLimit(RuntimeAdapter adapter) {
        Duration own = adapter.operationTimeout();
        return own.compareTo(Duration.ofSeconds(30)) < 0 ? own : Duration.ofSeconds(30);
    }

    /** {@return time for threads and processes to end after close: 2 s by default} */
    protected Duration grace() {
        return Duration.ofSeconds(2);
    }

    @AfterEach
    void endTheKitsThreads() {
        calls.close();
    }

    @Test
    void typeIsAName() {
        try (RuntimeAdapterFactory factory = factory()) {
            Rules.requireName(factory, "type()", factory.type());
        }
    }

    @Test
    void factoryIsRegisteredForServiceLoader() {
        try (RuntimeAdapterFactory factory = factory()) {
            Rules.requireRegistered(RuntimeAdapterFactory.class, factory);
        }
    }

    @Test
    void statusFollowsStartAndStop() throws Exception {
        try (RuntimeAdapterFactory factory = factory(); RuntimeAdapter adapter = factory.create(spec(workload()))) {
            // The first start is not timed: loading classes and opening clients is not blocking the engine.
            operation(adapter, "start()", adapter::start, false);
            WorkloadStatus running = operation(adapter, "status()", adapter::status, true);
            ContractViolation.check(running != null && running.state() == WorkloadStatus.State.RUNNING,
                    ContractRule.STATUS_FOLLOWS_OPERATIONS, "after start() completed, status() said " + running);
            operation(adapter, "stop()", adapter::stop, true);
            WorkloadStatus stopped = operation(adapter, "status()", adapter::status, true);
            ContractViolation.check(stopped != null && (stopped.state() == WorkloadStatus.State.STOPPED
                    || stopped.state() == WorkloadStatus.State.EXITED), ContractRule.STATUS_FOLLOWS_OPERATIONS,
                    "after stop() completed, status() said " + stopped);
            operation(adapter, "a second start()", adapter::start, true);
            operation(adapter, "stop()", adapter::stop, false);
        }
    }

    @Test
    void startingARunningWorkloadDoesNothing() throws Exception {
        try (RuntimeAdapterFactory factory = factory(); RuntimeAdapter adapter = factory.create(spec(workload()))) {
            operation(adapter, "start()", adapter::start, false);
            WorkloadStatus first = operation(adapter, "status()", adapter::status, false);
            operation(adapter, "start() of the running workload", adapter::start, true);
            WorkloadStatus second = operation(adapter, "status()", adapter::status, false);
            Rules.check(second.state() == WorkloadStatus.State.RUNNING && second.pid().equals(first.pid())
                    && second.id().equals(first.id()), ContractRule.START_IS_IDEMPOTENT, "the workload was " + first
                    + " before the second start() and " + second + " after it");
            first.pid().ifPresent(pid -> Rules.check(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    ContractRule.START_IS_IDEMPOTENT, "the first start()'s process " + pid + " is gone"));
            operation(adapter, "stop()", adapter::stop, false);
        }
    }

    @Test
    void aWorkloadKilledFromOutsideIsReported() throws Exception {
        Exits exits = new Exits();
        try (RuntimeAdapterFactory factory = factory();
                RuntimeAdapter adapter = factory.create(spec(workload(), exits))) {
            operation(adapter, "start()", adapter::start, false);
            WorkloadStatus running = operation(adapter, "status()", adapter::status, false);
            Assumptions.assumeTrue(running.pid().isPresent() && ProcessHandle.of(running.pid().getAsLong())
                    .isPresent(), "the workload has no process of this machine to kill (status " + running + ")");
            ProcessHandle.of(running.pid().getAsLong()).orElseThrow().destroyForcibly();
            Duration patience = operationLimit(adapter);
            Rules.check(exits.await(patience), ContractRule.EXITS_ARE_REPORTED, "the workload's process "
                    + running.pid().getAsLong() + " was killed with SIGKILL and the listener heard nothing in "
                    + Calls.millis(patience));
        }
    }

    @Test
    void unsupportedOperationsFail() throws Exception {
        try (RuntimeAdapterFactory factory = factory(); RuntimeAdapter adapter = factory.create(spec(workload()))) {
            Set<RuntimeOperation> unsupported = EnumSet.complementOf(EnumSet.copyOf(adapter.supportedOperations()));
            unsupported.removeAll(EnumSet.of(RuntimeOperation.START, RuntimeOperation.STOP));
            Assumptions.assumeFalse(unsupported.isEmpty(), "the adapter supports every operation");
            for (RuntimeOperation operation : unsupported) {
                Callable<CompletionStage<Void>> call = switch (operation) {
                    case RESTART -> adapter::restart;
                    case ROLLBACK -> adapter::rollback;
                    case ISOLATE -> adapter::isolate;
                    default -> throw new IllegalStateException(operation.toString());
                };
                String name = operation.name().toLowerCase(java.util.Locale.ROOT) + "()";
                Calls.Timed<Void> timed = calls.time(name, call, callerBudget().plus(grace()),
                        ContractRule.UNSUPPORTED_OPERATIONS_FAIL, "a failed stage");
                Calls.Outcome<Void> outcome = Calls.await(name, timed.stage(), operationLimit(adapter));
                ContractViolation.check(outcome.failure() instanceof UnsupportedOperationException,
                        ContractRule.UNSUPPORTED_OPERATIONS_FAIL, name + " is not in supportedOperations() "
                                + adapter.supportedOperations() + " but its stage "
                                + (outcome.failed() ? "failed with " + outcome.failure() : "succeeded"));
            }
        }
    }

    @Test
    void closeLeavesNoThreadOrChildProcess() throws Exception {
        FreshClasses.checkTwice(this::factory, RuntimeAdapterFactory.class, this::requireNothingLeftAfterClose);
    }

    private void requireNothingLeftAfterClose(Supplier<RuntimeAdapterFactory> factories, String how)
            throws Exception {
        // The second time in a state directory of its own: nothing the first adapter recorded is found again.
        Path state = how.isEmpty() ? stateDirectory : Files.createTempDirectory(stateDirectory, "afresh-");
        Leaks leaks = Leaks.take();
        RuntimeAdapterFactory factory = factories.get();
        RuntimeAdapter adapter = factory.create(new RuntimeSpec("contract", workload(), WorkloadListener.NONE,
                calls.blockingExecutor(), state));
        operation(adapter, "start()", adapter::start, false);
        // No stop(): close() itself must not leave a child process behind (RuntimeAdapter#close).
        calls.close("close() of the adapter", adapter, grace());
        calls.close("close() of the factory", factory, grace());
        List<String> remaining = leaks.remainingAfter(grace());
        ContractViolation.check(remaining.isEmpty(), ContractRule.CLOSE_RELEASES_EVERYTHING, "after start(), then"
                + " close() of the adapter and of the factory" + how + ", " + Calls.millis(grace()) + " later, still"
                + " there: " + remaining);
    }

    @Test
    void misconfigurationsNameTheirKeys() throws Exception {
        List<Misconfiguration<Settings>> mistakes = misconfigurations();
        Assumptions.assumeFalse(mistakes.isEmpty(), "misconfigurations() gives none");
        Rules.requireRefusals(mistakes, this::factory, (factory, input) -> factory.create(spec(input)), grace());
    }

    private RuntimeSpec spec(Settings settings) {
        return spec(settings, WorkloadListener.NONE);
    }

    private RuntimeSpec spec(Settings settings, WorkloadListener listener) {
        return new RuntimeSpec("contract", settings, listener, calls.blockingExecutor(), stateDirectory);
    }

    /** A listener that remembers whether it was told of an exit. */
    private static final class Exits implements WorkloadListener {
        private final java.util.concurrent.CountDownLatch exited = new java.util.concurrent.CountDownLatch(1);

        @Override
        public void workloadExited(WorkloadStatus status) {
            exited.countDown();
        }

        boolean await(Duration patience) throws InterruptedException {
            return exited.await(patience.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Calls {@code call} as the engine does: timed on the caller, then waited for within the operation limit. */
    private <T> T operation(RuntimeAdapter adapter, String what, Callable<CompletionStage<T>> call, boolean timed)
            throws InterruptedException {
        Calls.Timed<T> returned = calls.time(what, call, callerBudget().plus(grace()),
                ContractRule.FAILURES_ARE_FAILED_STAGES, "a failed stage");
        if (timed) {
            returned.requireWithin(callerBudget(), what, "");
        }
        Calls.Outcome<T> outcome = Calls.await(what, returned.stage(), operationLimit(adapter));
        if (outcome.failed()) {
            throw new ContractViolation(ContractRule.STATUS_FOLLOWS_OPERATIONS,
                    what + " of a workload that should run failed with " + outcome.failure(), outcome.failure());
        }
        return outcome.value();
    }
}
