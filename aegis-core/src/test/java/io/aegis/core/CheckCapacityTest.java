package io.aegis.core;

import static io.aegis.core.testing.ChildProcesses.commandLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.ActionOutcome;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthStatus;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.testing.ChildProcesses;
import io.aegis.testkit.LoopbackPorts;
import io.aegis.testkit.StalledServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, defects 1 and 10: checks that block (scripts) run within a limit of their own and never starve
 * process restarts or DNS look-ups; a check that cannot start, or a cycle still running, is a skipped tick,
 * counted in {@code aegis_health_checks_skipped_total}; retries never run into the next tick.
 */
class CheckCapacityTest {
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @TempDir
    Path tempDir;

    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private Engine engine;

    @AfterEach
    void stopAll() throws Exception {
        if (engine != null) {
            engine.close();
        }
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    @Test
    void restartsAKilledProcessPromptlyWhileHangingScriptsHoldEveryBlockingCheckThread() throws Exception {
        int port = LoopbackPorts.free();
        Engine.Builder builder = builder();
        addHangingScripts(builder, 32);
        engine = builder.service(ServiceDefinition.builder("demo")
                .check("http", "http://127.0.0.1:" + port + "/health")
                .interval(Duration.ofMillis(200)).timeout(Duration.ofSeconds(1)).onFailure("restart")
                .runtime("process", ChildProcesses.demoServerRuntime(port, tempDir.resolve("demo.log")))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> engine.service("demo").orElseThrow().state() == ServiceState.HEALTHY);
        // Every blocking-check thread is taken (the old single pool had 16 threads too) and more scripts wait.
        await().atMost(AWAIT).until(() -> runningSleeps() >= 16);
        long firstPid = ChildProcesses.demoServerPid(port);

        ProcessHandle.of(firstPid).orElseThrow().destroyForcibly();

        // Behind the scripts (30 s timeout) the restart waited 28 s; on its own threads it takes a JVM's start.
        await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().filter(RecoveryFinished.class::isInstance)
                .map(RecoveryFinished.class::cast).anyMatch(e -> e.outcome().result() == ActionOutcome.Result.SUCCEEDED));
        await().atMost(Duration.ofSeconds(15)).until(() -> engine.service("demo").orElseThrow().state()
                == ServiceState.HEALTHY);
        assertThat(skipped("no_capacity")).as("ticks of the scripts beyond the limit").isPositive();
    }

    @Test
    void aTcpCheckOfLocalhostStaysHealthyWhileTheScriptLimitIsSaturated() throws Exception {
        StalledServer listening = StalledServer.start();
        toClose.add(listening);
        Engine.Builder builder = builder();
        addHangingScripts(builder, 20);
        engine = builder.service(ServiceDefinition.builder("db").check("tcp", "localhost:" + listening.port())
                .interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(2)).onFailure("ignore").build())
                .build().start();
        await().atMost(AWAIT).until(() -> runningSleeps() >= 16);
        int before = checksOf("db").size();

        await().atMost(AWAIT).until(() -> checksOf("db").size() >= before + 20);

