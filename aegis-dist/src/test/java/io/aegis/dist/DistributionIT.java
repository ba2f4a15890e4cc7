package io.aegis.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball, unpacked as a user would, run with no Java to be found: no {@code JAVA_HOME}, and no {@code PATH}
 * or one that leads nowhere or to a decoy. {@code bin/aegis} must run on the runtime beside it.
 */
class DistributionIT {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path unpacked;

    private static Path home;

    @BeforeAll
    static void unpack() {
        home = Tarball.unpack(unpacked);
    }

    @Test
    void versionRunsOnTheBundledRuntimeWhenThePathLeadsNowhere(@TempDir Path dir) {
        Command.Result result = Command.run(List.of(home.resolve("bin/aegis").toString(), "--version"), dir,
                Map.of("PATH", "/nonexistent"), COMMAND_TIMEOUT);

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stdout()).startsWith("aegis " + Tarball.property("aegis.version"))
                .contains("Java " + System.getProperty("java.version")); // the runtime is the build's JDK, trimmed
        assertThat(result.stderr()).as("the launcher's own noise (a tool it could not find)").isEmpty();
    }

    @Test
    void aBinCopiedAwayFromItsRuntimeSaysSoInASentence(@TempDir Path dir) throws IOException {
        Path alone = Files.createDirectories(dir.resolve("elsewhere/bin")).resolve("aegis");
        Files.copy(home.resolve("bin/aegis"), alone);
        Files.setPosixFilePermissions(alone, PosixFilePermissions.fromString("rwx------"));

        Command.Result result = Command.run(List.of(alone.toString(), "--version"), dir,
                Map.of("PATH", "/usr/bin:/bin"), COMMAND_TIMEOUT);

        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.stderr()).isEqualTo("aegis: the Java runtime this aegis ships is missing: no "
                + dir.resolve("elsewhere/runtime/bin/java") + " (unpack the whole aegis-<version> folder and keep bin/"
                + " and runtime/ side by side)\n");
    }

    @Test
    void validatesTheQuickstartWithoutRunningTheJavaOfJavaHomeOrOfThePath(@TempDir Path dir) throws IOException {
        // A decoy: if the launcher ran this `java` (JAVA_HOME's, or the PATH's) instead of its own, it would say so.
        Path used = dir.resolve("decoy-was-run");
        Path decoy = Files.createDirectories(dir.resolve("decoy-jdk/bin")).resolve("java");
        Files.writeString(decoy, "#!/bin/sh\necho \"$0 $*\" >> '" + used + "'\nexit 97\n");
        Files.setPosixFilePermissions(decoy, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path quickstart = Path.of(Tarball.property("aegis.quickstart")).toAbsolutePath().normalize();
        Path repository = quickstart.getParent().getParent().getParent(); // its paths are relative to the root

        // The quickstart's demo service is `java -jar ...`: validation looks for that program on the PATH, and
        // finds the decoy, as it would find a Java installed for the demo service.
        Command.Result result = Command.run(List.of(home.resolve("bin/aegis").toString(), "--validate",
                        "--config=" + quickstart), repository,
                Map.of("PATH", decoy.getParent().toString(), "JAVA_HOME", decoy.getParent().getParent().toString(),
                        // the quickstart has no global.stateDir: not in the home of whoever runs the build
                        "XDG_STATE_HOME", dir.resolve("xdg-state").toString()),
                COMMAND_TIMEOUT);

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stdout()).contains("config OK: 2 services");
        assertThat(used).as("the decoy java was run").doesNotExist();
    }

    @Test
    void theRuntimeMapsTheClassDataSharingArchiveItShips() {
        // -Xshare:on fails unless the runtime's own archive (lib/server/classes.jsa) is there and maps: without it
        // every start is 0.1 s slower, and the launcher cannot make the archive of aegis' classes at all.
        Command.Result result = Command.run(List.of(home.resolve("runtime/bin/java").toString(), "-Xshare:on",
                "-version"), null, Map.of(), COMMAND_TIMEOUT);

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stderr()).contains("sharing");
    }

    @Test
    void startsSupervisesChecksAndStopsOnSigtermLeavingNoProcess(@TempDir Path dir) throws Exception {
        LoopbackHttpServer target = LoopbackHttpServer.start(); // answers 200 and counts the checks
        Path config = dir.resolve("aegis.yaml");
        Files.writeString(config, """
                global:
                  stateDir: state
                  metricsEnabled: true
                  metricsPort: 0
                services:
                  - name: web
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 1s
                    timeout: 500ms
                    actions: {onFailure: restart}
                    runtime: {type: process, command: [/bin/sleep, "600"], stopGracePeriod: 5s}
                """.formatted(target.port()));
        Path log = dir.resolve("aegis.log");
        // No environment at all: no JAVA_HOME, no PATH (the process runtime's setsid and mkfifo are then found where
        // the JDK looks by default, /bin and /usr/bin), no HOME (so no class-data-sharing cache either).
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/aegis").toString(), "--config=" + config)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(log.toFile());
        builder.environment().clear();
        Process aegis = builder.start();
        List<ProcessHandle> started = List.of();
        try {
            await("web's first check, HEALTHY").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .failFast(() -> assertThat(aegis.isAlive()).as(() -> "aegis runs; its log:\n" + read(log)).isTrue())
                    .until(() -> read(log).contains("web: STARTING -> HEALTHY"));
            assertThat(target.requests()).as("checks the loopback server answered").isNotEmpty();
            assertThat(aegis.info().command()).as("the program of the aegis process")
                    .hasValue(home.resolve("runtime/bin/java").toRealPath().toString());
            started = aegis.descendants().toList();
            assertThat(started).as("what aegis started")
                    .anySatisfy(child -> assertThat(child.info().commandLine()).hasValueSatisfying(
                            line -> assertThat(line).contains("sleep 600")));

            aegis.destroy(); // SIGTERM

            assertThat(aegis.waitFor(30, TimeUnit.SECONDS)).as("aegis exited after SIGTERM; log:\n%s", read(log))
                    .isTrue();
            assertThat(aegis.exitValue()).as("exit code; log:\n%s", read(log)).isZero();
            assertThat(read(log)).contains("received SIGTERM, shutting down").contains("web: workload stopped");
            List<ProcessHandle> children = started;
            await("no process aegis started is left").atMost(Duration.ofSeconds(10))
                    .until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
        } finally {
            started.forEach(ProcessHandle::destroyForcibly);
            aegis.destroyForcibly();
            target.close();
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
