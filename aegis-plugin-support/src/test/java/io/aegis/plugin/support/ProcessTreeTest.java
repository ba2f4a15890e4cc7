package io.aegis.plugin.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Terminating and killing real process trees: a shell and what it started, orphans in its session included. */
class ProcessTreeTest {

    private static final Duration PROMPTLY = Duration.ofSeconds(10);

    private final List<Process> started = new ArrayList<>();
    private final List<Long> pids = new ArrayList<>();

    @BeforeEach
    void linuxOnly() {
        Assumptions.assumeTrue(ProcFs.available(), "Linux only: uses sh, setsid and /proc");
    }

    @AfterEach
    void killWhatIsLeft() {
        pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void terminateStopsTheRootAndItsDescendantsWithSigtermWithinTheGracePeriod() throws Exception {
        Process root = start("sh", "-c", "sleep 300 & echo $!; sleep 300 & echo $!; wait");
        List<Long> children = readPids(root, 2);
        AtomicBoolean forced = new AtomicBoolean();

        ProcessTree.of(root).terminate(Duration.ofSeconds(30), () -> forced.set(true)).get(10, TimeUnit.SECONDS);

        assertThat(root.isAlive()).as("the shell runs").isFalse();
        assertThat(children).as("its children that still run").noneMatch(ProcessTreeTest::running);
        assertThat(forced).as("SIGKILL was needed").isFalse();
    }

    @Test
    void terminateKillsWhatIgnoresSigtermOnceTheGracePeriodIsOver() throws Exception {
        Process root = start("sh", "-c", "trap '' TERM; sh -c \"trap '' TERM; sleep 300\" & wait");
        List<Long> descendants = new ArrayList<>();
        await().atMost(PROMPTLY).until(() -> {
            descendants.clear();
            root.descendants().map(ProcessHandle::pid).forEach(descendants::add);
            return descendants.size() >= 2; // the inner shell and its sleep
        });
        AtomicBoolean forced = new AtomicBoolean();

        ProcessTree.of(root).terminate(Duration.ofMillis(300), () -> forced.set(true)).get(10, TimeUnit.SECONDS);

        assertThat(forced).as("the grace period ran out").isTrue();
        assertThat(root.isAlive()).as("the shell runs").isFalse();
        assertThat(descendants).as("descendants that still run").noneMatch(ProcessTreeTest::running);
    }

    @Test
    void killFindsWhatWasOrphanedInTheRootsSession() throws Exception {
        // The middle shell exits at once, so its sleep is re-parented and descendants() no longer shows it.
        Process root = start("setsid", "sh", "-c", "sh -c 'sleep 300 & echo $!'; exec sleep 300");
        long orphan = readPids(root, 1).get(0);
        await().atMost(PROMPTLY).until(() -> root.descendants().noneMatch(p -> p.pid() == orphan));

        ProcessTree.of(root, () -> ProcFs.sessionMembers(root.pid())).kill();

        await().atMost(PROMPTLY).untilAsserted(() -> {
            assertThat(root.isAlive()).as("the root runs").isFalse();
            assertThat(running(orphan)).as("the orphan runs").isFalse();
        });
    }

    @Test
    void leftoversAreTerminatedWithoutARootAndTerminateAndWaitReturnsOnceTheyAreGone() throws Exception {
        Process leader = start("setsid", "sh", "-c", "sleep 300 & echo $!; sleep 300 & echo $!");
        List<Long> left = readPids(leader, 2);
        leader.waitFor(10, TimeUnit.SECONDS);
        assertThat(ProcFs.sessionMembers(leader.pid())).map(ProcessHandle::pid)
                .as("what the session leader left").containsExactlyInAnyOrderElementsOf(left);

        ProcessTree.leftovers(() -> ProcFs.sessionMembers(leader.pid())).terminateAndWait(Duration.ofSeconds(30), () -> { });

        assertThat(left).as("leftovers that still run").noneMatch(ProcessTreeTest::running);
        assertThat(ProcFs.sessionMembers(leader.pid())).isEmpty();
    }

    @Test
    void terminateResumesStoppedMembersSoThatTheyHandleSigtermInsteadOfWaitingForSigkill() throws Exception {
        // Hostile F8: a SIGSTOPped process keeps a SIGTERM it handles pending until it is continued, so it used to
        // cost the whole grace period and then SIGKILL. Like systemd, SIGCONT follows SIGTERM (here to the stopped).
        Process root = start("sh", "-c", "trap 'exit 0' TERM;"
                + " sh -c 'trap \"exit 0\" TERM; echo $$; while :; do sleep 0.1; done' & wait");
        long child = readPids(root, 1).get(0);
        stop(root.pid(), child);
        AtomicBoolean forced = new AtomicBoolean();

        ProcessTree.of(root).terminate(Duration.ofSeconds(30), () -> forced.set(true)).get(10, TimeUnit.SECONDS);

        assertThat(forced).as("SIGKILL was needed").isFalse();
        assertThat(root.exitValue()).as("exit code of the shell (0: its SIGTERM handler ran)").isZero();
        assertThat(running(child)).as("the stopped child runs").isFalse();
    }

    @Test
    void runningListsTheMembersButNotTheRoot() throws Exception {
        Process root = start("sh", "-c", "sleep 300 & echo $!; wait");
        long child = readPids(root, 1).get(0);

        assertThat(ProcessTree.of(root).running()).map(ProcessHandle::pid).containsExactly(child);
    }

    /** Sends SIGSTOP to {@code pids} and waits until {@code /proc} shows them stopped. */
    private static void stop(long... pids) throws Exception {
        StringBuilder command = new StringBuilder("kill -STOP");
        for (long pid : pids) {
            command.append(' ').append(pid);
        }
        assertThat(new ProcessBuilder("sh", "-c", command.toString()).start().waitFor()).as("kill -STOP").isZero();
        for (long pid : pids) {
            await().atMost(PROMPTLY).until(() -> ProcFs.stat(pid).map(ProcFs.Stat::isStopped).orElse(false));
        }
    }

    private Process start(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(process);
        return process;
    }

    /** Reads {@code count} pids the script prints, one a line. */
    private List<Long> readPids(Process process, int count) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        List<Long> read = new ArrayList<>();
        while (read.size() < count) {
            String line = reader.readLine();
            assertThat(line).as("output of the script").isNotNull();
            read.add(Long.parseLong(line.trim()));
        }
        pids.addAll(read);
        return read;
    }

    private static boolean running(long pid) {
        return ProcessHandle.of(pid).map(ProcFs::isRunning).orElse(false);
    }
}
