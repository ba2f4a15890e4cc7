package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
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
    void theExitIsHandledOnTheRuntimesPoolNotTheJdksCommonPool() {
        // exited() reads /proc; on the JDK's async pool (where Process.onExit completes) it held up the onExit of
        // every other process.
        RuntimeAdapter runtime = runtime(Map.of("command", List.of("sleep", "60")));
        join(runtime.start());
        long pid = seen(pid(runtime));

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        await().atMost(PROMPTLY).until(() -> !reportingThreads.isEmpty());
        assertThat(reportingThreads.get(0)).isEqualTo(BLOCKING_THREAD);
    }

    @Test
    void aRestartThatRacesTheExitReportStillStopsWhatTheDeadProcessLeft() {
        // A failed check may ask for the restart before exited() has looked: stopNow() looks itself, once.
        ProcessRuntime runtime = (ProcessRuntime) runtime(Map.of("command",
                "if [ ! -e orphan.pid ]; then (sleep 64 & echo $! > orphan.pid.tmp; mv orphan.pid.tmp orphan.pid);"
                        + " kill -9 $$; fi; exec sleep 65",
                "shell", true, "workingDir", tempDir.toString()));
        join(runtime.start());
        await().atMost(PROMPTLY).until(() -> Files.exists(tempDir.resolve("orphan.pid")));
        long orphan = seen(Long.parseLong(read(tempDir.resolve("orphan.pid")).trim()));

        join(runtime.restart());

        long replacement = seen(pid(runtime));
        assertThat(isRunning(orphan)).as("the orphan %d after the restart", orphan).isFalse();
        assertThat(isRunning(replacement)).isTrue();
    }

    private long seen(long pid) {
        seen.add(pid);
        return pid;
    }

    @Override
    void onExit(WorkloadStatus status) {
        reportingThreads.add(Thread.currentThread().getName());
    }
}
