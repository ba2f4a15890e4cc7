package io.aegis.core;

import static io.aegis.core.testing.ChildProcesses.commandLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.aegis.api.ActionOutcome;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthStatus;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryBudgetExhausted;
import io.aegis.core.event.RecoveryConcluded;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.event.WorkloadExited;
import io.aegis.core.testing.ChildProcesses;
import io.aegis.core.testing.HangingCheckerFactory;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.LoopbackPorts;
import io.aegis.core.testing.Scrape;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole engine with the real plugins, real servers on loopback and real child processes. */
class EngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    @TempDir
    Path tempDir;

    /** The services' health endpoint; the tests set its status. */
    private final LoopbackHttpServer server = LoopbackHttpServer.start();
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private Engine engine;

    @BeforeEach
    void healthy() {
        // No body: the answer leaves in one segment, well within the 100 ms timeouts (LoopbackHttpServer.respondWith).
        server.respondWith(200, "");
    }

    @AfterEach
    void stopAll() {
        HangingCheckerFactory.RELEASE.countDown();
        if (engine != null) {
            engine.close();
        }
        server.close();
        HangingCheckerFactory.RELEASE = new java.util.concurrent.CountDownLatch(1);
    }

    /** {@return the bodies {@code receiver} accepted (answered 200), oldest first} */
    private static List<String> accepted(LoopbackHttpServer receiver) {
        return receiver.requests().stream().filter(request -> request.status() == 200)
                .map(LoopbackHttpServer.Request::body).toList();
    }

    private String healthUrl() {
        return server.uri("/health").toString();
    }

    private Engine.Builder builder() {
        return Engine.builder().metricsEnabled(false).listener(events::add);
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void aSecondEngineOnTheSameStateDirectoryDoesNotStartAndLeavesTheFirstRunning() {
        Path state = tempDir.resolve("state");
        ServiceDefinition api = ServiceDefinition.builder("api").check("http", healthUrl())
                .interval(Duration.ofMillis(100)).onFailure("ignore").build();
        engine = builder().stateDirectory(state).service(api).build().start();
        try (Engine second = builder().stateDirectory(state).service(api).build()) {
            assertThatThrownBy(second::start).isInstanceOf(EngineStartException.class)
                    .hasMessageContaining("another aegis (pid " + ProcessHandle.current().pid() + ") is already using"
                            + " the state directory " + state);
        }
        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);
        engine.close();
        try (Engine third = builder().stateDirectory(state).service(api).build()) {
            third.start();
        }
    }

    @Test
    void aLogFileSharedByTwoServicesOrThatIsTheConfigurationIsRefused() throws IOException {
        Path config = tempDir.resolve("aegis.yaml");
        String shared = tempDir.resolve("shared.log").toString();
        Files.writeString(config, """
                global: {metricsEnabled: false, stateDir: state}
                services:
                  - {name: one, type: tcp, endpoint: "127.0.0.1:1", runtime: {type: process, command: [sleep, "60"],
                     logFile: %s}}
                  - {name: two, type: tcp, endpoint: "127.0.0.1:1", runtime: {type: process, command: [sleep, "60"],
                     logFile: %s}}
                  - {name: three, type: tcp, endpoint: "127.0.0.1:1", runtime: {type: process, command: [sleep, "60"],
                     logFile: %s}}
                """.formatted(shared, shared, config));

        // Their rotations fought (41 warnings in 7 s, backups deleted), and a service wrote into the configuration.
        assertThatThrownBy(() -> Engine.builder().config(AegisConfig.load(config, Map.of())).build())
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly(config + ":6:15: services[1].runtime.logFile: the log file " + shared + " is"
                                + " service \"one\"'s too: their rotations would delete each other's output; give"
                                + " each service a file of its own",
                                config + ":8:15: services[2].runtime.logFile: the log file " + config + " is the"
                                + " configuration file itself: the service's output would be appended to it; give it"
                                + " a file of its own"));
    }

    @Test
    void anEngineBuiltForValidationTouchesNoStateDirectoryAndCannotStart() throws IOException {
        Path file = Files.writeString(tempDir.resolve("not-a-folder"), "");
        ServiceDefinition api = ServiceDefinition.builder("api").check("http", healthUrl()).onFailure("ignore").build();

        // A real engine refuses a state directory it cannot make; a validation names it and goes on.
        assertThatThrownBy(() -> builder().stateDirectory(file.resolve("state")).service(api).build())
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("Not a directory");
        try (Engine check = builder().stateDirectory(file.resolve("state")).service(api).forValidation().build()) {
            assertThat(check.configurationWarnings()).singleElement().asString().contains("global.stateDir: cannot"
                    + " create the state directory " + file.resolve("state") + ": " + file + " is not a directory;"
                    + " an aegis started here as this user would refuse to start");
            assertThatThrownBy(check::start).isInstanceOf(IllegalStateException.class)
                    .hasMessage("an engine built forValidation() cannot be started");
        }
        Path fresh = tempDir.resolve("fresh/state");
        try (Engine check = builder().stateDirectory(fresh).service(api).forValidation().build()) {
            assertThat(check.configurationWarnings()).isEmpty();
        }
        assertThat(tempDir.resolve("fresh")).doesNotExist();
    }

    @Test
    void reportsHealthyThenUnhealthyWhenTheEndpointStartsFailing() {
        engine = builder().service(ServiceDefinition.builder("api").check("http", healthUrl())
                .interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(1)).onFailure("ignore").build())
                .build().start();
        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);

        server.respondWith(503, "");

        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.UNHEALTHY);
        // events reach listeners asynchronously: the snapshot may change a moment before the event arrives
        StateChanged down = await().atMost(AWAIT).until(() -> eventsOf(StateChanged.class).stream()
                .filter(e -> e.to() == ServiceState.UNHEALTHY).findFirst(), java.util.Optional::isPresent).orElseThrow();
        assertThat(down.from()).isEqualTo(ServiceState.HEALTHY);
        assertThat(down.cause()).contains("503");
        assertThat(engine.service("api").orElseThrow().lastResult()).hasValueSatisfying(
                result -> assertThat(result.failureReason()).contains(FailureReason.STATUS));
    }

    @Test
    void notifyActionRunsOnceWhenTheServiceTurnsUnhealthyAndItsAlertResolves() {
        engine = builder().service(ServiceDefinition.builder("api").check("http", healthUrl())
                .interval(Duration.ofMillis(100)).onFailure("notify").build()).build().start();
        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);

        server.respondWith(500, "");
        await().atMost(AWAIT).until(() -> !eventsOf(RecoveryFinished.class).isEmpty());
        server.respondWith(200, "");
        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);

        assertThat(eventsOf(RecoveryFinished.class)).singleElement().satisfies(finished -> {
            assertThat(finished.action()).isEqualTo("notify");
            assertThat(finished.outcome().result()).isEqualTo(ActionOutcome.Result.SUCCEEDED);
        });
    }

    @Test
    void deliversTheAlertToTheWebhookRetryingUntilTheReceiverAcceptsAndThenResolvesIt() throws IOException {
        try (LoopbackHttpServer receiver = LoopbackHttpServer.start()) {
            receiver.respondWith(500, "");
            Path config = writeConfigWithApiService(
                    "    interval: 100ms",
                    "notifications:",
                    "  webhook:",
                    "    endpoint: " + receiver.uri("/hook"),
                    "alerting:",
                    "  route: {groupWait: 0s, groupInterval: 0s}");
            engine = builder().config(config).build().start();
            await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);

            server.respondWith(503, "");
            await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.UNHEALTHY);
            receiver.respondWith(200, "");
            await().atMost(AWAIT).until(() -> accepted(receiver).size() == 1);
            server.respondWith(200, "");

            await().atMost(AWAIT).until(() -> accepted(receiver).size() == 2);
            assertThat(accepted(receiver).get(0)).contains("\"status\":\"firing\"")
                    .contains("\"alertname\":\"ServiceUnhealthy\"").contains("\"service\":\"api\"");
            assertThat(accepted(receiver).get(1)).contains("\"status\":\"resolved\"");
        }
    }

    @Test
    void aFailureHealedByARetryDoesNotChangeTheState() {
        server.respondInTurn(503, 200); // every odd request fails: the first attempt of each cycle, healed by its retry
        engine = builder().service(ServiceDefinition.builder("flaky")
                .check("http", server.uri("/flaky").toString())
                .interval(Duration.ofMillis(500)).timeout(Duration.ofMillis(100)).retries(1).failureThreshold(1)
                .retryBackoff(RetryBackoff.of(Duration.ofMillis(20), 2.0, Duration.ofMillis(50)))
                .onFailure("ignore").build()).build().start();

        await().atMost(AWAIT).until(() -> eventsOf(CheckCompleted.class).stream().filter(CheckCompleted::finalAttempt)
                .count() >= 5);

        assertThat(eventsOf(CheckCompleted.class)).filteredOn(e -> !e.finalAttempt()).hasSizeGreaterThanOrEqualTo(5)
                .allSatisfy(e -> assertThat(e.result().status()).isEqualTo(HealthStatus.UNHEALTHY));
        assertThat(eventsOf(StateChanged.class)).extracting(StateChanged::to).containsExactly(ServiceState.HEALTHY);
    }

    @Test
    void retriesWithinACycleBeforeCountingItFailed() {
        engine = builder().service(ServiceDefinition.builder("api").check("http", healthUrl())
                .interval(Duration.ofSeconds(5)).timeout(Duration.ofSeconds(1)).retries(2).onFailure("ignore").build())
                .build();
        server.respondWith(503, "");
        engine.start();

        await().atMost(AWAIT).until(() -> eventsOf(CheckCompleted.class).size() >= 3);
        List<CheckCompleted> attempts = eventsOf(CheckCompleted.class).subList(0, 3);
        assertThat(attempts).extracting(CheckCompleted::attempt).containsExactly(1, 2, 3);
        assertThat(attempts).extracting(CheckCompleted::finalAttempt).containsExactly(false, false, true);
    }

    @Test
    void aCheckerThatNeverAnswersBecomesATimeoutAndTheOtherServicesKeepRunning() {
        engine = builder()
                .service(ServiceDefinition.builder("stuck").check("test-hang", "nowhere")
                        .interval(Duration.ofMillis(200)).timeout(Duration.ofMillis(100)).onFailure("ignore").build())
                .service(ServiceDefinition.builder("api").check("http", healthUrl())
                        .interval(Duration.ofMillis(100)).onFailure("ignore").build())
                .build().start();

        await().atMost(AWAIT).until(() -> engine.service("stuck").orElseThrow().state() == ServiceState.UNHEALTHY);
        assertThat(engine.service("stuck").orElseThrow().lastResult()).hasValueSatisfying(result -> {
            assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
            assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        });
        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);
    }

    @Test
    void aCheckerThatThrowsIsReportedAsPluginError() {
        engine = builder().service(ServiceDefinition.builder("bad").check("test-throw", "nowhere")
                .interval(Duration.ofMillis(100)).onFailure("ignore").build()).build().start();

        await().atMost(AWAIT).until(() -> engine.service("bad").orElseThrow().lastResult().isPresent());
        assertThat(engine.service("bad").orElseThrow().lastResult().orElseThrow().message())
                .isEqualTo("checker test-throw failed: boom");
    }

    @Test
    void checkersThatBlockTheirCallerDoNotStallTheOtherServices() {
        Engine.Builder builder = builder();
        for (int i = 0; i < 4; i++) { // more than the engine has worker threads
            builder.service(ServiceDefinition.builder("blocked-" + i).check("test-block", "nowhere")
                    .interval(Duration.ofMillis(100)).timeout(Duration.ofMillis(100)).onFailure("ignore").build());
        }
        engine = builder.service(ServiceDefinition.builder("api").check("http", healthUrl())
                .interval(Duration.ofMillis(50)).onFailure("ignore").build()).build().start();

        await().atMost(AWAIT).until(() -> eventsOf(CheckCompleted.class).stream()
                .filter(e -> e.serviceName().equals("api")).count() >= 20);
        await().atMost(AWAIT).until(() -> engine.service("blocked-0").orElseThrow().state() == ServiceState.UNHEALTHY);
        // Listeners get events asynchronously: the state may be visible before the listener has the event.
        await().atMost(AWAIT).untilAsserted(() -> assertThat(eventsOf(CheckCompleted.class))
                .filteredOn(e -> e.serviceName().equals("blocked-0")).first()
                .satisfies(e -> assertThat(e.result().failureReason()).contains(FailureReason.TIMEOUT)));
        await().atMost(AWAIT).until(() -> eventsOf(CheckCompleted.class).stream()
                .anyMatch(e -> e.serviceName().equals("blocked-0")
                        && e.result().message().contains("still blocked in its previous call")));
    }

    @Test
    void aHundredHangingScriptsDoNotStopTheHttpChecksOfOtherServices() throws IOException {
        Path script = tempDir.resolve("hang.sh");
        Files.writeString(script, "#!/bin/sh\nsleep 60\n");
        script.toFile().setExecutable(true);
        Engine.Builder builder = builder();
        for (int i = 0; i < 100; i++) {
            builder.service(ServiceDefinition.builder("script-" + i).check("script", script.toString())
                    .interval(Duration.ofMillis(500)).timeout(Duration.ofMillis(300)).onFailure("ignore").build());
        }
        engine = builder.service(ServiceDefinition.builder("api").check("http", healthUrl())
                .interval(Duration.ofMillis(100)).onFailure("ignore").build()).build().start();

        await().atMost(AWAIT).until(() -> eventsOf(CheckCompleted.class).stream()
                .filter(e -> e.serviceName().equals("api") && e.result().isPassing()).count() >= 20);
        await().atMost(AWAIT).until(() -> eventsOf(CheckCompleted.class).stream()
                .filter(e -> e.serviceName().startsWith("script-"))
                .anyMatch(e -> e.result().failureReason().filter(r -> r == FailureReason.TIMEOUT).isPresent()));
        engine.close();

        await().atMost(AWAIT).untilAsserted(() -> assertThat(ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive).filter(p -> commandLine(p.pid()).startsWith("sleep"))
                .map(ProcessHandle::pid)).isEmpty());
    }

    @Test
    void aCheckerThatThrowsAnErrorKeepsBeingCheckedAndDoesNotCountAsDown() {
        engine = builder().service(ServiceDefinition.builder("buggy").check("test-error", "nowhere")
                .interval(Duration.ofMillis(50)).onFailure("ignore").build()).build().start();

        await().atMost(AWAIT).until(() -> eventsOf(CheckCompleted.class).size() >= 5);
        assertThat(eventsOf(CheckCompleted.class)).allSatisfy(e -> {
            assertThat(e.result().status()).isEqualTo(HealthStatus.UNKNOWN);
            assertThat(e.result().message()).isEqualTo("checker test-error failed: bug in plugin");
        });
        assertThat(engine.service("buggy").orElseThrow().state()).isEqualTo(ServiceState.UNKNOWN);
    }

    @Test
    void aListenerThatThrowsAnErrorDoesNotFreezeTheService() {
        engine = builder().listener(CheckCompleted.class, event -> {
            throw new AssertionError("listener bug");
        }).service(ServiceDefinition.builder("api").check("http", healthUrl())
                .interval(Duration.ofMillis(50)).onFailure("ignore").build()).build().start();

        await().atMost(AWAIT).until(() -> eventsOf(CheckCompleted.class).size() >= 5);
    }

    @Test
    void notifyRunsAtOnceOnEveryIncidentWithoutBackoffOrBudget() {
        engine = builder().service(ServiceDefinition.builder("api").check("http", healthUrl())
                .interval(Duration.ofMillis(50)).onFailure("notify")
                .recoveryPolicy(RecoveryPolicy.custom().budget(1, Duration.ofHours(1)).build()).build())
                .build().start();

        for (int incident = 1; incident <= 3; incident++) {
            await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);
            server.respondWith(503, "");
            int expected = incident;
            await().atMost(AWAIT).until(() -> eventsOf(RecoveryFinished.class).size() == expected);
            server.respondWith(200, "");
        }

        assertThat(eventsOf(RecoveryBudgetExhausted.class)).isEmpty();
        assertThat(engine.service("api").orElseThrow().state()).isNotEqualTo(ServiceState.FAILED);
    }

    @Test
    void aListenerThatThrowsDoesNotStopOtherListeners() {
        List<ServiceEvent> seen = new CopyOnWriteArrayList<>();
        engine = Engine.builder().metricsEnabled(false)
                .listener(event -> {
                    throw new IllegalStateException("listener bug");
                })
                .listener(seen::add)
                .service(ServiceDefinition.builder("api").check("http", healthUrl())
                        .interval(Duration.ofMillis(100)).build())
                .build().start();

        await().atMost(AWAIT).until(() -> seen.stream().filter(CheckCompleted.class::isInstance).count() >= 3);
    }

    @Test
    void restartsAKilledProcessAtOnceAndStopsItOnClose() throws IOException {
        int port = LoopbackPorts.free();
        engine = builder().service(ServiceDefinition.builder("demo")
                .check("http", "http://127.0.0.1:" + port + "/health")
                .interval(Duration.ofMillis(200)).timeout(Duration.ofSeconds(1)).onFailure("restart")
                .runtime("process", ChildProcesses.demoServerRuntime(port, tempDir.resolve("demo.log")))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> engine.service("demo").orElseThrow().state() == ServiceState.HEALTHY);
        assertThat(eventsOf(RecoveryStarted.class)).as("no restart while the process was booting").isEmpty();
        long firstPid = ChildProcesses.demoServerPid(port);

        ProcessHandle.of(firstPid).orElseThrow().destroyForcibly();

        await().atMost(AWAIT).until(() -> eventsOf(RecoveryFinished.class).stream()
                .anyMatch(e -> e.outcome().result() == ActionOutcome.Result.SUCCEEDED));
        await().atMost(AWAIT).until(() -> engine.service("demo").orElseThrow().state() == ServiceState.HEALTHY);
        // The exit may be told after a failed check has already set off the restart (its watcher runs apart): then as
        // an end before the stop, on record all the same (it was lost in CI once: a restart won the race).
        await().atMost(AWAIT).untilAsserted(() -> assertThat(eventsOf(WorkloadExited.class)).singleElement()
                .satisfies(exit -> assertThat(exit.status().pid()).hasValue(firstPid)));
        long secondPid = ChildProcesses.demoServerPid(port);
        assertThat(secondPid).isNotEqualTo(firstPid);

        engine.close();

        assertThat(ProcessHandle.of(secondPid).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
        assertThat(portAcceptsConnections(port)).isFalse();
    }

    @Test
    void givesUpAfterTheRecoveryBudgetAndMarksTheServiceFailed() throws IOException {
        int port = LoopbackPorts.free();
        engine = builder().service(crashLoop(port, 2)).build().start();

        await().atMost(AWAIT).until(() -> engine.service("crashy").orElseThrow().state() == ServiceState.FAILED);
        await().atMost(AWAIT).untilAsserted(() -> assertThat(eventsOf(RecoveryBudgetExhausted.class)).singleElement()
                .satisfies(e -> assertThat(e.recoveries()).isEqualTo(2)));
    }

    @Test
    void aCrashLoopCountsEveryRestartAsNotHealthyAndNoneAsSucceeded() throws Exception {
        int port = LoopbackPorts.free();
        engine = builder().metricsEnabled(true).metricsHost("127.0.0.1").metricsPort(0).service(crashLoop(port, 3))
                .build().start();

        await().atMost(AWAIT).until(() -> engine.service("crashy").orElseThrow().state() == ServiceState.FAILED);
        // Metrics and listeners get events asynchronously: wait for the verdict of the last restart to arrive.
        await().atMost(AWAIT).until(() -> eventsOf(RecoveryConcluded.class).size() == 3);

        await().atMost(AWAIT).untilAsserted(() -> assertThat(Scrape.metricsOf(engine)).contains(
                "aegis_recoveries_total{action=\"restart\",outcome=\"not_healthy\",service=\"crashy\"} 3.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"succeeded\",service=\"crashy\"} 0.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"failed\",service=\"crashy\"} 0.0",
                "aegis_service_restarts_total{service=\"crashy\"} 3.0"));
        assertThat(eventsOf(RecoveryFinished.class)).as("the restarts themselves worked: a process was started")
                .hasSize(3).allSatisfy(e -> assertThat(e.outcome().result()).isEqualTo(ActionOutcome.Result.SUCCEEDED));
        assertThat(eventsOf(RecoveryConcluded.class)).extracting(RecoveryConcluded::attempt, RecoveryConcluded::outcome)
                .containsExactly(tuple(1, RecoveryConcluded.Outcome.NOT_HEALTHY),
                        tuple(2, RecoveryConcluded.Outcome.NOT_HEALTHY), tuple(3, RecoveryConcluded.Outcome.NOT_HEALTHY));
    }

    @Test
    void aRestartCountsAsSucceededOnlyOnceTheServicePassedItsCheck() throws Exception {
        int port = LoopbackPorts.free();
        engine = builder().metricsEnabled(true).metricsHost("127.0.0.1").metricsPort(0).service(ServiceDefinition.builder("demo")
                .check("http", "http://127.0.0.1:" + port + "/health")
                .interval(Duration.ofMillis(200)).timeout(Duration.ofSeconds(1)).onFailure("restart")
                .runtime("process", ChildProcesses.demoServerRuntime(port, tempDir.resolve("demo.log")))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> engine.service("demo").orElseThrow().state() == ServiceState.HEALTHY);

        ProcessHandle.of(ChildProcesses.demoServerPid(port)).orElseThrow().destroyForcibly();
        await().atMost(AWAIT).until(() -> !eventsOf(RecoveryConcluded.class).isEmpty());

        assertThat(eventsOf(RecoveryConcluded.class)).singleElement().satisfies(concluded -> {
            assertThat(concluded.outcome()).isEqualTo(RecoveryConcluded.Outcome.SUCCEEDED);
            assertThat(concluded.detail()).contains("after restart");
        });
        // In order: the restart ended, then a check of the new process passed and made it HEALTHY, then the verdict.
        int finished = events.indexOf(eventsOf(RecoveryFinished.class).get(0));
        int passed = indexOfFirst(finished, e -> e instanceof CheckCompleted && ((CheckCompleted) e).finalAttempt()
                && ((CheckCompleted) e).result().isPassing());
        int healthy = indexOfFirst(finished, e -> e instanceof StateChanged && ((StateChanged) e).to() == ServiceState.HEALTHY);
        int concluded = events.indexOf(eventsOf(RecoveryConcluded.class).get(0));
        assertThat(List.of(finished, passed, healthy, concluded)).as("event order: %s", events).isSorted()
                .doesNotHaveDuplicates().doesNotContain(-1);
        // The metrics get the verdict asynchronously, as this test's listener did.
        await().atMost(AWAIT).untilAsserted(() -> assertThat(Scrape.metricsOf(engine)).contains(
                "aegis_recoveries_total{action=\"restart\",outcome=\"succeeded\",service=\"demo\"} 1.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"not_healthy\",service=\"demo\"} 0.0"));
    }

    @Test
    void aServiceHealthyOnlyAfterVerifyWithinCountsItsRestartAsNotHealthy() throws Exception {
        SteppedClock clock = new SteppedClock();
        server.respondWith(503, "");
        engine = builder().clock(clock).service(ServiceDefinition.builder("slow").check("http", healthUrl())
                .interval(Duration.ofMillis(50)).failureThreshold(1000).onFailure("restart")
                .recoveryPolicy(RecoveryPolicy.custom().verifyWithin(Duration.ofSeconds(30)).build())
                .runtime("process", Map.of("command", List.of("sleep", "601"),
                        "logFile", tempDir.resolve("slow.log").toString()))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> ProcessHandle.current().descendants()
                .anyMatch(p -> p.isAlive() && commandLine(p.pid()).endsWith("sleep\u0000601\u0000")));
        ProcessHandle.current().descendants().filter(p -> commandLine(p.pid()).endsWith("sleep\u0000601\u0000"))
                .forEach(ProcessHandle::destroyForcibly);
        await().atMost(AWAIT).until(() -> !eventsOf(RecoveryFinished.class).isEmpty());

        clock.advance(Duration.ofSeconds(31)); // past verifyWithin, and no check passed meanwhile
        server.respondWith(200, "");

        await().atMost(AWAIT).until(() -> !eventsOf(RecoveryConcluded.class).isEmpty());
        assertThat(eventsOf(RecoveryConcluded.class)).singleElement().satisfies(concluded -> {
            assertThat(concluded.outcome()).isEqualTo(RecoveryConcluded.Outcome.NOT_HEALTHY);
            assertThat(concluded.detail()).startsWith("healthy only 31s").contains(" after restart, later than"
                    + " verifyWithin (30s): ");
        });
        assertThat(engine.service("slow").orElseThrow().state()).isEqualTo(ServiceState.HEALTHY);
    }

    @Test
    void reopenLogsMakesEveryRuntimeWriteToANewFileAfterAnExternalRename() throws IOException {
        Path log = tempDir.resolve("chatty.log");
        engine = builder().service(ServiceDefinition.builder("chatty").check("http", healthUrl())
                .runtime("process", Map.of("command", List.of("sh", "-c", "while true; do echo tick; sleep 0.05; done"),
                        "logFile", log.toString(), "logMaxSize", "0"))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> Files.exists(log) && Files.size(log) > 0);
        Files.move(log, tempDir.resolve("chatty.log.old")); // what logrotate does before it signals

        engine.reopenLogs();

        await().atMost(AWAIT).until(() -> Files.exists(log) && Files.readString(log).startsWith("tick\n"));
    }

    @Test
    void rejectsAnUnknownCheckerTypeAndSuggestsTheClosest() {
        assertThatThrownBy(() -> builder().service(ServiceDefinition.builder("api").check("htp", healthUrl()).build())
                .build())
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).errors()).singleElement().asString()
                        .startsWith("services[api].type: unknown checker type \"htp\" (installed: ")
                        .contains("http, ").endsWith("; did you mean \"http\"?"));
    }

    @Test
    void rejectsRestartWithoutARuntimeWithASentenceSayingWhatToAdd() throws IOException {
        Path config = writeConfigWithApiService("    actions:",
                "      onFailure: restart");

        assertThatThrownBy(() -> builder().config(config).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).errors()).containsExactly(
                        config + ":6:18: services[0].actions.onFailure: \"restart\" needs a runtime to act on, and this"
                                + " service has none; add a runtime: block to the service (for example runtime: {type:"
                                + " process, command: [java, -jar, app.jar]}), or use onFailure: notify"));
    }

    @Test
    void reportsAnUnknownServiceKeyThatNoPluginReadsWithASuggestion() throws IOException {
        Path config = writeConfigWithApiService("    methd: HEAD");

        assertThatThrownBy(() -> builder().config(config).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).errors()).singleElement().asString()
                        .startsWith(config + ":5:5: services[0].methd: unknown key \"methd\"; did you mean \"method\"?"));
    }

    @Test
    void reportsNotifierMistakesOnceInThePluginsWordsWithTheirLines() throws IOException {
        Path config = writeConfigWithApiService("notifications:",
                "  webhook:",
                "    enabled: true",
                "    endpoint: ftp://example.com/hook",
                "    header: {X: y}",
                "  pager: {type: pagerduty}");

        assertThatThrownBy(() -> builder().config(config).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).errors()).containsExactly(
                        config + ":8:15: notifications.webhook.endpoint: expected an http:// or https:// URL, found"
                                + " \"ftp://example.com/hook\"",
                        config + ":9:5: notifications.webhook.header: unknown key \"header\"; did you mean \"headers\"?",
                        config + ":10:3: notifications.pager: unknown notifier type \"pagerduty\" (installed:"
                                + " alertmanager, log, webhook)"));
    }

    @Test
    void aNotifierWhoseEnabledIsNoBooleanIsReportedWithTheOtherMistakesNotThrown() throws IOException {
        Path config = writeConfigWithApiService("notifications:",
                "  webhook: {endpoint: \"http://127.0.0.1:1/x\", enabled: maybe}",
                "  log: {type: [log]}",
                "alerting:",
                "  route: {groupWait: soon}");

        assertThatThrownBy(() -> builder().config(config).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).errors()).containsExactly(
                        config + ":6:56: notifications.webhook.enabled: expected true or false, found \"maybe\"",
                        config + ":7:9: notifications.log.type: expected a single value, found a list",
                        config + ":9:22: alerting.route.groupWait: expected a duration like 500ms, 5s, 1m or 1h,"
                                + " found \"soon\""));
    }

    @Test
    void skipsADisabledNotifierWithoutCheckingIt() throws IOException {
        Path config = writeConfigWithApiService("notifications:",
                "  webhook: {enabled: false}");

        engine = builder().config(config).build();

        assertThat(engine.services()).extracting(ServiceSnapshot::name).containsExactly("api");
    }

    @Test
    void servesMetricsAndReleasesThePortOnClose() throws Exception {
        engine = Engine.builder().metricsHost("127.0.0.1").metricsPort(0)
                .service(ServiceDefinition.builder("api").check("http", healthUrl())
                        .interval(Duration.ofMillis(100)).build())
                .build().start();
        int port = engine.metricsPort().orElseThrow();
        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);

        // The metrics see the state change asynchronously, just after the service's snapshot does.
        await().atMost(AWAIT).untilAsserted(() -> assertThat(HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).contains("aegis_service_status{service=\"api\"} 1.0")
                .contains("jvm_memory_used_bytes"));
        engine.close();
        assertThat(portAcceptsConnections(port)).isFalse();
    }

    @Test
    void leavesNoEngineThreadBehindAfterClose() {
        engine = Engine.builder().metricsHost("127.0.0.1").metricsPort(0)
                .service(ServiceDefinition.builder("api").check("http", healthUrl())
                        .interval(Duration.ofMillis(100)).build())
                .service(ServiceDefinition.builder("port").check("tcp", "127.0.0.1:" + server.port())
                        .interval(Duration.ofMillis(100)).build())
                .build().start();
        await().atMost(AWAIT).until(() -> engine.services().stream().allMatch(s -> s.state() == ServiceState.HEALTHY));

        engine.close();

        await().atMost(AWAIT).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(Thread::isAlive)
                .extracting(Thread::getName)
                // the test's own server is the kit's, its threads aegis-testkit-*: not the engine's
                .noneMatch(name -> name.startsWith("aegis-") && !name.startsWith("aegis-testkit-")));
    }

    /** The index of the first event after {@code from} that matches, or -1. */
    private int indexOfFirst(int from, java.util.function.Predicate<ServiceEvent> matching) {
        for (int i = from + 1; i < events.size(); i++) {
            if (matching.test(events.get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** The system clock plus an offset the test moves forward: the engine's time jumps, nothing sleeps. */
    private static final class SteppedClock extends java.time.Clock {
        private volatile Duration offset = Duration.ZERO;

        void advance(Duration step) {
            offset = offset.plus(step);
        }

        @Override
        public java.time.Instant instant() {
            return java.time.Instant.now().plus(offset);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException("a test clock has one zone");
        }
    }

    /** Writes aegis.yaml with one http service "api" on the test server, followed by {@code moreLines}. */
    private Path writeConfigWithApiService(String... moreLines) throws IOException {
        Path config = tempDir.resolve("aegis.yaml");
        List<String> lines = new java.util.ArrayList<>(List.of("services:", "  - name: api", "    type: http",
                "    endpoint: " + healthUrl()));
        lines.addAll(List.of(moreLines));
        Files.writeString(config, String.join("\n", lines) + "\n");
        return config;
    }


    private static boolean portAcceptsConnections(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }




    /** A service whose process exits with 3 at once on every start, restarted 10 ms later, within {@code budget}. */
    private ServiceDefinition crashLoop(int port, int budget) {
        return ServiceDefinition.builder("crashy")
                .check("http", "http://127.0.0.1:" + port + "/health")
                .interval(Duration.ofMillis(200)).onFailure("restart")
                .recoveryPolicy(RecoveryPolicy.custom().backoff(Duration.ofMillis(10), 1.0, Duration.ofMillis(10))
                        .budget(budget, Duration.ofMinutes(10)).build())
                .runtime("process", Map.of("command", List.of("sh", "-c", "exit 3"),
                        "logFile", tempDir.resolve("crashy.log").toString()))
                .build();
    }
}
