package io.aegis.core;

import static io.aegis.core.testing.ChildProcesses.commandLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.core.event.AlertFired;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.testing.ChildProcesses;
import io.aegis.core.testing.DemoServerMain;
import io.aegis.core.testing.DependentServerMain;
import io.aegis.testkit.LoopbackPorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dependsOn} end to end in the engine, with real processes: a {@code db} ({@code DemoServerMain}) and APIs
 * ({@link DependentServerMain}) whose health checks fail while {@code db} does not answer.
 */
class DependsOnEngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(30);
    private static final Duration API_INTERVAL = Duration.ofMillis(200);

    @TempDir
    Path tempDir;

    /** One listener: it sees every event in the order they were published. */
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private Engine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void killingTheDependencyRestartsItAloneAndItsDependentsAreHealthyWithinAnIntervalOfIt() {
        int dbPort = LoopbackPorts.free();
        int[] apiPorts = {LoopbackPorts.free(), LoopbackPorts.free()};
        Engine.Builder builder = Engine.builder().metricsEnabled(false).listener(events::add).service(db(dbPort,
                Duration.ZERO));
        for (int i = 0; i < apiPorts.length; i++) {
            builder.service(api("api-" + i, apiPorts[i], dbPort));
        }
        engine = builder.build().start();
        await().atMost(AWAIT).until(() -> engine.services().stream().allMatch(s -> s.state() == ServiceState.HEALTHY));
        long[] apiPids = {apiPid(apiPorts[0]), apiPid(apiPorts[1])};
        int eventsBefore = events.size();

        ProcessHandle.of(ChildProcesses.demoServerPid(dbPort)).orElseThrow().destroyForcibly(); // kill -9

        await().atMost(AWAIT).until(() -> recoveriesOf("db") >= 1 && events.subList(eventsBefore, events.size())
                .stream().filter(StateChanged.class::isInstance).map(StateChanged.class::cast)
                .filter(change -> change.serviceName().startsWith("api-") && change.to() == ServiceState.HEALTHY)
                .count() == apiPorts.length
                // an api's own tick may come first, once db's new process serves: wait for db's event as well
                && events.subList(eventsBefore, events.size()).stream().filter(StateChanged.class::isInstance)
                        .map(StateChanged.class::cast).anyMatch(change -> change.serviceName().equals("db")
                                && change.to() == ServiceState.HEALTHY));
        List<StateChanged> changes = events.subList(eventsBefore, events.size()).stream()
                .filter(StateChanged.class::isInstance).map(StateChanged.class::cast).toList();
        StateChanged dbHealthy = changes.stream().filter(change -> change.serviceName().equals("db")
                && change.to() == ServiceState.HEALTHY).findFirst().orElseThrow();
        for (String api : List.of("api-0", "api-1")) {
            assertThat(changes).filteredOn(change -> change.serviceName().equals(api)).extracting(StateChanged::to)
                    .as("%s went down with db, and came back", api)
                    .containsExactly(ServiceState.UNHEALTHY, ServiceState.HEALTHY);
            // (Its cause names db only when db was known down first; otherwise the log line of the hold-back does.)
            StateChanged back = changes.stream().filter(change -> change.serviceName().equals(api)
                    && change.to() == ServiceState.HEALTHY).findFirst().orElseThrow();
            // At most an interval after db (its own tick may even come first, once db's new process serves).
            assertThat(Duration.between(dbHealthy.at(), back.at())).as("%s healthy after db", api)
                    .isLessThanOrEqualTo(API_INTERVAL);
        }
        assertThat(recoveriesOf("api-0") + recoveriesOf("api-1")).as("the dependents are not restarted").isZero();
        assertThat(new long[] {apiPid(apiPorts[0]), apiPid(apiPorts[1])}).containsExactly(apiPids);
        assertThat(events).filteredOn(AlertFired.class::isInstance).as("no alert for the dependents")
                .noneMatch(event -> event.serviceName().startsWith("api-"));
    }

    @Test
    void aDependentsWorkloadStartsOnlyAfterItsDependencyPassedItsFirstCheck() {
        int dbPort = LoopbackPorts.free();
        int apiPort = LoopbackPorts.free();
        engine = Engine.builder().metricsEnabled(false).listener(events::add)
                .service(db(dbPort, Duration.ofSeconds(1))).service(api("api", apiPort, dbPort)).build().start();

        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);

        List<StateChanged> changes = events.stream().filter(StateChanged.class::isInstance)
                .map(StateChanged.class::cast).toList();
        StateChanged dbHealthy = changes.stream().filter(change -> change.serviceName().equals("db")
                && change.to() == ServiceState.HEALTHY).findFirst().orElseThrow();
        StateChanged apiStarting = changes.stream().filter(change -> change.serviceName().equals("api"))
                .findFirst().orElseThrow();
        assertThat(apiStarting.to()).isEqualTo(ServiceState.STARTING);
        assertThat(changes.indexOf(apiStarting)).as("api's workload starts after db passed its first check")
                .isGreaterThan(changes.indexOf(dbHealthy));
    }

    // ---- harness ------------------------------------------------------------------------------------

    private ServiceDefinition db(int port, Duration initialDelay) {
        return ServiceDefinition.builder("db").check("http", "http://127.0.0.1:" + port + "/health")
                .interval(Duration.ofMillis(200)).timeout(Duration.ofSeconds(1)).initialDelay(initialDelay)
                .onFailure("restart")
                .runtime("process", slowStartingDemoServer(port)).build();
    }

    /**
     * The demo server, listening only half a second after each start: db's restart after a kill -9 always leaves it
     * down for more than two of the dependents' intervals. A warm JVM serving 150 ms after its restart (as in a
     * full, hot test run) left a dependent whose tick fell outside that window healthy throughout.
     */
    private Map<String, Object> slowStartingDemoServer(int port) {
        String command = ChildProcesses.javaCommand(DemoServerMain.class, String.valueOf(port)).stream()
                .map(arg -> "'" + arg.replace("'", "'\\''") + "'").collect(java.util.stream.Collectors.joining(" "));
        return Map.of("command", "sleep 0.5; exec " + command, "shell", true, "logFile",
                tempDir.resolve("db.log").toString(), "stopGracePeriod", "2s");
    }

    private ServiceDefinition api(String name, int port, int dbPort) {
        return ServiceDefinition.builder(name).check("http", "http://127.0.0.1:" + port + "/health")
                .interval(API_INTERVAL).timeout(Duration.ofSeconds(1)).onFailure("restart", "notify")
                .dependsOn("db")
                .runtime("process", Map.of("command", ChildProcesses.javaCommand(DependentServerMain.class,
                        String.valueOf(port), String.valueOf(dbPort)), "logFile",
                        tempDir.resolve(name + ".log").toString(), "stopGracePeriod", "2s"))
                .build();
    }

    private long recoveriesOf(String service) {
        return events.stream().filter(RecoveryStarted.class::isInstance)
                .filter(event -> event.serviceName().equals(service)).count();
    }

    private static long apiPid(int port) {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> commandLine(p.pid()).contains(DependentServerMain.class.getName() + "\u0000" + port))
                .mapToLong(ProcessHandle::pid).max().orElseThrow();
    }
}
