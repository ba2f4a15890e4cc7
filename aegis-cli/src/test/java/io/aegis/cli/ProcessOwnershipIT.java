package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.cli.AegisProcess.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, defect 2 on the real {@code aegis} executable: aegis owns its services' processes. Each runs in a
 * session and process group of its own (a Ctrl-C to aegis' terminal misses it), and what a killed aegis left
 * running is replaced by the next aegis on the same configuration, not run twice. Linux only (/proc, setsid).
 */
@Timeout(120)
class ProcessOwnershipIT {
    private static final String DEMO = "demo-service.jar";

    @TempDir
    Path dir;

    private int demoPort;
    private final List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void writeConfig() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux only: reads /proc");
        demoPort = Loopback.freePort();
        TestConfigs.supervisedDemo(dir, demoPort, Loopback.freePort());
    }

    @AfterEach
    void killWhatTheTestSaw() {
        // A killed aegis' service is no descendant of anything the test holds: kill it by pid if a test failed.
        seen.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void aegisStartedAfterAKilledAegisReplacesTheServiceItLeftAndStopsItsOwnCopyOnSigterm() {
        long leftover;
        long killedAegis;
        try (AegisProcess first = AegisProcess.start(dir, "--config=aegis.yaml")) {
            killedAegis = first.pid();
            leftover = awaitServing(first).pid();
            seen.add(leftover);
            assertThat(stat(leftover).pgrp()).as("the service's process group").isEqualTo(leftover)
                    .isNotEqualTo(stat(first.pid()).pgrp());
            assertThat(stat(leftover).session()).as("the service's session").isEqualTo(leftover)
                    .isNotEqualTo(stat(first.pid()).session());

            first.process().destroyForcibly(); // kill -9 aegis
            first.awaitExit(30);
        }
        assertThat(running(leftover)).as("what the killed aegis left").isTrue();

        try (AegisProcess second = AegisProcess.start(dir, "--config=aegis.yaml")) {
            ProcessHandle fresh = second.patiently().until(() -> second.descendant(DEMO)
                    .filter(demo -> Loopback.status(demoPort, "/health") == 200), Optional::isPresent).orElseThrow();
            seen.add(fresh.pid());

            assertThat(running(leftover))
                    .as(() -> "the leftover pid " + leftover + " runs; aegis said:\n" + second.stderr()).isFalse();
            assertThat(demoCopies()).as("copies of the demo service on port %d", demoPort)
                    .containsExactly(fresh.pid());
            assertThat(fresh.parent().map(ProcessHandle::pid)).as("parent of the service").contains(second.pid());
            assertThat(second.stderr()).contains("demo: replacing what a previous aegis (pid " + killedAegis
                    + ") left running: pid " + leftover + " (");

            second.terminate();
            Result result = second.awaitExit(30);
            assertThat(result.exitCode()).as("exit code after SIGTERM: %s", result).isZero();
            assertThat(running(fresh.pid())).as("the service pid %d runs", fresh.pid()).isFalse();
            assertThat(demoCopies()).as("copies of the demo service after SIGTERM").isEmpty();
            assertThat(dir.resolve("state/services/demo/process.properties")).as("the process record").doesNotExist();
        }
    }

    @Test
    void aegisStartedAfterAKilledAegisStopsWhatItLeftForAServiceSinceRenamed() throws IOException {
        long leftover;
        long killedAegis;
        try (AegisProcess first = AegisProcess.start(dir, "--config=aegis.yaml")) {
            killedAegis = first.pid();
            leftover = awaitServing(first).pid();
            seen.add(leftover);
            first.process().destroyForcibly(); // kill -9 aegis
            first.awaitExit(30);
        }
        assertThat(running(leftover)).as("what the killed aegis left").isTrue();
        Path config = dir.resolve("aegis.yaml");
        Files.writeString(config, Files.readString(config).replace("name: demo\n", "name: demo-renamed\n"));

        try (AegisProcess second = AegisProcess.start(dir, "--config=aegis.yaml")) {
            second.patiently().until(() -> !running(leftover));
            assertThat(second.stderr()).contains("demo: this service is no longer in the configuration, but what a"
                    + " previous aegis (pid " + killedAegis + ") started for it still runs: [" + leftover);
            ProcessHandle fresh = awaitServing(second);
            seen.add(fresh.pid());
            assertThat(demoCopies()).as("copies of the demo service on port %d", demoPort)
                    .containsExactly(fresh.pid());
            assertThat(dir.resolve("state/services/demo/process.properties")).as("the old record").doesNotExist();
        }
    }

    /** Every running process of the demo service on this test's port, whoever its parent. */
    private List<Long> demoCopies() {
        String marker = "--port=" + demoPort;
        return ProcessHandle.allProcesses().filter(p -> running(p.pid()))
                .filter(p -> p.info().commandLine().orElse("").contains(DEMO)
                        && p.info().commandLine().orElse("").contains(marker))
                .map(ProcessHandle::pid).toList();
    }

    /**
     * Whether {@code pid} runs: a zombie does not. A killed aegis' orphans are re-parented to PID 1, which may
     * reap them late (or, in a container without an init, never); the JDK counts a zombie as alive.
     */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private ProcessHandle awaitServing(AegisProcess aegis) {
        return aegis.patiently().until(() -> aegis.descendant(DEMO)
                .filter(demo -> Loopback.status(demoPort, "/health") == 200), Optional::isPresent).orElseThrow();
    }

    private record Stat(long pgrp, long session) {
    }

    private static Stat stat(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new Stat(Long.parseLong(fields[2]), Long.parseLong(fields[3]));
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/" + pid + "/stat", e);
        }
    }

}
