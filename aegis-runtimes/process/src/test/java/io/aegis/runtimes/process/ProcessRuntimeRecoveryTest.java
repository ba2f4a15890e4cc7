package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.WorkloadStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Rollback and isolation of the process runtime, with real child processes ({@code sh} scripts). */
class ProcessRuntimeRecoveryTest extends ProcessRuntimeTestBase {

    /** The release a service runs, and its previous one: each says which it is, then waits. */
    private static final String CURRENT_RELEASE = "echo release=current; exec sleep 61";
    private static final String PREVIOUS_RELEASE = "echo release=previous; exec sleep 62";

    @Test
    void rollbackIsSupportedOnlyWhenARollbackCommandIsConfigured() {
        RuntimeAdapter without = runtime(Map.of("command", CURRENT_RELEASE, "shell", true));
        RuntimeAdapter with = runtime(withRollback(Map.of()));

        assertThat(without.supportedOperations()).containsExactlyInAnyOrder(RuntimeOperation.START,
                RuntimeOperation.STOP, RuntimeOperation.RESTART, RuntimeOperation.ISOLATE);
        assertThat(with.supportedOperations()).containsExactlyInAnyOrder(RuntimeOperation.START,
                RuntimeOperation.STOP, RuntimeOperation.RESTART, RuntimeOperation.ISOLATE, RuntimeOperation.ROLLBACK);
    }

    @Test
    void rollbackStopsTheCurrentReleaseAndStartsTheRollbackCommand() {
        RuntimeAdapter runtime = runtime(withRollback(Map.of()));
        join(runtime.start());
        long currentPid = pid(runtime);

        join(runtime.rollback());

        long rolledBackPid = pid(runtime);
        assertThat(rolledBackPid).isNotEqualTo(currentPid);
        assertThat(isRunning(currentPid)).as("the current release's process runs").isFalse();
        awaitRunning(rolledBackPid, "62");
        await().atMost(PROMPTLY).until(() -> log().contains("release=previous"));
        assertThat(reportedExits).as("the stop of a rollback is no crash").isEmpty();
    }

    @Test
    void restartsAfterARollbackKeepRunningTheRollbackRelease() {
        RuntimeAdapter runtime = runtime(withRollback(Map.of()));
        join(runtime.start());
        awaitInLog("release=current", 1);
        join(runtime.rollback());
        long rolledBackPid = pid(runtime);
        awaitInLog("release=previous", 1);

        join(runtime.restart());
        awaitInLog("release=previous", 2);
        join(runtime.stop());
        join(runtime.start());

        long pid = pid(runtime);
        assertThat(pid).isNotEqualTo(rolledBackPid);
        awaitRunning(pid, "62");
        awaitInLog("release=previous", 3);
        assertThat(occurrences(log(), "release=current")).isEqualTo(1);
    }

    @Test
    void aSecondRollbackFailsSayingNoOlderReleaseIsKnownAndLeavesTheProcessAlone() {
        RuntimeAdapter runtime = runtime(withRollback(Map.of()));
        join(runtime.start());
        join(runtime.rollback());
        long pid = pid(runtime);

        assertThat(runtime.rollback().toCompletableFuture()).failsWithin(PROMPTLY)
                .withThrowableThat().havingRootCause()
                .isInstanceOf(IllegalStateException.class)
                .withMessageContaining("cannot roll back service \"web\" again: it already runs its rollback release"
                        + " (services[0].runtime.rollback.command: /bin/sh -c " + PREVIOUS_RELEASE + ")")
                .withMessageContaining("no older release is known");
        assertThat(pid(runtime)).isEqualTo(pid);
    }

