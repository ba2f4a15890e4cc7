package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/**
 * The real {@code aegis} executable supervising the demo service in containers of the real Docker engine at
 * {@code $DOCKER_HOST} (the {@code docker} runtime): a container killed from outside is seen at once and restarted,
 * a broken new image is restarted and then rolled back to the image that was last healthy, one that fails on
 * every release is isolated and kept running, and a wrong socket or a missing image is one sentence while the
 * other services are still supervised. What happened is read from aegis' log and metrics and from
 * {@code docker inspect}. Containers share the host's network (HTTP to 127.0.0.1 only) unless a test puts one on
 * an internal network of its own, which it then checks from inside with {@code docker exec}.
 *
 * <p>Skipped when no Docker engine answers (failed under {@code CI}). The images are built once per run
 * ({@link DemoImages}) and everything the run created is removed afterwards.
 */
@Timeout(120)
class DockerRuntimeIT {
    private static final String GOOD_RELEASE = "1.0";
    private static final String BROKEN_RELEASE = "2.0";
    /** How long a ladder may take: a start, restarts and a rollback or isolation, each verified. */
    private static final Duration LADDER = Duration.ofSeconds(60);

    private static DockerEngine engine;
    /** {@value #GOOD_RELEASE}: healthy. */
    private static String goodImage;
    private static String goodReference;
    /** {@value #BROKEN_RELEASE}: /health answers 503 from the start. */
    private static String brokenImage;
    private static String brokenReference;
    /** The demo images' root file system, for an image of a test's own (a shell as its entrypoint). */
    private static Path rootfs;

    @TempDir
    Path dir;

    private int metricsPort;
    private int demoPort;

    /** Why this machine cannot run these tests (no engine, no busybox...), or null. */
    private static String skipped;

    @BeforeAll
    static void buildImages() {
        try {
            engine = DockerEngine.connectOrSkip();
            Path cache = AegisProcess.executable().toAbsolutePath().getParent().resolve("docker-e2e");
            rootfs = DemoImages.rootfsTar(cache, AegisProcess.demoJar());
        } catch (TestAbortedException e) {
            // reported by each test: a class skipped in @BeforeAll shows in Maven's report as no test at all
            skipped = e.getMessage().replaceFirst("^Assumption failed: ", "");
            return;
        }
        String repository = engine.name("demo");
        goodReference = repository + ":" + GOOD_RELEASE;
        brokenReference = repository + ":" + BROKEN_RELEASE;
        goodImage = DemoImages.importImage(engine, rootfs, goodReference, DemoImages.entrypoint(GOOD_RELEASE, true));
        brokenImage = DemoImages.importImage(engine, rootfs, brokenReference,
                DemoImages.entrypoint(BROKEN_RELEASE, false));
    }

    @AfterAll
    static void removeEverythingOfThisRun() {
        if (engine != null) {
            engine.close();
        }
    }

    @BeforeEach
    void ports() {
        Assumptions.assumeTrue(skipped == null, skipped);
        metricsPort = Loopback.freePort();
        demoPort = Loopback.freePort();
    }

    @AfterEach
    void removeContainers() {
        if (engine != null) {
            engine.removeContainers();
        }
    }

    @Test
    void aContainerKilledFromOutsideIsSeenAtOnceFromTheEventsAndRestarted() {
        String container = engine.name("killed");
        // The check always passes: only the engine's events can tell aegis that the container died.
        writeConfig("""
                  - name: web
                    type: script
                    endpoint: /bin/true
                    interval: 500ms
                    startPeriod: 0s
                    actions:
                      onFailure: restart
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                    runtime:
                %s
                """.formatted(dockerRuntime(goodReference, container, "host", demoPort)));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().until(() -> Loopback.status(demoPort, "/health") == 200);
            String id = engine.inspect(container, "{{.Id}}");
            long pid = Long.parseLong(engine.inspect(container, "{{.State.Pid}}"));
            assertThat(engine.inspect(container, "{{.Image}}")).isEqualTo(goodImage);

            long killedAt = System.nanoTime();
            assertThat(ProcessHandle.of(pid)).as("the container's process %d on this host", pid)
                    .hasValueSatisfying(process -> assertThat(process.destroyForcibly()).isTrue());

            aegis.patiently().untilAsserted(() -> metricsOf(aegis)
                    .contains("aegis_workload_exits_total{service=\"web\"} 1.0"));
            long seenAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            aegis.patiently().until(() -> Loopback.status(demoPort, "/health") == 200
                    && !engine.inspect(container, "{{.State.Pid}}").equals(Long.toString(pid)));
            System.out.printf("docker: kill -9 of the container's process: exit seen by aegis within %d ms, serving"
                    + " again after %d ms%n", seenAfter, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

            assertThat(aegis.stderr()).containsPattern("web: workload exited unexpectedly \\(.*137");
            aegis.patiently().untilAsserted(() -> metricsOf(aegis)
                    .contains("aegis_service_restarts_total{service=\"web\"} 1.0",
                            "aegis_recoveries_total{action=\"restart\",outcome=\"succeeded\",service=\"web\"} 1.0"));
            // restarted through the engine: the same container, running again, from the same image
            assertThat(engine.inspect(container, "{{.Id}} {{.State.Running}} {{.Image}}"))
                    .isEqualTo(id + " true " + goodImage);

            // aegis made this container, so it stops it when it stops
            aegis.terminate();
            AegisProcess.Result result = aegis.awaitExit(30);
            assertThat(result.exitCode()).as("exit code after SIGTERM: %s", result).isZero();
            assertThat(engine.inspect(container, "{{.State.Running}}")).isEqualTo("false");
        }
    }

