package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.ProcFs;
import io.aegis.runtimes.process.testapp.GracefulApp;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Runs real child processes: {@code sh} scripts and a small Java program from the test classes. */
class ProcessRuntimeTest extends ProcessRuntimeTestBase {
    @Test
    void aServiceWhoseOutputPipeCannotBeMadeStartsAndRestartsWithItsOutputDiscarded() throws IOException {
        // What a state directory gone read-only does (root, which runs these tests, may write anywhere): the names of
        // the pipes are taken by folders that cannot be removed. Every start failed, and the recovery ended FAILED.
        Files.createDirectories(tempDir.resolve(OutputPipe.NAME).resolve("x"));
        Files.createDirectories(tempDir.resolve(OutputPipe.SPARE_NAME).resolve("x"));
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sh", "-c", "while echo tick; do sleep 0.02; done")));

        join(runtime.start());
        long first = pid(runtime);
        join(runtime.restart());
        long second = pid(runtime);

        // It writes on and runs on: its output goes nowhere, not into a pipe nobody reads (SIGPIPE).
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> isRunning(second));
        assertThat(second).isNotEqualTo(first);
        assertThat(reportedExits).isEmpty();
        assertThat(Files.exists(logFile()) ? read(logFile()) : "").doesNotContain("tick");
    }


    @Test
    void startReportsRunningWithThePidOfALiveProcess() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));

        join(runtime.start());

        WorkloadStatus status = join(runtime.status());
        assertThat(status.state()).isEqualTo(WorkloadStatus.State.RUNNING);
        assertThat(ProcessHandle.of(status.pid().orElseThrow())).hasValueSatisfying(
                process -> assertThat(process.isAlive()).as("process %d is alive", process.pid()).isTrue());
    }

    @Test
    void startingARunningWorkloadKeepsItsProcess() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long pid = pid(runtime);

        join(runtime.start());

        assertThat(join(runtime.status())).isEqualTo(WorkloadStatus.running(pid));
    }

    @Test
    void statusIsStoppedBeforeTheFirstStartAndStopThenDoesNothing() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));

        join(runtime.stop());

        assertThat(join(runtime.status())).isEqualTo(WorkloadStatus.stopped());
    }

    @Test
    void stopSendsSigtermSoTheProcessShutsDownGracefully() {
        RuntimeAdapter runtime = runtime(Map.of(
                "command", List.of(java(), "-Xshare:auto", "-cp", testClasses(), GracefulApp.class.getName()),
                "stopGracePeriod", "1m",
                "logFile", logFile().toString()));
        join(runtime.start());
        long pid = pid(runtime);
        await().atMost(PROMPTLY).until(() -> log().contains(GracefulApp.READY));

        // Far sooner than the grace period: only SIGTERM can have ended it, and its shutdown hook ran.
        assertThat(runtime.stop().toCompletableFuture()).succeedsWithin(Duration.ofSeconds(20));

        assertThat(log()).contains(GracefulApp.SHUTTING_DOWN);
        assertThat(isRunning(pid)).isFalse();
        assertThat(join(runtime.status())).isEqualTo(WorkloadStatus.stopped());
    }

    @Test
    void stopKillsAProcessThatIgnoresSigtermOnceTheGracePeriodEnds() {
        RuntimeAdapter runtime = runtime(Map.of(
                "command", "trap '' TERM; echo ready; while true; do sleep 0.1; done",
                "shell", true,
                "stopGracePeriod", "300ms",
                "logFile", logFile().toString()));
        join(runtime.start());
        long pid = pid(runtime);
        await().atMost(PROMPTLY).until(() -> log().contains("ready"));

        assertThat(runtime.stop().toCompletableFuture()).succeedsWithin(PROMPTLY);

        assertThat(isRunning(pid)).isFalse();
        assertThat(join(runtime.status())).isEqualTo(WorkloadStatus.stopped());
    }

    @Test
    void stopOfAStoppedServiceContinuesItSoThatItShutsDownGracefully() throws Exception {
        // Hostile F8: a SIGSTOPped service got SIGTERM only, kept it pending, and always cost the whole grace period
        // and a SIGKILL. Now SIGCONT follows SIGTERM, as with systemd, and it runs its own shutdown.
        RuntimeAdapter runtime = runtime(Map.of(
                "command", "trap 'echo graceful; exit 0' TERM; echo ready; while true; do sleep 0.1; done",
                "shell", true,
                "stopGracePeriod", "30s"));
        join(runtime.start());
        long pid = pid(runtime);
        await().atMost(PROMPTLY).until(() -> log().contains("ready"));
        assertThat(new ProcessBuilder("sh", "-c", "kill -STOP " + pid).start().waitFor()).isZero();
        await().atMost(PROMPTLY).until(() -> ProcFs.stat(pid).map(ProcFs.Stat::isStopped).orElse(false));

        assertThat(runtime.stop().toCompletableFuture()).succeedsWithin(PROMPTLY);

        assertThat(isRunning(pid)).isFalse();
        assertThat(log()).contains("graceful");
    }

    @Test
    void stopAlsoKillsDescendantsThatIgnoreSigterm() {
        // The background sleep inherits the ignored SIGTERM, so only SIGKILL ends it.
        RuntimeAdapter runtime = runtime(Map.of(
                "command", "trap '' TERM; sleep 61 & while true; do sleep 0.1; done",
                "shell", true,
                "stopGracePeriod", "300ms"));
        join(runtime.start());
        ProcessHandle root = ProcessHandle.of(pid(runtime)).orElseThrow();
        ProcessHandle backgroundSleep = await().atMost(PROMPTLY).until(
                () -> root.descendants().filter(p -> p.info().arguments().map(a -> List.of(a).contains("61")).orElse(false))
                        .findFirst().orElse(null),
                found -> found != null);

        assertThat(runtime.stop().toCompletableFuture()).succeedsWithin(PROMPTLY);

        assertThat(ProcFs.isRunning(root)).as("the shell runs").isFalse();
        assertThat(ProcFs.isRunning(backgroundSleep)).as("its background sleep runs").isFalse();
    }

    @Test
    void aProcessKilledFromOutsideIsReportedPromptlyWithItsExitCode() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long pid = pid(runtime);

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        await().atMost(PROMPTLY).until(() -> !reportedExits.isEmpty());
        // Java reports death by signal N as exit code 128 + N, as a shell does.
        assertThat(reportedExits).containsExactly(WorkloadStatus.exited(pid, 137)
                .withExitReason("killed by signal 9 (SIGKILL)"));
        assertThat(join(runtime.status())).isEqualTo(reportedExits.get(0));
    }

    @Test
    void aProcessThatExitsOnItsOwnIsReportedWithItsExitCode() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sh", "-c", "exit 3")));
        join(runtime.start());

        // it may be gone before status() could see it running, so take its pid from the report
        await().atMost(PROMPTLY).until(() -> !reportedExits.isEmpty());
        assertThat(reportedExits).singleElement().satisfies(exit -> {
            assertThat(exit.state()).isEqualTo(WorkloadStatus.State.EXITED);
            assertThat(exit.exitCode()).hasValue(3);
            assertThat(exit.exitReason()).as("no signal killed it").isEmpty();
        });
        assertThat(join(runtime.status())).isEqualTo(reportedExits.get(0));
    }

    @Test
    void aRequestedStopIsNotReportedAsAnUnexpectedExit() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());

        join(runtime.stop());

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(reportedExits::isEmpty);
    }

    @Test
    void startAfterACrashStartsANewProcess() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long crashed = pid(runtime);
        ProcessHandle.of(crashed).orElseThrow().destroyForcibly();
        await().atMost(PROMPTLY).until(() -> !reportedExits.isEmpty());

        join(runtime.start());

        WorkloadStatus status = join(runtime.status());
        assertThat(status.state()).isEqualTo(WorkloadStatus.State.RUNNING);
        assertThat(status.pid()).isNotEqualTo(crashed);
    }

    @Test
    void restartStartsANewProcessAndTheOldOneIsGone() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long oldPid = pid(runtime);

        join(runtime.restart());

        long newPid = pid(runtime);
        assertThat(newPid).isNotEqualTo(oldPid);
        assertThat(isRunning(oldPid)).as("old process %d runs", oldPid).isFalse();
        assertThat(isRunning(newPid)).as("new process %d runs", newPid).isTrue();
    }

    @Test
    void restartDoesNotReportTheOldProcessExit() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());

        join(runtime.restart());

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(reportedExits::isEmpty);
    }

    @Test
    void stopCalledRightAfterStartStopsTheProcessThatStartLaunched() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));

        CompletableFuture<Void> started = runtime.start().toCompletableFuture();
        CompletableFuture<Void> stopped = runtime.stop().toCompletableFuture();

        assertThat(stopped).succeedsWithin(PROMPTLY);
        assertThat(started).isCompleted();
        assertThat(join(runtime.status())).isEqualTo(WorkloadStatus.stopped());
    }

    @Test
    void theProcessGetsTheConfiguredEnvironmentOnTopOfTheEngines() {
        RuntimeAdapter runtime = runtime(Map.of(
                "command", "echo \"FOO=$FOO PATH inherited: ${PATH:+yes}\"",
                "shell", true,
                "env", Map.of("FOO", "bar"),
                "logFile", logFile().toString()));

        join(runtime.start());

        await().atMost(PROMPTLY).until(() -> log().contains("FOO=bar PATH inherited: yes"));
    }

    @Test
    void theProcessRunsInTheConfiguredWorkingDirectory() throws IOException {
        Path workingDir = Files.createDirectory(tempDir.resolve("work")).toRealPath();
        RuntimeAdapter runtime = runtime(Map.of(
                "command", List.of("pwd"),
                "workingDir", workingDir.toString(),
                "logFile", logFile().toString()));

        join(runtime.start());

        await().atMost(PROMPTLY).until(() -> log().contains(workingDir.toString()));
    }

    @Test
    void stdoutAndStderrAreAppendedToTheLogFile() throws IOException {
        Files.writeString(logFile(), "an earlier line\n");
        RuntimeAdapter runtime = runtime(Map.of(
                "command", "echo to stdout; echo to stderr >&2",
                "shell", true,
                "logFile", logFile().toString()));

        join(runtime.start());

        await().atMost(PROMPTLY).until(() -> log().equals("an earlier line\nto stdout\nto stderr\n"));
    }

    @Test
    void argsAreAppendedToTheCommandAsSeparateWords() {
        RuntimeAdapter runtime = runtime(Map.of(
                "command", List.of("sh", "-c", "printf '<%s>' \"$@\"", "sh"),
                "args", List.of("a", "b c"),
                "logFile", logFile().toString()));

        join(runtime.start());

        await().atMost(PROMPTLY).until(() -> log().equals("<a><b c>"));
    }

    @Test
    void theProcessGetsAnEmptyStandardInput() {
        RuntimeAdapter runtime = runtime(Map.of(
                "command", "cat; echo stdin was empty",
                "shell", true,
                "logFile", logFile().toString()));

        join(runtime.start());

        await().atMost(PROMPTLY).until(() -> log().equals("stdin was empty\n"));
    }

    @Test
    void startFailsWithAClearMessageWhenTheProgramDoesNotExist() throws IOException {
        // create() checks that the program exists: this one is removed after that, before start
        Path program = Files.writeString(tempDir.resolve("aegis-no-such-program"), "#!/bin/sh\n");
        program.toFile().setExecutable(true);
        RuntimeAdapter runtime = runtime(Map.of("command", List.of(program.toString(), "--flag")));
        Files.delete(program);

        assertThat(runtime.start().toCompletableFuture())
                .failsWithin(PROMPTLY)
                .withThrowableThat()
                .havingRootCause()
                .withMessageContaining("No such file or directory");
        assertThat(runtime.start().toCompletableFuture())
                .failsWithin(PROMPTLY)
                .withThrowableThat()
                .withMessageContaining("cannot start \"" + program + "\" for service \"web\": "
                        + "No such file or directory (check services[0].runtime.command)");
        assertThat(join(runtime.status())).isEqualTo(WorkloadStatus.stopped());
    }

    @Test
    void closeKillsTheProcessAndItsDescendants() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sh", "-c", "sleep 62 & wait")));
        join(runtime.start());
        ProcessHandle root = ProcessHandle.of(pid(runtime)).orElseThrow();
        ProcessHandle child = await().atMost(PROMPTLY)
                .until(() -> root.children().findFirst().orElse(null), found -> found != null);

        runtime.close();

        await().atMost(PROMPTLY).until(() -> !ProcFs.isRunning(root) && !ProcFs.isRunning(child));
        assertThat(reportedExits).isEmpty();
    }

    @Test
    void startAfterCloseFails() {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));

        runtime.close();

        assertThat(runtime.start().toCompletableFuture())
                .failsWithin(PROMPTLY)
                .withThrowableThat()
                .withMessageContaining("cannot start service \"web\": its process runtime is closed");
    }

    @Test
    void theDefaultLogFileIsOutputLogInTheServicesStateDirectory() throws IOException {
        Path stateDirectory = Files.createDirectory(tempDir.resolve("state"));
        RuntimeAdapter runtime = runtimeWithoutLogFile(stateDirectory, Map.of("command", List.of("echo", "hello")));

        join(runtime.start());

        await().atMost(PROMPTLY).until(() -> read(stateDirectory.resolve("output.log")).equals("hello\n"));
        // Awaited: the process record goes only once the exit of echo has been handled, which may come after its output.
        await().atMost(PROMPTLY).untilAsserted(() -> {
            try (var files = Files.list(stateDirectory)) {
                // The launch's pipe; the spare made with it waits for the next launch (a restart forks no mkfifo).
                assertThat(files).as("the named pipe is gone once the process holds it")
                        .containsExactlyInAnyOrder(stateDirectory.resolve("output.log"),
                                stateDirectory.resolve(OutputPipe.SPARE_NAME));
            }
        });
    }

    @Test
    void aFastWriterNeverTakesTheLogFilesPastTheirBounds() throws IOException {
        Path stateDirectory = Files.createDirectory(tempDir.resolve("state"));
        // 16 MB as fast as the pipe takes it, into files of at most 64 KiB of which 3 backups are kept.
        RuntimeAdapter runtime = runtimeWithoutLogFile(stateDirectory, Map.of(
                "command", List.of("head", "-c", "16000000", "/dev/zero"),
                "logMaxSize", "64KiB",
                "logBackups", 3));

        join(runtime.start());
        await().atMost(Duration.ofSeconds(60)).until(() -> !reportedExits.isEmpty());
        join(runtime.stop()); // completes once the pump has written everything

        assertThat(reportedExits).containsExactly(WorkloadStatus.exited(reportedExits.get(0).pid().orElseThrow(), 0));
        long total = 0;
        for (String name : List.of("output.log", "output.log.1", "output.log.2", "output.log.3")) {
            long size = Files.size(stateDirectory.resolve(name));
            assertThat(size).as("size of %s", name).isPositive().isLessThanOrEqualTo(64 * 1024);
            total += size;
        }
        assertThat(total).isLessThanOrEqualTo(4 * 64 * 1024);
        assertThat(stateDirectory.resolve("output.log.4")).doesNotExist();
    }

    @Test
    void aProcessWritingToAFullDiskIsNeverBlockedByIt() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(Path.of("/dev/full")), "/dev/full (Linux)");
        // The OS appending to the file made the writer fail with ENOSPC; the pump drops and keeps draining.
        RuntimeAdapter runtime = runtime(Map.of(
                "command", List.of("head", "-c", "4000000", "/dev/zero"),
                "logFile", "/dev/full"));

        join(runtime.start());

        await().atMost(Duration.ofSeconds(60)).until(() -> !reportedExits.isEmpty());
        assertThat(reportedExits.get(0).description()).endsWith("exited with code 0");
    }

    @Test
    void reopenLogsStartsANewFileAfterAnExternalRename() throws IOException {
        RuntimeAdapter runtime = runtime(Map.of(
                "command", "while true; do echo tick; sleep 0.05; done",
                "shell", true));
        join(runtime.start());
        await().atMost(PROMPTLY).until(() -> log().contains("tick"));
        Path renamed = tempDir.resolve("web.log.rotated");
        Files.move(logFile(), renamed); // what logrotate does before it signals aegis

        runtime.reopenLogs();

        await().atMost(PROMPTLY).until(() -> log().contains("tick"));
        assertThat(read(renamed)).startsWith("tick\n");
    }

    @Test
    void closeEndsTheOutputPumpEvenWhenAnEscapedDescendantKeepsThePipeOpen() {
        // The subshell exits at once, so the sleep is re-parented and no longer a descendant, and it leaves the
        // session and drops the service's marker: nothing finds it, and it keeps the pipe open.
        RuntimeAdapter runtime = runtime(Map.of(
                "command", "(env -u AEGIS_SERVICE_ID setsid sleep 63 & echo escaped $!); exec sleep 64",
                "shell", true));
        join(runtime.start());
        await().atMost(PROMPTLY).until(() -> log().matches("(?s)escaped \\d+\n"));
        long escaped = Long.parseLong(log().strip().substring("escaped ".length()));
        try {
            // $! is printed at the fork, before env and setsid have run: until then stop() still finds it.
            await().atMost(PROMPTLY).until(() -> ProcFs.stat(escaped).map(stat -> stat.session() == escaped)
                    .orElse(false) && ProcessHandle.of(escaped).flatMap(p -> p.info().command())
                    .filter(command -> command.endsWith("sleep")).isPresent());
            assertThat(outputPumps()).hasSize(1);
            join(runtime.stop());
            assertThat(ProcessHandle.of(escaped)).as("the escaped process still runs").isPresent();
            assertThat(outputPumps()).as("the pump waits for the escaped writer").hasSize(1);

            runtime.close();

            assertThat(outputPumps()).isEmpty();
        } finally {
            ProcessHandle.of(escaped).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private static List<Thread> outputPumps() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("aegis-output-web") && thread.isAlive())
                .toList();
    }

    private RuntimeAdapter runtimeWithoutLogFile(Path stateDirectory, Map<String, ?> runtimeSettings) {
        Map<String, Object> settings = new HashMap<>(runtimeSettings);
        settings.put("type", "process");
        RuntimeAdapter adapter = new ProcessRuntimeFactory().create(new RuntimeSpec("web",
                Settings.of("services[0].runtime", settings), reportedExits::add, blockingExecutor, stateDirectory));
        adapters.add(adapter);
        return adapter;
    }

    private static String java() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String testClasses() {
        try {
            return Path.of(GracefulApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