    @Test
    void rollbackWithoutARollbackCommandFailsAndLeavesTheProcessAlone() {
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true));
        join(runtime.start());
        long pid = pid(runtime);

        assertThat(runtime.rollback().toCompletableFuture()).failsWithin(PROMPTLY)
                .withThrowableThat().havingRootCause()
                .isInstanceOf(UnsupportedOperationException.class)
                .withMessageContaining("set runtime.rollback.command");
        assertThat(pid(runtime)).isEqualTo(pid);
    }

    @Test
    void withAReleaseLayoutRollbackRepointsCurrentToThePreviousReleaseAndRestartsThroughIt() throws IOException {
        Path app = releaseLayout("20260101", "20260102", "20260103");
        RuntimeAdapter runtime = runtime(Map.of("command", List.of(app.resolve("current/run.sh").toString()),
                "rollback", Map.of("releases", app.toString())));
        join(runtime.start());
        awaitInLog("release=20260103", 1);
        long newestPid = pid(runtime);
        assertThat(join(runtime.status()).version()).as("version reported").contains("20260103");

        join(runtime.rollback());

        assertThat(Files.readSymbolicLink(app.resolve("current"))).isEqualTo(Path.of("releases/20260102"));
        assertThat(isRunning(newestPid)).isFalse();
        awaitInLog("release=20260102", 1);
        assertThat(join(runtime.status()).version()).as("version reported").contains("20260102");
        join(runtime.restart());
        awaitInLog("release=20260102", 2);
        assertThat(runtime.supportedOperations()).contains(RuntimeOperation.ROLLBACK);
        assertThat(reportedExits).isEmpty();
    }

    @Test
    void numberedReleasesRollBackToTheNumberBeforeNotTheNameBefore() throws Exception {
        Path app = releaseLayout("1", "2", "9", "10");

        assertThat(new ReleaseLayout(app).repointToPrevious()).isEqualTo("9");
        assertThat(Files.readSymbolicLink(app.resolve("current"))).isEqualTo(Path.of("releases", "9"));
    }

    @Test
    void withAReleaseLayoutASecondRollbackAndARollbackFromTheOldestReleaseFailAndChangeNothing() throws IOException {
        Path app = releaseLayout("20260101", "20260102");
        RuntimeAdapter runtime = runtime(Map.of("command", List.of(app.resolve("current/run.sh").toString()),
                "rollback", Map.of("releases", app.toString())));
        join(runtime.start());
        join(runtime.rollback());
        long pid = pid(runtime);

        assertThat(runtime.rollback().toCompletableFuture()).failsWithin(PROMPTLY)
                .withThrowableThat().havingRootCause()
                .withMessage("cannot roll back service \"web\" again: aegis already rolled it back to release 20260101 ("
                        + app.resolve("current") + " points to it) and rolls back once; deploy a fixed release, or"
                        + " repoint the link by hand");
        assertThat(pid(runtime)).isEqualTo(pid);

        RuntimeAdapter fresh = runtime(Map.of("command", List.of(app.resolve("current/run.sh").toString()),
                "rollback", Map.of("releases", app.toString())));
        assertThat(fresh.rollback().toCompletableFuture()).failsWithin(PROMPTLY)
                .withThrowableThat().havingRootCause()
                .withMessage("cannot roll back service \"web\": no release in " + app.resolve("releases")
                        + " is older than 20260101, the one " + app.resolve("current") + " points to");
        assertThat(Files.readSymbolicLink(app.resolve("current"))).isEqualTo(Path.of("releases/20260101"));
    }

    @Test
    void isolateRunsTheHookWithTheServiceNamePidAndEnvironmentAndKeepsTheProcess() {
        Path seen = tempDir.resolve("hook-saw");
        RuntimeAdapter runtime = runtime(Map.of(
                "command", CURRENT_RELEASE, "shell", true,
                "env", Map.of("GREETING", "hello"),
                "isolate", Map.of("command", List.of("/bin/sh", "-c",
                        "echo \"$AEGIS_SERVICE_NAME $AEGIS_SERVICE_PID $GREETING\" > '" + seen + "'; echo drained"))));
        join(runtime.start());
        long pid = pid(runtime);

        join(runtime.isolate());

        assertThat(read(seen)).isEqualTo("web " + pid + " hello\n");
        assertThat(tempDir.resolve(ProcessRuntime.HOOK_MARK)).as("no hook runs").doesNotExist();
        assertThat(pid(runtime)).as("the same process runs").isEqualTo(pid);
        assertThat(isRunning(pid)).isTrue();
    }

    @Test
    void isolateWithoutAHookKeepsTheProcessRunning() {
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true));
        join(runtime.start());
        long pid = pid(runtime);

        join(runtime.isolate());

        assertThat(pid(runtime)).isEqualTo(pid);
    }

    @Test
    void aCrashAfterIsolationIsStillReported() {
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true,
                "isolate", Map.of("command", List.of("true"))));
        join(runtime.start());
        long pid = pid(runtime);
        join(runtime.isolate());

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        await().atMost(PROMPTLY).until(() -> !reportedExits.isEmpty());
        assertThat(reportedExits).singleElement().satisfies(exit -> {
            assertThat(exit.state()).isEqualTo(WorkloadStatus.State.EXITED);
            assertThat(exit.pid()).hasValue(pid);
        });
    }

    @Test
    void aProcessThatEndsWhileTheHookRunsIsNotLoggedAsStillRunning() {
        Path started = tempDir.resolve("hook-started");
        Path proceed = tempDir.resolve("hook-may-end");
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true,
                "isolate", Map.of("command", "touch '" + started + "'; while [ ! -e '" + proceed + "' ]; do sleep 0.05;"
                        + " done", "shell", true)));
        join(runtime.start());
        long pid = pid(runtime);
        List<String> logged = new CopyOnWriteArrayList<>();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(ProcessRuntime.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(new java.text.MessageFormat(record.getMessage()).format(record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(handler);
        try {
            CompletableFuture<Void> isolating = runtime.isolate().toCompletableFuture();
            await().atMost(PROMPTLY).until(() -> Files.exists(started));
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await().atMost(PROMPTLY).until(() -> !reportedExits.isEmpty());
            Files.writeString(proceed, "");

            join(isolating);

            assertThat(logged).filteredOn(line -> line.contains("isolated: its isolate hook succeeded")).singleElement()
                    .isEqualTo("web: isolated: its isolate hook succeeded; pid " + pid
                            + " ended while the hook ran; no process of it runs");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            jul.removeHandler(handler);
        }
    }

    @Test
    void aFailingHookFailsTheStepQuotingItsExitCodeAndLastLine() {
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true,
                "isolate", Map.of("command", "echo draining; echo 'load balancer unreachable' >&2; exit 3",
                        "shell", true)));
        join(runtime.start());
        long pid = pid(runtime);

        assertThat(runtime.isolate().toCompletableFuture()).failsWithin(PROMPTLY)
                .withThrowableThat().havingRootCause()
                .withMessageContaining("the isolate hook of service \"web\" (services[0].runtime.isolate.command:")
                .withMessageContaining("failed with exit code 3; its last line of output: \"load balancer unreachable\"");
        assertThat(pid(runtime)).as("the service's process runs on").isEqualTo(pid);
    }

    @Test
    void aHookThatOverrunsItsTimeoutIsKilledWithWhatItStartedAndFailsTheStep() {
        Path pids = tempDir.resolve("hook-pids");
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true,
                "isolate", Map.of("command", "sleep 63 & echo \"$$ $!\" > '" + pids + "'; echo waiting; exec sleep 64",
                        "shell", true, "timeout", "500ms")));
        join(runtime.start());
        long pid = pid(runtime);

        CompletableFuture<Void> isolation = runtime.isolate().toCompletableFuture();

        assertThat(isolation).failsWithin(PROMPTLY).withThrowableThat().havingRootCause()
                .withMessageContaining("did not finish within 500ms and was killed; its last line of output: \"waiting\"")
                .withMessageContaining("raise services[0].runtime.isolate.timeout");
        for (long hookPid : pidsIn(pids)) {
            assertThat(isRunning(hookPid)).as("hook process %d runs", hookPid).isFalse();
        }
        assertThat(pid(runtime)).isEqualTo(pid);
    }

    @Test
    void whatASucceedingHookLeavesInTheBackgroundIsStopped() {
        Path pids = tempDir.resolve("hook-pids");
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true,
                "isolate", Map.of("command", "sleep 65 & echo \"$!\" > '" + pids + "'", "shell", true)));
        join(runtime.start());

        join(runtime.isolate());

        assertThat(pidsIn(pids)).singleElement().satisfies(
                background -> assertThat(isRunning(background)).as("background pid %d runs", background).isFalse());
    }

    @Test
    void stoppingTheServiceKillsAHookThatStillRunsRatherThanWaitForItsTimeout() {
        Path pids = tempDir.resolve("hook-pids");
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true,
                "isolate", Map.of("command", "echo \"$$\" > '" + pids + "'; exec sleep 68", "shell", true,
                        "timeout", "10m")));
        join(runtime.start());
        long pid = pid(runtime);
        CompletableFuture<Void> isolating = runtime.isolate().toCompletableFuture();
        // The shell creates the file before echo writes to it: wait for the pid itself (pidsIn fails on an empty file).
        await().atMost(PROMPTLY).until(() -> !read(pids).isBlank());
        long hook = pidsIn(pids).get(0);

        join(runtime.stop());

        assertThat(isRunning(hook)).as("the hook runs").isFalse();
        assertThat(isRunning(pid)).as("the service runs").isFalse();
        assertThat(isolating).failsWithin(PROMPTLY).withThrowableThat().havingRootCause()
                .withMessageContaining("was killed because the service was stopped while it ran");
    }

    @Test
    void anIsolateHookLeftRunningByAKilledAegisIsStoppedWhenTheServiceFirstStarts() throws IOException {
        ProcessBuilder leftoverHook = new ProcessBuilder("/bin/sh", "-c", "exec sleep 67");
        leftoverHook.environment().put(ServiceProcesses.VARIABLE,
                ProcessRuntime.hookProcesses(ServiceProcesses.forService("web", tempDir).marker()).marker());
        Process hook = leftoverHook.start();
        // Until the JDK's spawn helper has exec'd the command, /proc shows the helper's environment, without the
        // marker: a scan in that instant would not find the "leftover" (a killed aegis's hook has long run).
        Path environ = Path.of("/proc", Long.toString(hook.pid()), "environ");
        await().atMost(PROMPTLY).until(() -> new String(Files.readAllBytes(environ), java.nio.charset.StandardCharsets.UTF_8)
                .contains(ServiceProcesses.VARIABLE + "="));
        Files.writeString(tempDir.resolve(ProcessRuntime.HOOK_MARK), Long.toString(hook.pid()));
        try {
            RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true,
                    "isolate", Map.of("command", List.of("true"))));

            join(runtime.start());

            assertThat(hook.onExit()).as("the leftover hook is stopped").succeedsWithin(PROMPTLY);
            assertThat(tempDir.resolve(ProcessRuntime.HOOK_MARK)).doesNotExist();
            assertThat(isRunning(pid(runtime))).as("the service runs").isTrue();
        } finally {
            hook.destroyForcibly();
        }
    }

    @Test
    void closeKillsAHookThatStillRuns() {
        Path pids = tempDir.resolve("hook-pids");
        RuntimeAdapter runtime = runtime(Map.of("command", CURRENT_RELEASE, "shell", true,
                "isolate", Map.of("command", "echo \"$$\" > '" + pids + "'.tmp; mv '" + pids + "'.tmp '" + pids
                        + "'; exec sleep 66", "shell", true, "timeout", "1m")));
        join(runtime.start());
        CompletableFuture<Void> isolation = runtime.isolate().toCompletableFuture();
        await().atMost(PROMPTLY).until(() -> Files.exists(pids));
        long hookPid = pidsIn(pids).get(0);

        runtime.close();

        await().atMost(PROMPTLY).until(() -> !isRunning(hookPid));
        assertThat(isolation).failsWithin(PROMPTLY);
    }

    /**
     * {@code app/releases/<id>/run.sh} for each id (each says which release it is, then waits) and {@code app/current}
     * pointing to the last, relative as Capistrano writes it.
     */
    private Path releaseLayout(String... ids) throws IOException {
        Path app = Files.createDirectories(tempDir.resolve("app"));
        for (String id : ids) {
            Path script = Files.createDirectories(app.resolve("releases").resolve(id)).resolve("run.sh");
            Files.writeString(script, "#!/bin/sh\necho release=" + id + "\nexec sleep 67\n");
            assertThat(script.toFile().setExecutable(true)).isTrue();
        }
        Files.createSymbolicLink(app.resolve("current"), Path.of("releases", ids[ids.length - 1]));
        return app;
    }

    private Map<String, Object> withRollback(Map<String, ?> more) {
        Map<String, Object> settings = new HashMap<>(more);
        settings.put("command", CURRENT_RELEASE);
        settings.put("shell", true);
        settings.put("stopGracePeriod", "2s");
        settings.put("rollback", Map.of("command", PREVIOUS_RELEASE, "shell", true));
        return settings;
    }

    /**
     * Waits until process {@code pid} runs a command line containing {@code text}; it may be between two execs (setsid,
     * sh, sleep) at first, when the kernel shows no arguments at all.
     */
    private static void awaitRunning(long pid, String text) {
        await().atMost(PROMPTLY).untilAsserted(() -> assertThat(commandLine(pid)).contains(text));
    }

    /** The arguments of a process: its shell's script, or what the shell executed in its place (sleep 62). */
    private static String commandLine(long pid) {
        return ProcessHandle.of(pid).flatMap(process -> process.info().arguments()).map(args -> String.join(" ", args))
                .orElse("");
    }

    private static List<Long> pidsIn(Path file) {
        List<Long> pids = new ArrayList<>();
        Matcher numbers = Pattern.compile("\\d+").matcher(read(file));
        while (numbers.find()) {
            pids.add(Long.parseLong(numbers.group()));
        }
        assertThat(pids).as("pids written to %s", file).isNotEmpty();
        return pids;
    }

    /** Waits until the service has printed {@code line} {@code times} times: each start of that release prints it. */
    private void awaitInLog(String line, int times) {
        await().atMost(PROMPTLY).until(() -> occurrences(log(), line) == times);
    }

    private static int occurrences(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

}
