package io.aegis.checkers.script;

import static io.aegis.checkers.script.Scripts.check;
import static io.aegis.checkers.script.Scripts.executable;
import static io.aegis.checkers.script.Scripts.isRunning;
import static io.aegis.checkers.script.Scripts.pidIn;
import static io.aegis.checkers.script.Scripts.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The script checker running real scripts written to a temporary directory. */
class ScriptCheckerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);

    @TempDir
    Path dir;

    private final ScriptCheckerFactory factory = new ScriptCheckerFactory();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopEverything() {
        factory.close();
        pool.shutdownNow();
    }

    @ParameterizedTest(name = "exit {0} -> {1} ({2})")
    @CsvSource({
        "0,  HEALTHY,   ,             OK - queue is empty",
        "1,  DEGRADED,  EXIT_CODE,    OK - queue is empty",
        "2,  UNHEALTHY, EXIT_CODE,    OK - queue is empty",
        "3,  UNKNOWN,   PLUGIN_ERROR, OK - queue is empty",
        "42, UNKNOWN,   EXIT_CODE,    exit code 42 is not a Nagios status (0-3): OK - queue is empty",
    })
    void mapsExitCodesLikeNagiosWithTheFirstLineAsMessage(int exitCode, HealthStatus status, FailureReason reason,
            String message) throws Exception {
        Path script = executable(dir, "check.sh", "echo 'OK - queue is empty'\necho 'second line'\nexit " + exitCode);

        CheckResult result = run(script, Map.of());

        assertThat(result.status()).isEqualTo(status);
        assertThat(result.failureReason().orElse(null)).isEqualTo(reason);
        assertThat(result.message()).isEqualTo(message);
    }

    @Test
    void namesTheExitCodeWhenTheScriptPrintsNothing() throws Exception {
        Path script = executable(dir, "check.sh", "exit 2");

        CheckResult result = run(script, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.message()).isEqualTo("exit code 2");
    }

    @Test
    void takesTheMessageFromStderrWhenThatIsWhereTheScriptWritesFirst() throws Exception {
        Path script = executable(dir, "check.sh", "echo 'CRITICAL - disk full' >&2\nexit 2");

        assertThat(run(script, Map.of()).message()).isEqualTo("CRITICAL - disk full");
    }

    @Test
    void drainsAMegabyteOfOutputWithoutBlockingAndKeepsItsFirstLine() throws Exception {
        Path script = executable(dir, "check.sh", "echo 'WARNING - verbose'\n"
                + "head -c 1048576 /dev/zero | tr '\\0' x\n"
                + "head -c 1048576 /dev/zero | tr '\\0' y >&2\n"
                + "exit 1");

        CheckResult result = run(script, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(result.message()).isEqualTo("WARNING - verbose");
    }

    @Test
    void cutsAFirstLineLongerThanTheOutputLimit() throws Exception {
        Path script = executable(dir, "check.sh", "head -c 1048576 /dev/zero | tr '\\0' x\nexit 0");

        CheckResult result = run(script, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).hasSize(OutputCapture.LIMIT).matches("x+");
    }

    @Test
    void passesTheServiceNameAndEndpointInTheEnvironment() throws Exception {
        Path script = executable(dir, "check.sh", "echo \"$AEGIS_SERVICE at $AEGIS_ENDPOINT\"");

        assertThat(run(script, Map.of()).message()).isEqualTo("queue-worker at " + script);
    }

    @Test
    void splitsArgsLikeAShellButNeverRunsOne() throws Exception {
        Path script = executable(dir, "check.sh", "printf '[%s]' \"$@\"");
        Path injected = dir.resolve("injected");
        String args = "-Service \"Example Service\" 'single $HOME' back\\ slash \"say \\\"hi\\\"\" '' "
                + "\"$(touch " + injected + ")\" *";

        CheckResult result = run(script, Map.of("args", args));

        assertThat(result.message()).isEqualTo("[-Service][Example Service][single $HOME][back slash][say \"hi\"][]"
                + "[$(touch " + injected + ")][*]");
        assertThat(injected).doesNotExist();
    }

    @Test
    void givesTheScriptEndOfFileOnStdin() throws Exception {
        Path script = executable(dir, "check.sh", "if read line; then echo \"read $line\"; else echo 'stdin closed'; fi");

        assertThat(run(script, Map.of()).message()).isEqualTo("stdin closed");
    }

    @Test
    void runsANonExecutableScriptWithShellSh() throws Exception {
        Path script = Scripts.plain(dir, "check.sh", "echo \"sh ran $# args: $1\"\nexit 1");

        CheckResult result = run(script, Map.of("shell", "sh", "args", "first second"));

        assertThat(result.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(result.message()).isEqualTo("sh ran 2 args: first");
    }

    @Test
    void runsAScriptWithShellBash() throws Exception {
        Assumptions.assumeTrue(Shell.BASH.find(System.getenv("PATH")).isPresent(), "bash is not installed here");
        Path script = Scripts.plain(dir, "check.sh", "echo \"bash ${BASH_VERSINFO[0]}\" | cut -c1-4");

        assertThat(run(script, Map.of("shell", "BASH")).message()).isEqualTo("bash");
    }

    @Test
    void runsShellPowershellWithPwshWhenOnlyPwshIsOnThePath() throws Exception {
        // A stand-in pwsh that reports how it was called: the mapping is tested even where PowerShell is missing.
        Path bin = Files.createDirectory(dir.resolve("bin"));
        executable(bin, "pwsh", "echo \"pwsh $*\"");
        Path script = Scripts.plain(dir, "check_service.ps1", "exit 0");
        ScriptCheckerFactory onlyPwsh = new ScriptCheckerFactory(bin.toString(), false);
        try {
            HealthChecker checker = onlyPwsh.create(spec(script.toString(),
                    Map.of("shell", "powershell", "args", "-Service ExampleService -Timeout 5"), TIMEOUT, pool));

            CheckResult result = check(checker, TIMEOUT);

            assertThat(result.message()).isEqualTo("pwsh -NoLogo -NoProfile -NonInteractive -File " + script
                    + " -Service ExampleService -Timeout 5");
        } finally {
            onlyPwsh.close();
        }
    }

    @ParameterizedTest(name = "own session: {0}")
    @ValueSource(booleans = {true, false})
    void killsTheWholeProcessTreeOnTimeout(boolean ownSession) throws Exception {
        ScriptCheckerFactory killer = new ScriptCheckerFactory(System.getenv("PATH"), ownSession);
        Assumptions.assumeTrue(killer.startsSessions() == ownSession, "setsid is not installed here");
        Path script = executable(dir, "hang.sh", "cd \"$1\"\necho $$ > script.pid\n"
                + "(sleep 60 & echo $! > grandchild.pid; wait) &\n"
                + "sleep 60 & echo $! > child.pid\n"
                + "wait");
        try {
            HealthChecker checker = killer.create(spec(script.toString(), Map.of("args", dir.toString()),
                    Duration.ofSeconds(1), pool));

            CheckResult result = check(checker, Duration.ofSeconds(1));

            assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
            assertThat(result.message()).isEqualTo(script + " did not finish within 1s; killed it and all it started");
            List<Long> pids = List.of(pidIn(dir.resolve("script.pid")), pidIn(dir.resolve("child.pid")),
                    pidIn(dir.resolve("grandchild.pid")));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(pids).as("script, child, grandchild still running").noneMatch(Scripts::isRunning));
        } finally {
            killer.close();
        }
    }

    @Test
    void twentyHangingScriptsAllTimeOutPromptlyAndLeaveNoProcessBehind() throws Exception {
        Path script = executable(dir, "hang.sh", "echo $$ > \"$1.pid\"\nsleep 60 & echo $! > \"$1.child.pid\"\nwait");
        List<CompletableFuture<CheckResult>> results = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            HealthChecker checker = factory.create(spec(script.toString(), Map.of("args", dir.resolve("s" + i).toString()),
                    SHORT_TIMEOUT, pool));
            results.add(checker.check(new CheckContext(1, SHORT_TIMEOUT)).toCompletableFuture());
        }

        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(2, TimeUnit.SECONDS);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        // On a machine too loaded to give a thread to a script within its 300ms, the designed verdict is "never
        // started" (UNKNOWN, no failure counted); every script that did start must have timed out.
        assertThat(results).allSatisfy(result -> assertThat(result.join()).satisfiesAnyOf(
                r -> assertThat(r.failureReason()).contains(FailureReason.TIMEOUT),
                r -> assertThat(r.message()).endsWith("(it never started: every thread of the pool for blocking"
                        + " work was busy)")));
        assertThat(results).as("scripts that timed out").anySatisfy(result ->
                assertThat(result.join().failureReason()).contains(FailureReason.TIMEOUT));
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            if (Files.exists(dir.resolve("s" + i + ".child.pid"))) {
                pids.add(pidIn(dir.resolve("s" + i + ".child.pid")));
            }
            if (Files.exists(dir.resolve("s" + i + ".pid"))) {
                pids.add(pidIn(dir.resolve("s" + i + ".pid")));
            }
        }
        assertThat(pids).as("pids the scripts recorded").isNotEmpty();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(pids).as("processes left running").noneMatch(Scripts::isRunning));
    }

    @Test
    void freesItsBlockingThreadAtTheTimeout() throws Exception {
        ExecutorService oneThread = Executors.newSingleThreadExecutor();
        try {
            Path hang = executable(dir, "hang.sh", "sleep 60");
            Path quick = executable(dir, "quick.sh", "echo fine");
            HealthChecker hanging = factory.create(spec(hang.toString(), Map.of(), SHORT_TIMEOUT, oneThread));
            HealthChecker next = factory.create(spec(quick.toString(), Map.of(), TIMEOUT, oneThread));

            assertThat(check(hanging, SHORT_TIMEOUT).failureReason()).contains(FailureReason.TIMEOUT);
            CheckResult result = check(next, TIMEOUT);

            assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(result.message()).isEqualTo("fine");
        } finally {
            oneThread.shutdownNow();
        }
    }

    @Test
    void freesItsBlockingThreadWhenTheScriptExitsButLeavesAProcessHoldingItsOutput() throws Exception {
        Assumptions.assumeTrue(factory.startsSessions(), "setsid is not installed here");
        ExecutorService oneThread = Executors.newSingleThreadExecutor();
        try {
            Path leaves = executable(dir, "leaves.sh", "sleep 60 & echo $! > \"$1\"\necho 'OK - started helper'");
            Path quick = executable(dir, "quick.sh", "echo fine");
            Path leftoverPid = dir.resolve("leftover.pid");
            HealthChecker leaving = factory.create(spec(leaves.toString(), Map.of("args", leftoverPid.toString()),
                    TIMEOUT, oneThread));
            HealthChecker next = factory.create(spec(quick.toString(), Map.of(), TIMEOUT, oneThread));

            CheckResult result = check(leaving, TIMEOUT);

            assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(result.message()).isEqualTo("OK - started helper");
            assertThat(result.latency()).isLessThan(TIMEOUT);
            assertThat(check(next, TIMEOUT).message()).isEqualTo("fine");
            long leftover = pidIn(leftoverPid);
            await().atMost(Duration.ofSeconds(5)).until(() -> !isRunning(leftover));
        } finally {
            oneThread.shutdownNow();
        }
    }

    @Test
    void aProcessTheScriptLeftRunningIsKilledEvenWhenItDoesNotHoldTheOutput() throws Exception {
        Assumptions.assumeTrue(factory.startsSessions(), "setsid is not installed here");
        Path leaves = executable(dir, "leaves.sh", "sleep 60 >/dev/null 2>&1 & echo $! > \"$1\"\necho 'OK'");
        Path leftoverPid = dir.resolve("leftover.pid");
        HealthChecker leaving = factory.create(spec(leaves.toString(), Map.of("args", leftoverPid.toString()),
                TIMEOUT, pool));

        assertThat(check(leaving, TIMEOUT).status()).isEqualTo(HealthStatus.HEALTHY);

        long leftover = pidIn(leftoverPid);
        await().atMost(Duration.ofSeconds(5)).until(() -> !isRunning(leftover));
    }

    @Test
    void neverStartsAScriptWhoseTimeoutPassedWhileItWaitedForAThread() throws Exception {
        ExecutorService oneThread = Executors.newSingleThreadExecutor();
        CountDownLatch release = new CountDownLatch(1);
        try {
            oneThread.execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Path marker = dir.resolve("started");
            Path script = executable(dir, "check.sh", "touch \"$1\"");
            HealthChecker checker = factory.create(spec(script.toString(), Map.of("args", marker.toString()),
                    SHORT_TIMEOUT, oneThread));

            CheckResult result = check(checker, SHORT_TIMEOUT);
            release.countDown();
            oneThread.submit(() -> { }).get(5, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
            assertThat(result.failureReason()).contains(FailureReason.PLUGIN_ERROR);
            assertThat(result.message()).endsWith("(it never started: every thread of the pool for blocking work was busy)");
            assertThat(marker).doesNotExist();
        } finally {
            oneThread.shutdownNow();
        }
    }

    @Test
    void returnsAtOnceAndKillsTheScriptWhenTheCheckIsCancelled() throws Exception {
        Path pidFile = dir.resolve("script.pid");
        Path script = executable(dir, "hang.sh", "echo $$ > \"$1\"\nexec sleep 60");
        HealthChecker checker = factory.create(spec(script.toString(), Map.of("args", pidFile.toString()), TIMEOUT, pool));

        CompletableFuture<CheckResult> pending = checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture();

        assertThat(pending).isNotDone();
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
        long pid = pidIn(pidFile);
        pending.cancel(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> !isRunning(pid));
    }

    @Test
    void closingTheFactoryKillsRunningScriptsAndEndsTheirChecks() throws Exception {
        Path pidFile = dir.resolve("script.pid");
        Path script = executable(dir, "hang.sh", "echo $$ > \"$1\"\nexec sleep 60");
        HealthChecker checker = factory.create(spec(script.toString(), Map.of("args", pidFile.toString()), TIMEOUT, pool));
        CompletableFuture<CheckResult> pending = checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture();
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
        long pid = pidIn(pidFile);

        factory.close();

        CheckResult result = pending.get(5, TimeUnit.SECONDS);
        assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(result.failureReason()).contains(FailureReason.PLUGIN_ERROR);
        await().atMost(Duration.ofSeconds(5)).until(() -> !isRunning(pid));
    }

    @Test
    void reportsNoVerdictWhenCheckingAfterTheFactoryClosed() throws Exception {
        Path script = executable(dir, "check.sh", "exit 0");
        HealthChecker checker = factory.create(spec(script.toString(), Map.of(), TIMEOUT, pool));
        factory.close();

        CheckResult result = check(checker, TIMEOUT);

        assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(result.failureReason()).contains(FailureReason.PLUGIN_ERROR);
        assertThat(result.message()).isEqualTo("the script checker is closed");
    }

    private CheckResult run(Path script, Map<String, String> metadata) throws Exception {
        HealthChecker checker = factory.create(spec(script.toString(), metadata, TIMEOUT, pool));
        return check(checker, TIMEOUT);
    }

}