        assertThat(checksOf("db")).allSatisfy(e -> assertThat(e.result().status()).as(e.result().message())
                .isEqualTo(HealthStatus.HEALTHY));
        assertThat(skipped("no_capacity")).as("ticks of the scripts beyond the limit").isPositive();
    }

    @Test
    void scriptsThatFindNoFreeThreadAreSkippedAndCountedNeverTimedOutByTheirWait() throws Exception {
        // 64 scripts of 0.5 s with a 1.4 s timeout: a queue of 16 threads made the later ones time out.
        Path script = executable("short.sh", "#!/bin/sh\nsleep 0.5\n");
        Engine.Builder builder = builder();
        for (int i = 0; i < 64; i++) {
            builder.service(ServiceDefinition.builder("script-" + i).check("script", script.toString())
                    .interval(Duration.ofMillis(1500)).timeout(Duration.ofMillis(1400)).onFailure("ignore").build());
        }
        engine = builder.build().start();

        await().atMost(AWAIT).until(() -> scriptChecks().size() >= 48);

        assertThat(scriptChecks()).allSatisfy(e -> assertThat(e.result().status()).as(e.result().message())
                .isEqualTo(HealthStatus.HEALTHY));
        assertThat(skipped("no_capacity")).isPositive();
        assertThat(skipped("busy")).isZero();
    }

    @Test
    void scriptsBeyondTheLimitWaitTheirTurnWithinTheTickInsteadOfStarving() throws Exception {
        // One permit, four services ticking within the same millisecond: without a line, the first to tick
        // would win every time and the other three would never be checked.
        Path script = executable("quick.sh", "#!/bin/sh\nsleep 0.2\n");
        Engine.Builder builder = builder().maxConcurrentBlockingChecks(1);
        for (int i = 0; i < 4; i++) {
            builder.service(ServiceDefinition.builder("script-" + i).check("script", script.toString())
                    .interval(Duration.ofSeconds(3)).timeout(Duration.ofMillis(500)).onFailure("ignore").build());
        }
        engine = builder.build().start();

        await().atMost(AWAIT).until(() -> java.util.stream.IntStream.range(0, 4)
                .allMatch(i -> checksOf("script-" + i).size() >= 2));

        assertThat(scriptChecks()).allSatisfy(e -> assertThat(e.result().status()).as(e.result().message())
                .isEqualTo(HealthStatus.HEALTHY));
        assertThat(skipped("no_capacity")).isZero();
    }

    @Test
    void retriesThatCannotFinishBeforeTheNextTickAreNotStartedAndNoTickIsSkipped() throws Exception {
        // The case: timeout 400ms, retries 5, interval 1s. A hanging check takes its whole deadline
        // (400 ms + 100 ms slack), so no retry can end before the next tick; before, every other tick was lost.
        engine = builder().service(ServiceDefinition.builder("stuck").check("test-hang", "nowhere")
                .interval(Duration.ofSeconds(1)).timeout(Duration.ofMillis(400)).retries(5).onFailure("ignore")
                .build()).build().start();

        await().atMost(AWAIT).until(() -> checksOf("stuck").size() >= 4);

        assertThat(checksOf("stuck")).allSatisfy(e -> {
            assertThat(e.attempt()).isEqualTo(1);
            assertThat(e.finalAttempt()).isTrue();
            assertThat(e.result().failureReason()).contains(FailureReason.TIMEOUT);
        });
        assertThat(skipped("busy")).isZero();
    }

    @Test
    void retriesThatFitBeforeTheNextTickAreStarted() throws Exception {
        engine = builder().service(ServiceDefinition.builder("stuck").check("test-hang", "nowhere")
                .interval(Duration.ofSeconds(2)).timeout(Duration.ofMillis(200)).retries(2)
                .retryBackoff(RetryBackoff.of(Duration.ofMillis(10), 2.0, Duration.ofMillis(20))).onFailure("ignore")
                .build()).build().start();

        await().atMost(AWAIT).until(() -> checksOf("stuck").size() >= 3);

        assertThat(checksOf("stuck").subList(0, 3)).extracting(CheckCompleted::attempt).containsExactly(1, 2, 3);
        assertThat(skipped("busy")).isZero();
    }

    @Test
    void aCheckSlowerThanItsIntervalSkipsTicksAndCountsThemAsBusy() throws Exception {
        engine = builder().service(ServiceDefinition.builder("slow").check("test-hang", "nowhere")
                .interval(Duration.ofMillis(200)).timeout(Duration.ofMillis(500)).onFailure("ignore").build())
                .build().start();

        await().atMost(AWAIT).until(() -> skipped("busy") >= 3);

        assertThat(skipped("no_capacity")).isZero();
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private Engine.Builder builder() {
        return Engine.builder().metricsHost("127.0.0.1").metricsPort(0).listener(events::add);
    }

    private void addHangingScripts(Engine.Builder builder, int count) throws IOException {
        Path script = executable("hang.sh", "#!/bin/sh\nexec sleep 60\n");
        for (int i = 0; i < count; i++) {
            builder.service(ServiceDefinition.builder("script-" + i).check("script", script.toString())
                    .interval(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(30)).onFailure("ignore").build());
        }
    }

    private Path executable(String name, String text) throws IOException {
        Path script = tempDir.resolve(name);
        Files.writeString(script, text);
        assertThat(script.toFile().setExecutable(true)).isTrue();
        return script;
    }

    private List<CheckCompleted> checksOf(String service) {
        return events.stream().filter(CheckCompleted.class::isInstance).map(CheckCompleted.class::cast)
                .filter(e -> e.serviceName().equals(service)).toList();
    }

    private List<CheckCompleted> scriptChecks() {
        return events.stream().filter(CheckCompleted.class::isInstance).map(CheckCompleted.class::cast)
                .filter(e -> e.serviceName().startsWith("script-")).toList();
    }

    /** The sum of {@code aegis_health_checks_skipped_total} over services for {@code reason}, scraped. */
    private double skipped(String reason) throws IOException, InterruptedException {
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + engine.metricsPort().orElseThrow() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher matcher = Pattern.compile("(?m)^aegis_health_checks_skipped_total\\{([^}]*)} (\\S+)$").matcher(text);
        double sum = 0;
        while (matcher.find()) {
            if (matcher.group(1).contains("reason=\"" + reason + "\"")) {
                sum += Double.parseDouble(matcher.group(2));
            }
        }
        return sum;
    }

    private static long runningSleeps() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> commandLine(p.pid()).startsWith("sleep")).count();
    }




}
