package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.LogMatch;
import io.aegis.core.event.ServiceEvent;
import io.aegis.testkit.StalledServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole engine following a real file of a {@code logs.files} entry, appended by the test: the match becomes an
 * event and an alert, and a second engine on the same state directory neither replays it nor misses what was
 * written while no engine ran.
 */
class LogAnalysisEngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    /** The service's port: it accepts, which is all its tcp check asks. */
    private final StalledServer server = StalledServer.start();
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    private Engine engine(Path log) {
        AegisConfig config = AegisConfig.parse("""
                services:
                  - name: api
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 1m
                logs:
                  scan_interval: 100ms
                  files:
                    - service: api
                      path: %s
                  patterns:
                    - name: ConnectionRefused
                      pattern: "(?i)connection refused"
                      severity: WARNING
                      description: The api cannot reach its database
                """.formatted(server.port(), log), "aegis.yaml", Map.of());
        return Engine.builder().metricsEnabled(false).stateDirectory(dir.resolve("state")).listener(events::add)
                .config(config).build();
    }

    @Test
    void aMatchInAFollowedFileIsAnEventAndAnAlertAndIsNotReplayedByTheNextEngine() throws IOException {
        Path log = dir.resolve("api.log");
        Files.writeString(log, "old: connection refused before aegis ever ran\n");

        try (Engine engine = engine(log).start()) {
            await().atMost(AWAIT).until(() -> Files.exists(dir.resolve("state/logs/api/files-0")));
            append(log, "GET /health 200\nERROR db: Connection refused (db:5432)\n");

            await().atMost(AWAIT).until(() -> !matches().isEmpty());
            assertThat(matches()).singleElement().satisfies(match -> {
                assertThat(match.line()).isEqualTo("ERROR db: Connection refused (db:5432)");
                assertThat(match.origin()).endsWith("api.log");
            });
            // delivered to listeners asynchronously, after the LogMatch it follows
            await().atMost(AWAIT).untilAsserted(() -> assertThat(events).filteredOn(AlertFired.class::isInstance)
                    .map(event -> ((AlertFired) event).alert()).filteredOn(alert -> alert.name()
                            .equals("ConnectionRefused")).singleElement()
                    .satisfies(alert -> assertThat(alert.labels()).containsEntry("pattern", "ConnectionRefused")));
            await().atMost(AWAIT).until(() -> engine.alerts().stream()
                    .anyMatch(active -> active.alert().name().equals("ConnectionRefused")));
        }
        append(log, "while no engine ran: connection refused\n");
        events.clear();

        try (Engine engine = engine(log).start()) {
            append(log, "after the restart: connection refused\n");
            await().atMost(AWAIT).until(() -> matches().size() >= 2);
            // A source delivers one file's lines in order: a replayed old line would have come before the last one.
            assertThat(matches()).extracting(LogMatch::line).containsExactly(
                    "while no engine ran: connection refused", "after the restart: connection refused");
            // The alert the first engine left firing goes on (its pattern has not been quiet for resolveAfter): not
            // resolved at start and raised again at the next match, which made a resolved and a new firing
            // notification for one incident (hostile F4 found the start resolving it as a "threshold-rule alert").
            await().atMost(AWAIT).until(() -> engine.alerts().stream()
                    .anyMatch(active -> active.alert().name().equals("ConnectionRefused")));
            assertThat(events).filteredOn(AlertResolved.class::isInstance).isEmpty();
        }
    }

    @Test
    void aPausedServicesMatchesAreEventsButRaiseNoAlertUntilItIsResumed() throws IOException {
        Path log = dir.resolve("api.log");
        Files.writeString(log, "");

        try (Engine engine = engine(log).start()) {
            await().atMost(AWAIT).until(() -> Files.exists(dir.resolve("state/logs/api/files-0")));
            engine.pause("api", "database maintenance").join();
            append(log, "during maintenance: connection refused\n");
            await().atMost(AWAIT).until(() -> matches().size() == 1);
            append(log, "still during maintenance: connection refused\n");
            await().atMost(AWAIT).until(() -> matches().size() == 2);

            // the source's thread handled the first line (and would have raised its alert) before the second
            assertThat(engine.alerts()).as("no alert while paused").isEmpty();
            assertThat(events).noneMatch(AlertFired.class::isInstance);

            engine.resume("api", "maintenance over").join();
            append(log, "after maintenance: connection refused\n");
            await().atMost(AWAIT).until(() -> engine.alerts().stream()
                    .anyMatch(active -> active.alert().name().equals("ConnectionRefused")));
        }
    }

    @Test
    void aServiceAddedToTheRunningEngineHasItsOutputFollowedUntilItIsRemoved() throws IOException {
        Path log = dir.resolve("api.log");
        Files.writeString(log, "");
        Path workerLog = dir.resolve("worker.log");

        try (Engine engine = engine(log).start()) {
            // the pattern applies to every service: the added one's own output is followed, as at the start
            engine.addService(ServiceDefinition.builder("worker").check("tcp", "127.0.0.1:" + server.port())
                    .interval(Duration.ofMinutes(1)).runtime("process", Map.of("command", "sleep 1; echo 'ERROR:"
                            + " connection refused by db'; exec sleep 1000", "shell", true, "logFile",
                            workerLog.toString())).build());
            await().atMost(AWAIT).until(() -> matches().stream().anyMatch(match -> match.serviceName()
                    .equals("worker")));

            engine.removeService("worker").join();
            append(workerLog, "written after its removal: connection refused\n");
            append(log, "api: connection refused\n");
            await().atMost(AWAIT).until(() -> matches().stream().anyMatch(match -> match.serviceName()
                    .equals("api")));
            assertThat(matches()).filteredOn(match -> match.serviceName().equals("worker"))
                    .as("its source was closed with it").hasSize(1);
        }
    }

    private List<LogMatch> matches() {
        return events.stream().filter(LogMatch.class::isInstance).map(LogMatch.class::cast).toList();
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }
}
