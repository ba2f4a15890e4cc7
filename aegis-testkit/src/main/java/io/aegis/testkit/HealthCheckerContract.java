package io.aegis.testkit;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.ConfigException;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.testkit.internal.BlackholePort;
import io.aegis.testkit.internal.Calls;
import io.aegis.testkit.internal.FreshClasses;
import io.aegis.testkit.internal.Leaks;
import io.aegis.testkit.internal.Rules;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@link HealthChecker} and {@link HealthCheckerFactory}, as tests. Extend it in your plugin's tests,
 * say how to make your factory and a check of a target that is up, and (for a checker that talks over the network)
 * of a target at a given address:
 *
 * <pre>{@code
 * class FileAgeCheckerContractTest extends HealthCheckerContract {
 *     @TempDir Path dir;
 *
 *     protected HealthCheckerFactory factory() { return new FileAgeCheckerFactory(); }
 *
 *     protected CheckerSpec.Builder healthyTarget() throws Exception {
 *         Path file = Files.writeString(dir.resolve("beat"), "x");
 *         return CheckerSpec.builder("svc", "file-age", file.toString())
 *                 .settings(Settings.of("services[0]", Map.of("maxAge", "1m")));
 *     }
 *
 *     protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
 *         return List.of(Misconfiguration.at("services[0].maxAge", CheckerSpec.builder("svc", "file-age", "/x")
 *                 .settings(Settings.of("services[0]", Map.of("maxAge", "soon")))));
 *     }
 * }
 * }</pre>
 *
 * Each rule is one test; a broken one fails with a {@link ContractViolation} naming the {@link ContractRule}. The
 * rules that need a target that never answers or refuses run only when {@link #targetAt} is overridden. The kit
 * sets each spec's timeout and blocking executor itself (a pool of its own standing in for the engine's).
 *
 * <p>The rules about threads count every thread started during the test that is not the JDK's or the test
 * framework's: start your test servers before the test runs (in a field initialiser or {@code @BeforeEach}), and
 * if they start threads later (a server's worker on its second connection), name them {@code aegis-testkit-*}.
 */
public abstract class HealthCheckerContract {
    private final Calls calls = new Calls();

    /** {@return a new instance of the factory under test, as {@link ServiceLoader} would make it} */
    protected abstract HealthCheckerFactory factory();

    /**
     * A spec of a check whose target is up and well: its check passes. Called once per test that needs it.
     *
     * @return the spec's builder; the kit sets its timeout and blocking executor
     * @throws Exception when the target cannot be set up (a file not written, a server not started): the test fails
     *     with it
     */
    protected abstract CheckerSpec.Builder healthyTarget() throws Exception;

    /**
     * A spec of a check of the network target at {@code address} (such as {@code http://127.0.0.1:<port>/health}
     * for an HTTP checker), or empty for a checker that does not connect anywhere (the default): the kit points it
     * at a server that accepts and never answers, and at a port where nothing listens.
     *
     * @param address where the target listens, on loopback: the kit's server that never answers, or a port where
     *     nothing listens
     * @return the spec's builder, pointed at {@code address}; empty (the default) when the checker does not connect
     *     anywhere, which skips the rules that need such a target
     */
    protected Optional<CheckerSpec.Builder> targetAt(InetSocketAddress address) {
        return Optional.empty();
    }

    /**
     * Whether the checker keeps a connection open across checks (HTTP/2, gRPC channels), so that cancelling one
     * check rightly leaves the connection to the others: then the kit asks instead that closing the checker (and its
     * factory) closes it. False by default: a cancelled check must close its own connection.
     *
     * @return {@code true} when a connection serves many checks and is released by {@code close()}, {@code false}
     *     when each check releases its own, cancelled or not
     */
    protected boolean keepsConnections() {
        return false;
    }

    /**
     * Specs with one mistake each, and the key path the factory's {@link ConfigException} must name.
     *
     * @return the mistakes, each tried with a factory of its own; none by default, which skips the test
     */
    protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
        return List.of();
    }

    /**
     * How long {@link HealthChecker#check} may take to return its stage (not to complete it) once warm; by default
     * 400 ms, which no check that does its I/O asynchronously comes near and every one that waits for its target
     * exceeds against a target that never answers.
     *
     * @return the longest {@code check()} may take to return its stage
     */
    protected Duration callerBudget() {
        return Duration.ofMillis(400);
    }

    /** {@return the timeout of the kit's checks (but the one it cancels): 1 s by default} */
    protected Duration timeout() {
        return Duration.ofSeconds(1);
    }

    /**
     * {@return time for a check's stage beyond its timeout, and for threads to end after close: 2 s by default}
     */
    protected Duration grace() {
        return Duration.ofSeconds(2);
    }

    @AfterEach
    void endTheKitsThreads() {
        calls.close();
    }

    @Test
    void typeIsAName() {
        try (HealthCheckerFactory factory = factory()) {
            Rules.requireName(factory, "type()", factory.type());
        }
    }

    @Test
    void factoryIsRegisteredForServiceLoader() {
        try (HealthCheckerFactory factory = factory()) {
            Rules.requireRegistered(HealthCheckerFactory.class, factory);
        }
    }

    @Test
    void checkOfAHealthyTargetPasses() throws Exception {
        try (HealthCheckerFactory factory = factory();
                HealthChecker checker = factory.create(spec(healthyTarget(), timeout()))) {
            Calls.Outcome<CheckResult> outcome = check(checker, timeout(), "a check of the healthy target");
            if (outcome.failed()) {
                throw new ContractViolation(ContractRule.HEALTHY_IS_PASSING,
                        "the check of the healthy target failed with " + outcome.failure(), outcome.failure());
            }
            ContractViolation.check(outcome.value() != null && outcome.value().isPassing(),
                    ContractRule.HEALTHY_IS_PASSING, "the check of the healthy target said " + outcome.value());
        }
    }

    @Test
    void checkReturnsWithoutBlocking() throws Exception {
        try (HealthCheckerFactory factory = factory();
                HealthChecker warm = factory.create(spec(healthyTarget(), timeout()))) {
            check(warm, timeout(), "a check of the healthy target"); // first use: classes, JIT, TLS
            requireReturnsAtOnce(warm, "the healthy target");
            InetSocketAddress probe = StalledServer.refusedAddress();
            if (targetAt(probe).isEmpty()) {
                return; // connects nowhere: no target that never answers to measure against
            }
            try (StalledServer stalled = StalledServer.start();
                    BlackholePort blackhole = BlackholePort.open();
                    HealthChecker silent = factory.create(spec(targetAt(stalled.address()).orElseThrow(),
                            timeout()));
                    HealthChecker unreachable = factory.create(spec(targetAt(blackhole.address()).orElseThrow(),
                            timeout()))) {
                requireReturnsAtOnce(silent, "a target that never answers");
                requireNonPassingResult(requireReturnsAtOnce(unreachable, "a target whose connect never completes"),
                        "a target whose connect never completes");
            }
        }
    }

    /** Times one check's return against the budget, then waits for its verdict and returns it. */
    private Calls.Outcome<CheckResult> requireReturnsAtOnce(HealthChecker checker, String target)
            throws InterruptedException {
        Calls.Timed<CheckResult> call = calls.time("check() of " + target,
                () -> checker.check(new CheckContext(1, timeout())), timeout().plus(grace()),
                ContractRule.FAILURES_ARE_RESULTS);
        call.requireWithin(callerBudget(), "check() of " + target, "; blocking() is " + checker.blocking());
        return Calls.await("the check of " + target, call.stage(), timeout().plus(grace()));
    }

    @Test
    void stageCompletesWithinItsTimeout() throws Exception {
        Assumptions.assumeTrue(targetAt(StalledServer.refusedAddress()).isPresent(),
                "targetAt(address) is not overridden: no target that never answers to time out on");
        Duration timeout = timeout();
        try (StalledServer stalled = StalledServer.start();
                HealthCheckerFactory factory = factory();
                HealthChecker checker = factory.create(spec(targetAt(stalled.address()).orElseThrow(), timeout))) {
            Calls.Outcome<CheckResult> outcome = check(checker, timeout,
                    "the check of a target that never answers, timeout " + Calls.millis(timeout) + ",");
            // A target that accepts and stays silent may be healthy for some checkers (a TCP connect): only how the
            // stage ends is a rule here, not the verdict.
            if (outcome.failed()) {
                throw new ContractViolation(ContractRule.FAILURES_ARE_RESULTS, "the check of a target that never"
                        + " answers completed exceptionally with " + outcome.failure() + " instead of a result",
                        outcome.failure());
            }
        }
    }

    @Test
    void refusedConnectionIsAResult() throws Exception {
        InetSocketAddress refused = StalledServer.refusedAddress();
        Assumptions.assumeTrue(targetAt(refused).isPresent(),
                "targetAt(address) is not overridden: no network target to refuse");
        try (HealthCheckerFactory factory = factory();
                HealthChecker checker = factory.create(spec(targetAt(refused).orElseThrow(), timeout()))) {
            Calls.Outcome<CheckResult> outcome = check(checker, timeout(),
                    "the check of a port where nothing listens");
            requireNonPassingResult(outcome, "a port where nothing listens");
        }
    }

    @Test
    void cancellationReleasesTheConnection() throws Exception {
        Assumptions.assumeTrue(targetAt(StalledServer.refusedAddress()).isPresent(),
                "targetAt(address) is not overridden: no connection to release");
        Duration timeout = Duration.ofSeconds(30);
        try (StalledServer stalled = StalledServer.start();
                HealthCheckerFactory factory = factory();
                HealthChecker checker = factory.create(spec(targetAt(stalled.address()).orElseThrow(), timeout))) {
            CompletionStage<CheckResult> stage = calls.time("check()",
                    () -> checker.check(new CheckContext(1, timeout)), grace(),
                    ContractRule.FAILURES_ARE_RESULTS).stage();
            Assumptions.assumeTrue(stalled.awaitAccepted(1, timeout().plus(grace())),
                    "the check opened no connection to the target: nothing to release");
            stage.toCompletableFuture().cancel(true);
            if (keepsConnections()) {
                checker.close();
                factory.close();
                ContractViolation.check(stalled.awaitNoneOpen(grace()), ContractRule.CLOSE_RELEASES_EVERYTHING,
                        "the connection of a cancelled check was still open " + Calls.millis(grace())
                                + " after close() of the checker and its factory");
            } else {
                ContractViolation.check(stalled.awaitNoneOpen(grace()), ContractRule.CANCELLATION_RELEASES,
                        "the connection of a cancelled check (timeout " + Calls.millis(timeout) + ") was still open "
                                + Calls.millis(grace()) + " after the cancel");
            }
        }
    }

    @Test
    void closeLeavesNoThreadOrProcess() throws Exception {
        FreshClasses.checkTwice(this::factory, HealthCheckerFactory.class, this::requireNothingLeftAfterClose);
    }

    private void requireNothingLeftAfterClose(Supplier<HealthCheckerFactory> factories, String how) throws Exception {
        Leaks leaks;
        try (StalledServer stalled = StalledServer.start()) {
            leaks = Leaks.take();
            HealthCheckerFactory factory = factories.get();
            HealthChecker checker = factory.create(spec(healthyTarget(), timeout()));
            check(checker, timeout(), "a check of the healthy target");
            Optional<CheckerSpec.Builder> waiting = targetAt(stalled.address());
            if (waiting.isPresent()) {
                HealthChecker waits = factory.create(spec(waiting.get(), timeout()));
                CompletionStage<CheckResult> stage = waits.check(new CheckContext(1, timeout()));
                Calls.await("the check of a target that never answers", stage, timeout().plus(grace()));
                calls.close("close() of a checker", waits, grace());
            }
            calls.close("close() of a checker", checker, grace());
            calls.close("close() of the factory", factory, grace());
        }
        List<String> remaining = leaks.remainingAfter(grace());
        ContractViolation.check(remaining.isEmpty(), ContractRule.CLOSE_RELEASES_EVERYTHING, "after close() of the"
                + " checkers and then of the factory" + how + ", " + Calls.millis(grace()) + " later, still there: "
                + remaining);
    }

    @Test
    void misconfigurationsNameTheirKeys() throws Exception {
        List<Misconfiguration<CheckerSpec.Builder>> mistakes = misconfigurations();
        Assumptions.assumeFalse(mistakes.isEmpty(), "misconfigurations() gives none");
        Rules.requireRefusals(mistakes, this::factory, (factory, input) -> factory.create(spec(input, timeout())),
                grace());
    }

    private CheckerSpec spec(CheckerSpec.Builder builder, Duration timeout) {
        return builder.timeout(timeout).blockingExecutor(calls.blockingExecutor()).build();
    }

    /** One check with {@code timeout} (the spec's), awaited for that timeout and the grace. */
    private Calls.Outcome<CheckResult> check(HealthChecker checker, Duration timeout, String what) throws Exception {
        Calls.Timed<CheckResult> call = calls.time("check()", () -> checker.check(new CheckContext(1, timeout)),
                timeout.plus(grace()), ContractRule.FAILURES_ARE_RESULTS);
        return Calls.await(what, call.stage(), timeout.plus(grace()));
    }

    private static void requireNonPassingResult(Calls.Outcome<CheckResult> outcome, String target) {
        if (outcome.failed()) {
            throw new ContractViolation(ContractRule.FAILURES_ARE_RESULTS, "the check of " + target
                    + " completed exceptionally with " + outcome.failure() + " instead of a result", outcome.failure());
        }
        ContractViolation.check(outcome.value() != null && !outcome.value().isPassing(),
                ContractRule.FAILURES_ARE_RESULTS, "the check of " + target + " said " + outcome.value());
    }
}