    @Test
    void aContainerAegisDidNotCreateIsRestartedWhenKilledAndKeepsRunningWhenAegisStops() {
        String container = engine.name("existing");
        engine.docker("run", "-d", "--name", container, "--label", engine.label(), "--network", "host", goodImage,
                "--port=" + demoPort);
        writeConfig("""
                  - name: web
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 250ms
                    timeout: 200ms
                    startPeriod: 6s
                    actions:
                      onFailure: restart
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                    runtime:
                      type: docker
                      container: %s
                      stopTimeout: 2s
                """.formatted(demoPort, container));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().untilAsserted(() -> metricsOf(aegis)
                    .contains("aegis_service_state{service=\"web\",state=\"healthy\"} 1.0"));
            String id = engine.inspect(container, "{{.Id}}");
            long pid = Long.parseLong(engine.inspect(container, "{{.State.Pid}}"));

            assertThat(ProcessHandle.of(pid)).as("the container's process %d on this host", pid)
                    .hasValueSatisfying(process -> assertThat(process.destroyForcibly()).isTrue());
            aegis.patiently().untilAsserted(() -> metricsOf(aegis)
                    .contains("aegis_workload_exits_total{service=\"web\"} 1.0",
                            "aegis_service_restarts_total{service=\"web\"} 1.0"));
            aegis.patiently().until(() -> Loopback.status(demoPort, "/health") == 200);
            assertThat(engine.inspect(container, "{{.Id}} {{.State.Running}}")).isEqualTo(id + " true");
            assertThat(engine.inspect(container, "{{.State.Pid}}")).isNotEqualTo(Long.toString(pid));

            // not aegis' container: it is left running when aegis stops
            aegis.terminate();
            AegisProcess.Result result = aegis.awaitExit(30);
            assertThat(result.exitCode()).as("exit code after SIGTERM: %s", result).isZero();
            assertThat(engine.inspect(container, "{{.Id}} {{.State.Running}}")).isEqualTo(id + " true");
            assertThat(Loopback.status(demoPort, "/health")).isEqualTo(200);
        }
    }

    @Test
    void aBrokenNewImageIsRestartedThenRolledBackToTheImageThatWasLastHealthy() {
        String container = engine.name("rollback");
        String live = engine.name("demo") + ":live";
        engine.docker("tag", goodImage, live);
        writeConfig("""
                  - name: web
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 250ms
                    timeout: 200ms
                    startPeriod: 6s
                    actions:
                      onFailure: [restart, rollback]
                      restart: {attempts: 2}
                      verifyWithin: 6s
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                    runtime:
                %s
                """.formatted(demoPort, dockerRuntime(live, container, "host", demoPort)));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            // healthy for a few cycles: aegis has recorded the image running now as the last healthy one
            aegis.patiently().until(() -> healthyChecks("web") >= 3);
            assertThat(engine.inspect(container, "{{.Image}}")).isEqualTo(goodImage);

            // a deploy tool moves the tag to the new release and removes the container
            engine.docker("tag", brokenImage, live);
            engine.docker("rm", "-f", container);

            aegis.patiently().atMost(LADDER).untilAsserted(() -> metricsOf(aegis).containsPattern(
                    "aegis_recoveries_total\\{action=\"rollback\",outcome=\"\\w+\",service=\"web\"} 1.0"));
            metricsOf(aegis).contains(
                    "aegis_recoveries_total{action=\"rollback\",outcome=\"succeeded\",service=\"web\"} 1.0",
                    // the restarts ran (the first one while the deploy tool's removal was still under way): the
                    // broken release came up from the moved tag, twice, and was not healthy
                    "aegis_recoveries_total{action=\"restart\",outcome=\"failed\",service=\"web\"} 0.0",
                    "aegis_recoveries_total{action=\"restart\",outcome=\"not_healthy\",service=\"web\"} 2.0");

            assertThat(engine.inspect(container, "{{.Image}} {{.State.Running}}")).isEqualTo(goodImage + " true");
            assertThat(Loopback.get(demoPort, "/health")).hasValueSatisfying(health -> {
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(health.body()).contains("\"version\":\"" + GOOD_RELEASE + "\"");
            });
            // the tag still names the broken release: the rollback went by image id, not by tag
            assertThat(engine.docker("image", "inspect", "-f", "{{.Id}}", live)).isEqualTo(brokenImage);
            aegis.patiently().untilAsserted(() -> metricsOf(aegis)
                    .contains("aegis_service_state{service=\"web\",state=\"healthy\"} 1.0"));
        }
    }

    @Test
    void aServiceFailingOnEveryReleaseIsIsolatedFromItsNetworkAndKeptRunning() throws IOException {
        String container = engine.name("isolated");
        String network = engine.createInternalNetwork("isolated-net");
        int port = 8080; // inside the container's own network namespace
        // The container is on a network of its own: checked from inside, over its own loopback.
        Path check = Files.writeString(dir.resolve("check-inside.sh"), """
                #!/bin/sh
                docker exec %s wget -q -O /dev/null http://127.0.0.1:%d/health || exit 2
                """.formatted(container, port));
        Files.setPosixFilePermissions(check, PosixFilePermissions.fromString("rwxr-xr-x"));
        writeConfig("""
                  - name: web
                    type: script
                    endpoint: %s
                    interval: 500ms
                    timeout: 5s
                    startPeriod: 3s
                    actions:
                      onFailure: [restart, isolate]
                      restart: {attempts: 1}
                      verifyWithin: 3s
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                    runtime:
                %s
                """.formatted(TestConfigs.quote(check.toString()),
                dockerRuntime(brokenReference, container, network, port)));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().atMost(LADDER).untilAsserted(() -> metricsOf(aegis)
                    .contains("aegis_service_state{service=\"web\",state=\"isolated\"} 1.0"));
            String startedAt = engine.inspect(container, "{{.State.StartedAt}}");

            // isolated stays isolated: no more restarts, the same container process
            aegis.patiently().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> metricsOf(aegis)
                            .contains("aegis_service_restarts_total{service=\"web\"} 1.0",
                                    "aegis_service_state{service=\"web\",state=\"isolated\"} 1.0"));
            assertThat(engine.inspect(container, "{{.State.Running}} {{.State.StartedAt}} {{len .NetworkSettings"
                    + ".Networks}} {{.Image}}")).isEqualTo("true " + startedAt + " 0 " + brokenImage);
            // still there for a person to debug
            assertThat(engine.tryDocker("exec", container, "true").exitCode()).isZero();
            assertThat(engine.docker("exec", container, "wget", "-q", "-O", "-", "http://127.0.0.1:" + port + "/"))
                    .isEqualTo("hello from demo-service version " + BROKEN_RELEASE);
            assertThat(aegis.stderr()).contains(network);
        }
    }

    /**
     * Docker cannot take a container off the host's network; the runtime says so, the container keeps running for
     * a person to debug, and aegis stops acting on it (the ladder ends, isolated or failed: no more restarts).
     */
    @Test
    void aServiceFailingOnEveryReleaseOnTheHostNetworkIsKeptRunningAndTheRuntimeSaysItCannotLeaveThatNetwork() {
        String container = engine.name("isolated-host");
        writeConfig("""
                  - name: web
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 250ms
                    timeout: 200ms
                    startPeriod: 3s
                    actions:
                      onFailure: [restart, isolate]
                      restart: {attempts: 1}
                      verifyWithin: 3s
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                    runtime:
                %s
                """.formatted(demoPort, dockerRuntime(brokenReference, container, "host", demoPort)));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().atMost(LADDER).untilAsserted(() -> metricsOf(aegis)
                    .containsPattern("aegis_service_state\\{service=\"web\",state=\"(isolated|failed)\"} 1.0"));
            String startedAt = engine.inspect(container, "{{.State.StartedAt}}");

            aegis.patiently().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> metricsOf(aegis)
                            .contains("aegis_service_restarts_total{service=\"web\"} 1.0"));
            assertThat(engine.inspect(container, "{{.State.Running}} {{.State.StartedAt}} {{.HostConfig.NetworkMode}}"))
                    .isEqualTo("true " + startedAt + " host");
            assertThat(engine.tryDocker("exec", container, "true").exitCode()).isZero();
            assertThat(Loopback.status(demoPort, "/health")).as("the kept release still answers").isEqualTo(503);
            String log = aegis.stderr();
            assertThat(lines(log, "web: .*network mode host")).as("what aegis said about the host network in:%n%s",
                    log).isNotEmpty();
            System.out.printf("what aegis said:%n%s%n", lines(log, "web: .*network mode host").get(0));
        }
    }

    @Test
    void anUnreachableEngineAndAMissingImageAreOneSentenceEachAndTheOtherServicesAreStillSupervised() {
        String missing = engine.name("missing") + ":1";
        writeConfig("""
                  - name: no-engine
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 1s
                    actions: {onFailure: restart, backoff: {initial: 500ms}}
                    runtime:
                      type: docker
                      host: unix:///nonexistent.sock
                      image: %s
                      network: host
                  - name: no-image
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 1s
                    actions: {onFailure: restart, backoff: {initial: 500ms}}
                    runtime:
                      type: docker
                      image: %s
                      name: %s
                      pull: never
                      network: host
                  - name: demo
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 500ms
                    startPeriod: 5s
                    actions: {onFailure: restart, backoff: {initial: 100ms}}
                    runtime:
                      type: process
                      command: [%s, --port=%d]
                      stopGracePeriod: 5s
                      logFile: %s
                """.formatted(Loopback.freePort(), goodReference, Loopback.freePort(), missing,
                engine.name("no-image"), demoPort, TestConfigs.demoCommand(), demoPort,
                TestConfigs.quote(dir.resolve("demo.log").toString())));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().untilAsserted(() -> {
                assertThat(lines(aegis.stderr(), "no-engine: .*unix:///nonexistent\\.sock")).isNotEmpty();
                assertThat(lines(aegis.stderr(), "no-image: .*" + Pattern.quote(missing))).isNotEmpty();
            });
            String log = aegis.stderr();
            String noEngine = lines(log, "no-engine: .*unix:///nonexistent\\.sock").get(0);
            String noImage = lines(log, "no-image: .*" + Pattern.quote(missing)).get(0);
            System.out.printf("what aegis said:%n%s%n%s%n", noEngine, noImage);
            assertThat(noEngine).as("what to fix").containsAnyOf("DOCKER_HOST", "runtime.host");
            assertThat(noImage).as("what to fix").contains("pull");
            assertThat(log).as("no stack trace in:%n%s", log).doesNotContain("\tat ", "Exception:");
            assertThat(log).as("the Docker client's own retry chatter is muted").doesNotContain("recoverable I/O");
            assertThat(engine.exists(engine.name("no-image"))).as("no container made without its image").isFalse();

            // the process service is supervised all along: healthy, and restarted when killed
            aegis.patiently().untilAsserted(() -> metricsOf(aegis)
                    .contains("aegis_service_state{service=\"demo\",state=\"healthy\"} 1.0"));
            ProcessHandle demo = aegis.descendant("demo-service.jar").orElseThrow();
            demo.destroyForcibly();
            aegis.patiently().until(() -> aegis.descendant("demo-service.jar")
                    .filter(next -> next.pid() != demo.pid())
                    .filter(next -> Loopback.status(demoPort, "/health") == 200)
                    .isPresent());
            metricsOf(aegis).contains("aegis_service_restarts_total{service=\"demo\"} 1.0");
        }
    }

    /**
     * Issue 12 on a container: a docker service with no {@code logs.files} entry has its container's own output
     * analysed. The container prints {@code java.lang.OutOfMemoryError} once, in its first run (a marker in its own
     * file system, which a restart keeps); the pattern's {@code action: restart} restarts it through the engine, the
     * alert fires, the match is counted once, and the restarted run is followed without the old line read again.
     */
    @Test
    void aContainerPrintingOutOfMemoryErrorIsRestartedByALogPatternAndItsOwnOutputIsFollowedWithoutNamingAFile() {
        String container = engine.name("oom");
        String shell = engine.name("shell") + ":1";
        DemoImages.importImage(engine, rootfs, shell, List.of("/bin/sh", "-c"));
        // PID 1 of the container: exits on SIGTERM at once (wait is interrupted by a trapped signal)
        String script = "trap 'exit 0' TERM; echo 'worker starting'; if [ ! -e /oom-printed ]; then"
                + " touch /oom-printed; echo 'Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap"
                + " space'; fi; while :; do sleep 1 & wait $!; done";
        writeConfig("""
                  - name: web
                    type: script
                    endpoint: /bin/true
                    interval: 500ms
                    startPeriod: 0s
                    actions:
                      onFailure: restart
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                    runtime:
                      type: docker
                      image: %s
                      name: %s
                      command: [%s]
                      network: none
                      pull: never
                      stopTimeout: 2s
                logs:
                  scan_interval: 1s
                  patterns:
                    - name: OutOfMemory
                      pattern: "(?i)(out of memory|java\\\\.lang\\\\.OutOfMemoryError)"
                      severity: CRITICAL
                      description: Out of memory error detected
                      action: restart
                """.formatted(shell, container, TestConfigs.quote(script)));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().untilAsserted(() -> metricsOf(aegis).contains(
                    "aegis_log_matches_total{pattern=\"OutOfMemory\",service=\"web\",severity=\"critical\"} 1.0",
                    "aegis_service_restarts_total{service=\"web\"} 1.0",
                    "aegis_recoveries_total{action=\"restart\",outcome=\"succeeded\",service=\"web\"} 1.0"));
            String log = aegis.stderr();
            assertThat(log).as("aegis' log:%n%s", log)
                    .containsPattern("web: restart \\(attempt 1\\): log pattern OutOfMemory matched in container "
                            + Pattern.quote(container) + " stdout:2: Exception in thread \"main\""
                            + " java\\.lang\\.OutOfMemoryError: Java heap space")
                    .contains("web: ALERT OutOfMemory [critical]")
                    .doesNotContain("restarting at a person's request");
            System.out.printf("what aegis said:%n%s%n", String.join("\n", lines(log, "web: (ALERT|restart \\()")));

            // restarted by the engine, not replaced: the same container (its marker kept) runs a second time
            assertThat(engine.inspect(container, "{{.State.Running}}")).isEqualTo("true");
            assertThat(engine.docker("exec", container, "ls", "/oom-printed")).isEqualTo("/oom-printed");
            assertThat(engine.docker("logs", container)).as("the container's output, both runs")
                    .containsOnlyOnce("OutOfMemoryError")
                    .satisfies(output -> assertThat(output.split("worker starting", -1)).hasSize(3));
            // the restarted run is followed (its first line read), and the first run's lines are not read again
            aegis.patiently().untilAsserted(() -> assertThat(logLines("web")).isGreaterThanOrEqualTo(3));
            aegis.patiently().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> metricsOf(aegis).contains(
                            "aegis_log_matches_total{pattern=\"OutOfMemory\",service=\"web\",severity=\"critical\"}"
                                    + " 1.0",
                            "aegis_service_restarts_total{service=\"web\"} 1.0",
                            "aegis_log_lines_total{service=\"web\"} 3.0"));
            assertThat(engine.inspect(container, "{{.State.Running}}")).isEqualTo("true");
        }
    }

    /** The {@code runtime:} block (without its key) for the demo image {@code image} as {@code container}. */
    private static String dockerRuntime(String image, String container, String network, int port) {
        return """
                      type: docker
                      image: %s
                      name: %s
                      command: ["--port=%d"]
                      network: %s
                      pull: never
                      stopTimeout: 2s
                """.formatted(image, container, port, network).stripTrailing();
    }

    /** aegis.yaml: metrics on 127.0.0.1, state in the test's folder, and {@code services} (YAML list items). */
    private void writeConfig(String services) {
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsPort: %d
                  metricsHost: 127.0.0.1
                  stateDir: state
                services:
                %s""".formatted(metricsPort, services));
    }

    /** Assertions on /metrics that show aegis' log when they fail. */
    private AbstractStringAssert<?> metricsOf(AegisProcess aegis) {
        return assertThat(metrics()).as(() -> "/metrics of aegis, whose log is:\n" + aegis.stderr());
    }

    private String metrics() {
        return Loopback.body(metricsPort, "/metrics");
    }

    /** aegis_health_checks_total{result="healthy",service=name}, 0 while it is not exported yet. */
    private double healthyChecks(String service) {
        Matcher matcher = Pattern.compile("(?m)^aegis_health_checks_total\\{result=\"healthy\",service=\""
                + Pattern.quote(service) + "\"} (\\S+)$").matcher(metrics());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }

    /** aegis_log_lines_total{service=name}, 0 while it is not exported yet. */
    private double logLines(String service) {
        Matcher matcher = Pattern.compile("(?m)^aegis_log_lines_total\\{service=\""
                + Pattern.quote(service) + "\"} (\\S+)$").matcher(metrics());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }

    /** The lines of {@code log} in which {@code regex} is found. */
    private static List<String> lines(String log, String regex) {
        Pattern pattern = Pattern.compile(regex);
        return log.lines().filter(line -> pattern.matcher(line).find()).toList();
    }
}
