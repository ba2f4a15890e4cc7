package io.aegis.core;

import static io.aegis.core.testing.ChildProcesses.commandLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.OperatorAction;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.testing.ChildProcesses;
import io.aegis.core.testing.DemoServerMain;
import io.aegis.core.testing.RecordingRuntimeFactory;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.LoopbackPorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A person's control of the engine (restart, reset, pause, resume, isolate) and the fleet-wide recovery limit. */
class EngineControlTest {
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @TempDir
    Path tempDir;

    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private Engine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private Engine.Builder builder() {
        return Engine.builder().metricsEnabled(false).listener(events::add);
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private ServiceState state(String name) {
        return engine.service(name).orElseThrow().state();
    }

    private String workload(String name) {
        return engine.service(name).orElseThrow().workload().orElse("");
    }

    @Test
    void twoRestartsAskedAtOnceMakeOneRestart() throws Exception {
        int port = LoopbackPorts.free();
        engine = builder().service(ServiceDefinition.builder("web")
                .check("http", "http://127.0.0.1:" + port + "/health").interval(Duration.ofMillis(200))
                .runtime("process", Map.of("command", ChildProcesses.javaCommand(DemoServerMain.class,
                        String.valueOf(port)), "logFile", tempDir.resolve("web.log").toString()))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> state("web") == ServiceState.HEALTHY);

        CompletableFuture<Void> first = engine.restart("web", "deploying");
        CompletableFuture<Void> second = engine.restart("web", "deploying (a double click)");
        CompletableFuture.allOf(first, second).get(30, TimeUnit.SECONDS);

        await().atMost(AWAIT).until(() -> state("web") == ServiceState.HEALTHY);
        // the second joined the first: one restart, one action (before, each request restarted again, killing the
        // process the one before was starting)
        assertThat(eventsOf(OperatorAction.class)).extracting(OperatorAction::reason).containsExactly("deploying");
    }

    @Test
    void aPersonsRestartOfAHealthyServiceIsNotJudgedByTheChecksItMakesFail() throws Exception {
        // Checks every 50 ms, one failure makes it UNHEALTHY: a check during the restart's stop used to count, and the
        // service stayed HEALTHY through the restart, out of the start period's grace (which covers STARTING).
        try (LoopbackHttpServer server = LoopbackHttpServer.start()) {
            engine = builder().service(ServiceDefinition.builder("web").check("http", server.uri("/health").toString())
                    .interval(Duration.ofMillis(50)).failureThreshold(1).startPeriod(Duration.ZERO)
                    .runtime("test-recording", Map.of("holdStop", true)).build()).build().start();
            await().atMost(AWAIT).until(() -> state("web") == ServiceState.HEALTHY);
            RecordingRuntimeFactory.Calls web = RecordingRuntimeFactory.calls("web");
            int eventsBefore = events.size();

            CompletableFuture<Void> restart = engine.restart("web", "deploying");
            await().atMost(AWAIT).until(() -> web.stops.get() == 1);
            server.respondWith(503, "stopping"); // what the endpoint says while the old workload goes
            // Ten intervals with the workload stopping: nothing judged.
            await().during(Duration.ofMillis(500)).atMost(AWAIT).until(() -> state("web") == ServiceState.STARTING);
            server.respondWith(200, "ok");
            web.stopHeld.complete(null);
            restart.get(30, TimeUnit.SECONDS);

            await().atMost(AWAIT).until(() -> state("web") == ServiceState.HEALTHY && web.starts.get() == 2);
            List<ServiceEvent> since = List.copyOf(events.subList(eventsBefore, events.size()));
            List<StateChanged> changes = since.stream().filter(StateChanged.class::isInstance)
                    .map(StateChanged.class::cast).toList();
            assertThat(changes).extracting(StateChanged::from, StateChanged::to).containsExactly(
                    tuple(ServiceState.HEALTHY, ServiceState.STARTING),
                    tuple(ServiceState.STARTING, ServiceState.HEALTHY));
            assertThat(changes.get(0).cause()).isEqualTo("restarted by a person: deploying");
            assertThat(since).noneMatch(RecoveryStarted.class::isInstance);
        }
    }

    @Test
    void aServiceStartingShowsItsWorkloadBeforeItsFirstPassingCheck() throws Exception {
        // An operator looking at a service that never passes wants its pid most: it showed '-' all along.
        try (LoopbackHttpServer server = LoopbackHttpServer.start()) {
            server.respondWith(503, "booting");
            engine = builder().service(ServiceDefinition.builder("web").check("http", server.uri("/health").toString())
                    .interval(Duration.ofMillis(50)).startPeriod(Duration.ofMinutes(5))
                    .runtime("test-recording", Map.of()).build()).build().start();

            await().atMost(AWAIT).untilAsserted(() -> assertThat(workload("web")).contains("pretending, start 1"));
            assertThat(state("web")).isEqualTo(ServiceState.STARTING);
        }
    }

    @Test
    void aServiceStartingAfterARestartShowsTheNewWorkloadNotTheOneItReplaced() throws Exception {
        // The workload a status shows was remembered at the last passing check: through a restart's start period
        // `aegis status` named the old one (a pid long gone) until the new one first passed.
        try (LoopbackHttpServer server = LoopbackHttpServer.start()) {
            engine = builder().service(ServiceDefinition.builder("web").check("http", server.uri("/health").toString())
                    .interval(Duration.ofMillis(50)).startPeriod(Duration.ofMinutes(5))
                    .runtime("test-recording", Map.of()).build()).build().start();
            await().atMost(AWAIT).until(() -> state("web") == ServiceState.HEALTHY);
            assertThat(workload("web")).contains("pretending, start 1");
            server.respondWith(503, "booting"); // the new workload is not ready for minutes

            engine.restart("web", "deploying").get(30, TimeUnit.SECONDS);

            await().atMost(AWAIT).untilAsserted(() -> assertThat(workload("web")).contains("pretending, start 2"));
            assertThat(state("web")).isEqualTo(ServiceState.STARTING);
        }
    }

    @Test
    void resetBringsAFailedServiceBackUnderSupervision() throws Exception {
        int port = LoopbackPorts.free();
        Path fixed = tempDir.resolve("fixed");
        List<String> command = new ArrayList<>(List.of("sh", "-c", "[ -f '" + fixed + "' ] || exit 3; exec \"$0\" \"$@\""));
        command.addAll(ChildProcesses.javaCommand(DemoServerMain.class, String.valueOf(port)));
        engine = builder().service(ServiceDefinition.builder("crashy")
                .check("http", "http://127.0.0.1:" + port + "/health").interval(Duration.ofMillis(200))
                .onFailure("restart")
                .recoveryPolicy(RecoveryPolicy.custom().backoff(Duration.ofMillis(10), 1.0, Duration.ofMillis(10))
                        .budget(2, Duration.ofMinutes(10)).build())
                .runtime("process", Map.of("command", command, "logFile", tempDir.resolve("crashy.log").toString()))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> state("crashy") == ServiceState.FAILED);
        Files.createFile(fixed); // a person fixed what made it crash

        engine.reset("crashy", "fixed the missing file").get(30, TimeUnit.SECONDS);

        await().atMost(AWAIT).until(() -> state("crashy") == ServiceState.HEALTHY);
        assertThat(eventsOf(OperatorAction.class)).extracting(OperatorAction::kind, OperatorAction::reason)
                .containsExactly(tuple(OperatorAction.Kind.RESET, "fixed the missing file"));
        // Under supervision again: a crash is restarted (the budget was cleared).
        int restartsBefore = eventsOf(RecoveryStarted.class).size();
        ProcessHandle.of(ChildProcesses.demoServerPid(port)).orElseThrow().destroyForcibly();
        await().atMost(AWAIT).until(() -> eventsOf(RecoveryStarted.class).size() > restartsBefore
                && state("crashy") == ServiceState.HEALTHY);
    }

    @Test
    void pauseStopsRecoveryWhileChecksGoOnAndResumeRestoresIt() throws Exception {
        int port = LoopbackPorts.free();
        engine = builder().service(ServiceDefinition.builder("demo")
                .check("http", "http://127.0.0.1:" + port + "/health").interval(Duration.ofMillis(100))
                .timeout(Duration.ofSeconds(1)).onFailure("restart")
                .runtime("process", ChildProcesses.demoServerRuntime(port, tempDir.resolve("demo.log")))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> state("demo") == ServiceState.HEALTHY);

        engine.pause("demo", "upgrading the database").get(5, TimeUnit.SECONDS);
        ProcessHandle.of(ChildProcesses.demoServerPid(port)).orElseThrow().destroyForcibly();
        await().atMost(AWAIT).until(() -> state("demo") == ServiceState.UNHEALTHY);
        long checksWhenDown = checksOf("demo");
        await().atMost(AWAIT).until(() -> checksOf("demo") >= checksWhenDown + 5); // checks go on meanwhile

        assertThat(eventsOf(RecoveryStarted.class)).as("no recovery while paused").isEmpty();
        assertThat(state("demo")).isEqualTo(ServiceState.UNHEALTHY);

        engine.resume("demo", "upgrade done").get(5, TimeUnit.SECONDS);

        await().atMost(AWAIT).until(() -> state("demo") == ServiceState.HEALTHY);
        assertThat(eventsOf(RecoveryStarted.class)).hasSize(1);
        assertThat(eventsOf(OperatorAction.class)).extracting(OperatorAction::kind)
                .containsExactly(OperatorAction.Kind.PAUSE, OperatorAction.Kind.RESUME);
    }

    @Test
    void restartNowRestartsTheWorkloadOutsideTheLadder() throws Exception {
        int port = LoopbackPorts.free();
        engine = builder().service(ServiceDefinition.builder("demo")
                .check("http", "http://127.0.0.1:" + port + "/health").interval(Duration.ofMillis(100))
                .onFailure("notify")
                .runtime("process", ChildProcesses.demoServerRuntime(port, tempDir.resolve("demo.log")))
                .build()).build().start();
        await().atMost(AWAIT).until(() -> state("demo") == ServiceState.HEALTHY);
        long before = ChildProcesses.demoServerPid(port);

        engine.restart("demo", "picking up a new certificate").get(30, TimeUnit.SECONDS);

        await().atMost(AWAIT).until(() -> ChildProcesses.demoServerPid(port) != before
                && state("demo") == ServiceState.HEALTHY);
        assertThat(ProcessHandle.of(before).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));
        assertThat(eventsOf(OperatorAction.class)).extracting(OperatorAction::kind, OperatorAction::reason)
                .containsExactly(tuple(OperatorAction.Kind.RESTART, "picking up a new certificate"));
    }

