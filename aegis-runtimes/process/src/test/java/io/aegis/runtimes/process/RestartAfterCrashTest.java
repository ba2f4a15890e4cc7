package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.ProcFs;
import io.aegis.plugin.support.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The way from a crash to the replacement's exec (issue 11: kill -9 to serving again): one look at {@code /proc}
 * for what the crashed process left, no {@code mkfifo} on the way, the exit handled off the JDK's common pool; and
 * the process tree is still owned (nothing the crashed process left survives the restart). Real child processes;
 * Linux with {@code setsid} only, like the ownership they rely on.
 */
class RestartAfterCrashTest extends ProcessRuntimeTestBase {

    /** Every pid a test saw, killed afterwards whatever happened. */
    private final List<Long> seen = new CopyOnWriteArrayList<>();
    private final List<String> reportingThreads = new CopyOnWriteArrayList<>();

    @BeforeEach
    void requireLinuxWithSetsid() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ProcFs.available()
                && Executables.resolve("setsid", Optional.empty()).isPresent(), "Linux with setsid only");
    }

    /** The runtime whose reports {@link #onExit} compares with its current process; null: none. */
    private volatile RuntimeAdapter watched;
    /** Exits reported of a process the runtime had already replaced (a restart had begun): stale news. */
    private final List<String> staleReports = new CopyOnWriteArrayList<>();

    @Override
    void onExit(WorkloadStatus status) {
        reportingThreads.add(Thread.currentThread().getName());
        RuntimeAdapter runtime = watched;
        if (runtime != null) {
            WorkloadStatus now = join(runtime.status());
            if (!now.pid().equals(status.pid())) {
                staleReports.add(status.description() + " reported while the runtime ran " + now.description());
            }
        }
    }

    @AfterEach
    void killWhatWasSeen() {
        seen.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void theRestartAfterAKillLooksAtProcOnceFromTheExitToTheNewProcess() {
        ProcessRuntime runtime = (ProcessRuntime) runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long first = seen(pid(runtime));
        long scansBefore = runtime.processes().scans();

        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        await().atMost(PROMPTLY).until(() -> !reportedExits.isEmpty());
        join(runtime.restart());

        long second = seen(pid(runtime));
        assertThat(second).isNotEqualTo(first);
        // exited() looked once; the restart neither signalled the dead group (a tree's terminate looks three times)
        // nor looked for leftovers again before the launch. Before: 4 looks, each reading every process' stat.
        assertThat(runtime.processes().scans() - scansBefore).isEqualTo(1);
    }

    @Test
    void aRestartAskedForRightAfterTheKillLooksAtProcAtMostTwice() {
        // A failed check may ask for the restart before exited() has looked (or before the process is reaped).
        ProcessRuntime runtime = (ProcessRuntime) runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long first = seen(pid(runtime));
        long scansBefore = runtime.processes().scans();

        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        join(runtime.restart());

        assertThat(seen(pid(runtime))).isNotEqualTo(first);
        // Whoever looks first, exited() or the restart's stop, each looks once and the launch does not look again.
        // Before: a tree's terminate (3 looks) and the launch's look for leftovers.
        assertThat(runtime.processes().scans() - scansBefore).isLessThanOrEqualTo(2);
    }

    @Test
    void theEndOfAProcessARestartAlreadyReplacedIsToldOnceAsAnEndBeforeTheStop() {
        // A failed check asks for the restart while the runtime still looks at what the killed process left; the
        // exit it was about to report must not arrive after the restart as the new process' death (the engine took
        // it for "restart (attempt 1) did not make the service healthy: workload exited: pid <the old one>"), and
        // must not be lost either (aegis_workload_exits_total, the log): it is told as an end before the stop.
        ProcessRuntime runtime = (ProcessRuntime) runtime(Map.of("command", List.of("sleep", "60")));
        watched = runtime;
        join(runtime.start());
        List<Long> killed = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            long pid = seen(pid(runtime));
            killed.add(pid);
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            // As a failed check would: the process is seen gone (reaped), and the restart races the exit's handling.
            await().atMost(PROMPTLY).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                    .until(() -> !join(runtime.status()).isRunning());
            join(runtime.restart());
            assertThat(seen(pid(runtime))).isNotEqualTo(pid);
        }
        // The last round's exit handling, if any, has ended: it reports nothing more once the next stop comes.
        join(runtime.stop());

        assertThat(staleReports).isEmpty();
        await().atMost(PROMPTLY).untilAsserted(() -> {
            List<Long> told = new ArrayList<>();
            reportedExits.forEach(status -> told.add(status.pid().orElseThrow()));
            exitsBeforeStop.forEach(status -> told.add(status.pid().orElseThrow()));
            assertThat(told).as("every killed process told of once, before the restart or as an end before it")
                    .containsExactlyInAnyOrderElementsOf(killed);
        });
        assertThat(exitsBeforeStop).as("the restart came first at least once in 40 rounds (else this tests nothing)")
                .isNotEmpty();
    }

    @Test
    void theRestartAfterAKillOpensThePipeMadeAheadOfItInsteadOfForkingMkfifo() throws IOException {
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sh", "-c", "echo started $$; exec sleep 60")));
        join(runtime.start());
        long first = seen(pid(runtime));
        await().atMost(PROMPTLY).until(() -> log().contains("started " + first));
        Path spare = tempDir.resolve(OutputPipe.SPARE_NAME);
        // The first launch made it with the same mkfifo as its own pipe.
        assertThat(spare).exists();
        Object inode = Files.getAttribute(spare, "unix:ino");

        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        await().atMost(PROMPTLY).until(() -> !reportedExits.isEmpty());
        join(runtime.restart());
        long second = seen(pid(runtime));

        // Used by the restart (its name is gone once the process holds it), and its output arrives through it.
        assertThat(Files.exists(spare) && inode.equals(Files.getAttribute(spare, "unix:ino"))).isFalse();
        await().atMost(PROMPTLY).until(() -> log().contains("started " + second));
        // The next spare is made a moment after the launch, ready for the next crash.
        await().atMost(PROMPTLY).until(() -> Files.exists(spare));
    }

    @Test
    void theExitIsHandledByTheThreadThatSawTheOutputEndNotThroughTheJdksCommonPool() {
        // Process.onExit() completes on a thread of the JDK's (its async executor) and was then handed to the
        // runtime's pool: two hand-offs between the crash and the restart. The output pump sees the pipe close when
        // the process dies and handles the exit on its own thread. The onExit path still runs for every process and
        // races the pump: it is held in the runtime's pool here, so that neither the load nor the JDK's launch
        // mechanism (VFORK or POSIX_SPAWN, which aegis no longer chooses for the whole JVM) decides who wins.
        HeldExecutor pool = new HeldExecutor();
        RuntimeAdapter runtime = heldRuntime(pool, Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long pid = seen(pid(runtime));
        awaitSparePipe();

        pool.hold();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        await().atMost(PROMPTLY).until(() -> !reportingThreads.isEmpty());
        assertThat(reportingThreads).containsExactly("aegis-output-web");
        // The JDK's onExit reaches the pool too, and finds the exit handled.
        pool.awaitHeld().run();
        pool.open();
        pool.runHeld();
        assertThat(reportedExits).as("exits reported").hasSize(1);
    }

    @Test
    void theExitOfAProcessThatClosedItsOutputIsStillReportedOnceOnTheRuntimesPool() {
        // No end of output to see when the process dies: the JDK's onExit, handed to the runtime's pool (exited()
        // reads /proc, which must not hold up the common pool, where onExit completes for every process).
        RuntimeAdapter runtime = runtime(Map.of("command", "exec >/dev/null 2>&1; exec sleep 60", "shell", true));
        join(runtime.start());
        long pid = seen(pid(runtime));
        awaitOutputPumpGone();

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        await().atMost(PROMPTLY).until(() -> !reportingThreads.isEmpty());
        assertThat(reportingThreads).containsExactly(BLOCKING_THREAD);
        assertThat(reportedExits).hasSize(1);
    }

    /**
     * Waits until the output pump has given up on the process (its output ended while it ran on), so that only the
     * JDK's onExit, through the runtime's pool, can handle its exit.
     */
    private static void awaitOutputPumpGone() {
        await().atMost(PROMPTLY).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(thread -> thread.isAlive() && thread.getName().equals("aegis-output-web")));
    }

    @Test
    void aRestartAskedForBeforeTheExitIsHandledLooksAtProcOnceAndLaunchesWithoutLookingAgain() {
        // A failed check may ask for the restart after the process was reaped but before exited() ran: stopNow()'s
        // branch for a dead process looks once, and the launch trusts that look. exited() is held until the end (the
        // service closes its output, so its exit comes through the JDK's onExit and the runtime's pool).
        HeldExecutor pool = new HeldExecutor();
        ProcessRuntime runtime = (ProcessRuntime) heldRuntime(pool, Map.of("command",
                "exec >/dev/null 2>&1; exec sleep 60", "shell", true));
        join(runtime.start());
        long first = seen(pid(runtime));
        awaitSparePipe();
        awaitOutputPumpGone();
        long scansBefore = runtime.processes().scans();

        pool.hold();
        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        Runnable exitHandling = pool.awaitHeld();
        pool.open();
        join(runtime.restart());

        assertThat(seen(pid(runtime))).isNotEqualTo(first);
        // Not 3 (a tree's terminate) plus 1 (the launch's look for leftovers): only stopNow() looked.
        assertThat(runtime.processes().scans() - scansBefore).isEqualTo(1);
        exitHandling.run();
        assertThat(runtime.processes().scans() - scansBefore).as("scans after exited() ran late").isEqualTo(1);
        assertThat(reportedExits).as("a crash the restart already handled is not reported").isEmpty();
    }

    @Test
    void aRestartAskedForBeforeTheExitIsHandledStopsWhatTheDeadProcessLeft() {
        // exited() is held, so only the restart's stop can stop the orphan: whether it does no longer depends on
        // which of the two gets there first.
        HeldExecutor pool = new HeldExecutor();
        ProcessRuntime runtime = (ProcessRuntime) heldRuntime(pool, Map.of("command",
                "exec >/dev/null 2>&1; (sleep 64 & echo $! > orphan.pid.tmp; mv orphan.pid.tmp orphan.pid);"
                        + " exec sleep 65",
                "shell", true, "workingDir", tempDir.toString()));
        join(runtime.start());
        long first = seen(pid(runtime));
        await().atMost(PROMPTLY).until(() -> Files.exists(tempDir.resolve("orphan.pid")));
        long orphan = seen(Long.parseLong(read(tempDir.resolve("orphan.pid")).trim()));
        awaitSparePipe();
        awaitOutputPumpGone();

        pool.hold();
        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        Runnable exitHandling = pool.awaitHeld();
        pool.open();
        join(runtime.restart());

        long replacement = seen(pid(runtime));
        assertThat(isRunning(orphan)).as("the orphan %d after the restart", orphan).isFalse();
        assertThat(isRunning(replacement)).isTrue();
        exitHandling.run();
        assertThat(isRunning(replacement)).as("the replacement after exited() ran late").isTrue();
        assertThat(reportedExits).isEmpty();
    }

    @Test
    void aStopOfTheCrashedRunStillUnderWayNeverSignalsTheProcessOfTheRestart() {
        // Hostile F5: the exit handling was still stopping what the crashed run left (polling its group until none
        // runs) when a restart asked for by a failed check launched the replacement; its next look took the
        // replacement (same marker, started later) for a leftover and SIGTERMed it, costing a second restart. The
        // crashed run's tree, looked at and terminated after the restart, is that in-flight stop without the timing.
        ProcessRuntime runtime = (ProcessRuntime) runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long first = seen(pid(runtime));
        ProcessTree crashedRun = runtime.currentTree();
        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        await().atMost(PROMPTLY).until(() -> !reportedExits.isEmpty());
        join(runtime.restart());
        long fresh = seen(pid(runtime));

        assertThat(crashedRun.running()).extracting(ProcessHandle::pid).doesNotContain(fresh);
        join(crashedRun.terminate(Duration.ofSeconds(5), () -> { }));
        assertThat(isRunning(fresh)).as("the replacement %d", fresh).isTrue();
        assertThat(reportedExits).as("exits reported").hasSize(1);
    }

    /** The pipe for the next launch is made a second after a launch; a test that holds the pool waits for it first. */
    private void awaitSparePipe() {
        await().atMost(PROMPTLY).until(() -> Files.exists(tempDir.resolve(OutputPipe.SPARE_NAME)));
    }

    private RuntimeAdapter heldRuntime(HeldExecutor pool, Map<String, ?> runtimeSettings) {
        Map<String, Object> settings = new HashMap<>(runtimeSettings);
        settings.put("type", "process");
        settings.put("logFile", logFile().toString());
        RuntimeAdapter adapter = new ProcessRuntimeFactory().create(new RuntimeSpec("web",
                Settings.of("services[0].runtime", settings), status -> {
                    onExit(status);
                    reportedExits.add(status);
                }, pool, tempDir));
        adapters.add(adapter);
        return adapter;
    }

    /**
     * The runtime's pool, which can hold what is handed to it while {@link #hold()} is on (the exit handling, in
     * these tests) and hand it to the test to run later.
     */
    private final class HeldExecutor implements Executor {
        private final BlockingQueue<Runnable> held = new LinkedBlockingQueue<>();
        private volatile boolean holding;

        void hold() {
            holding = true;
        }

        void open() {
            holding = false;
        }

        /** The first task handed over since {@link #hold()}. */
        Runnable awaitHeld() {
            try {
                Runnable task = held.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
                assertThat(task).as("the exit handling handed to the pool").isNotNull();
                return task;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        /** Runs what is still held, on the calling thread. */
        void runHeld() {
            for (Runnable task = held.poll(); task != null; task = held.poll()) {
                task.run();
            }
        }

        @Override
        public void execute(Runnable task) {
            if (holding) {
                held.add(task);
            } else {
                blockingExecutor.execute(task);
            }
        }
    }

    private long seen(long pid) {
        seen.add(pid);
        return pid;
    }
}