    @Test
    void controlCallsAreRefusedWithAClearMessageAndDoNothing() {
        ServiceDefinition api = ServiceDefinition.builder("api").check("test-pass", "nowhere")
                .interval(Duration.ofSeconds(1)).build();
        ServiceDefinition db = ServiceDefinition.builder("db").check("test-pass", "nowhere")
                .interval(Duration.ofSeconds(1)).runtime("test-basic", Map.of()).build();
        engine = builder().service(api).service(db).build();

        assertThatThrownBy(() -> engine.pause("api")).isInstanceOf(IllegalStateException.class)
                .hasMessage("the engine is not started yet");
        engine.start();
        assertThatThrownBy(() -> engine.reset("apx")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no service named \"apx\"; the services are: api, db");
        assertThatThrownBy(() -> engine.restart("api", "why not")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("service \"api\" has no runtime to restart");
        assertThatThrownBy(() -> engine.isolate("db", "debugging")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("service \"db\": its runtime test-basic cannot isolate a workload");
        engine.close();
        assertThatThrownBy(() -> engine.resume("api")).isInstanceOf(IllegalStateException.class)
                .hasMessage("the engine is closed");
        assertThat(eventsOf(OperatorAction.class)).as("nothing half-done").isEmpty();
    }

    /**
     * A restart storm: a hundred real processes killed at once, at most five recoveries in flight (counted from
     * the events), every service healthy again, and no process left after close.
     */
    @Test
    void aRestartStormOfAHundredServicesNeverRunsMoreThanTheFleetLimitAtOnce() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        Engine.Builder builder = Engine.builder().metricsEnabled(false).maxConcurrentRecoveries(5)
                // One listener for both: events reach one subscriber in the order they were published.
                .listener(event -> {
                    if (event instanceof RecoveryStarted) {
                        mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    } else if (event instanceof RecoveryFinished) {
                        inFlight.decrementAndGet();
                    }
                });
        for (int i = 0; i < 100; i++) {
            builder.service(ServiceDefinition.builder("svc-" + i).check("test-pass", "nowhere")
                    .interval(Duration.ofMillis(200)).startPeriod(Duration.ofSeconds(5)).onFailure("restart")
                    .runtime("process", Map.of("command", List.of("sleep", "603"),
                            "logFile", tempDir.resolve("svc-" + i + ".log").toString()))
                    .build());
        }
        engine = builder.build().start();
        await().atMost(AWAIT).until(() -> engine.services().stream().allMatch(s -> s.state() == ServiceState.HEALTHY));
        List<ProcessHandle> sleepers = ProcessHandle.current().descendants()
                .filter(p -> p.isAlive() && commandLine(p.pid()).endsWith("sleep\u0000603\u0000")).toList();
        assertThat(sleepers).hasSize(100);

        sleepers.forEach(ProcessHandle::destroyForcibly);

        await().atMost(AWAIT).until(() -> engine.services().stream().allMatch(s -> s.state() == ServiceState.HEALTHY
                && s.recoveries() >= 1));
        assertThat(mostInFlight.get()).as("recoveries in flight at most").isBetween(1, 5);
        engine.close();
        await().atMost(AWAIT).untilAsserted(() -> assertThat(ProcessHandle.current().descendants()
                .filter(p -> p.isAlive() && commandLine(p.pid()).endsWith("sleep\u0000603\u0000"))).isEmpty());
    }

    private long checksOf(String name) {
        return eventsOf(CheckCompleted.class).stream().filter(e -> e.serviceName().equals(name)).count();
    }
}
