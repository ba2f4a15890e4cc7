package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.Alert;
import io.aegis.api.Severity;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.ServiceEvent;
import io.aegis.testkit.LoopbackHttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A threshold rule in a real engine, on the latencies of real checks of a real HTTP server on loopback. */
class ThresholdRulesEngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    /** The service; the test makes it slow ({@link LoopbackHttpServer#delayAnswers}): that is what is measured. */
    private final LoopbackHttpServer server = LoopbackHttpServer.start();
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private Engine engine;

    @AfterEach
    void stopAll() {
        if (engine != null) {
            engine.close();
        }
        server.close();
    }

    private <E extends ServiceEvent> List<Alert> alerts(Class<E> type, java.util.function.Function<E, Alert> alert) {
        return events.stream().filter(type::isInstance).map(type::cast).map(alert).toList();
    }

    private <E extends ServiceEvent> List<Alert> alerts(Class<E> type, java.util.function.Function<E, Alert> alert,
            String name) {
        return alerts(type, alert).stream().filter(a -> a.name().equals(name)).toList();
    }

    @Test
    void aServiceThatGetsSlowFiresTheRulesAlertWhichResolvesWhenItIsFastAgain() {
        String yaml = """
                services:
                  - name: api
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 100ms
                    timeout: 3s
                alerting:
                  evaluationInterval: 1s
                  rules:
                    - alert: SlowChecks
                      expr: p95(check_latency[2s]) > 400ms
                      severity: critical
                      labels: {team: web}
                      annotations:
                        summary: "{{service}} is slow: p95 {{value}}"
                        runbook_url: https://runbooks.example/slow
                    # Evaluated after SlowChecks in the same pass: once it fires, SlowChecks was evaluated on a window
                    # of fast checks only (for: 2s pushes the first, cold, checks out of the 2s window).
                    - alert: Evaluated
                      expr: count(checks[2s]) >= 1
                      for: 2s
                """.formatted(server.port());
        engine = Engine.builder().metricsEnabled(false).listener(events::add)
                .config(AegisConfig.parse(yaml, "aegis.yaml", Map.of())).build().start();
        await().atMost(AWAIT).until(() -> alerts(AlertFired.class, AlertFired::alert, "Evaluated"), a -> !a.isEmpty());
        assertThat(alerts(AlertFired.class, AlertFired::alert, "SlowChecks")).as("fast: nothing fires").isEmpty();

        server.delayAnswers(Duration.ofMillis(800));

        Alert fired = await().atMost(AWAIT).until(() -> alerts(AlertFired.class, AlertFired::alert, "SlowChecks"),
                a -> !a.isEmpty()).get(0);
        assertThat(fired.name()).isEqualTo("SlowChecks");
        assertThat(fired.serviceName()).isEqualTo("api");
        assertThat(fired.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(fired.labelSet()).containsEntry("team", "web");
        assertThat(fired.summary()).startsWith("api is slow: p95 ");
        assertThat(fired.runbookUrl()).contains("https://runbooks.example/slow");

        server.delayAnswers(Duration.ZERO);

        Alert resolved = await().atMost(AWAIT).until(() -> alerts(AlertResolved.class, AlertResolved::alert,
                "SlowChecks"), a -> !a.isEmpty()).get(0);
        assertThat(resolved.fingerprint()).isEqualTo(fired.fingerprint());
        assertThat(resolved.endsAt()).isPresent();
        assertThat(alerts(AlertFired.class, AlertFired::alert, "SlowChecks")).as("one incident, one alert").hasSize(1);
    }

    @Test
    void aRuleAlertKeptByTheLastRunIsResolvedAtStartWhenNoRuleRaisesItAnyMore(@TempDir Path tempDir) {
        Path state = tempDir.resolve("state");
        String yaml = """
                services:
                  - name: api
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 100ms
                alerting:
                  evaluationInterval: %s
                  rules:
                    - alert: %s
                      expr: count(checks[2s]) >= 1
                """;
        int port = server.port();
        engine = Engine.builder().metricsEnabled(false).listener(events::add).stateDirectory(state)
                .config(AegisConfig.parse(yaml.formatted(port, "1s", "ChecksSeen"), "aegis.yaml", Map.of())).build()
                .start();
        Alert fired = await().atMost(AWAIT).until(() -> alerts(AlertFired.class, AlertFired::alert), a -> !a.isEmpty())
                .get(0);
        engine.close();
        events.clear();

        // The rule renamed, and evaluated hourly: only the start can resolve what the last run left firing.
        engine = Engine.builder().metricsEnabled(false).listener(events::add).stateDirectory(state)
                .config(AegisConfig.parse(yaml.formatted(port, "1h", "ChecksObserved"), "aegis.yaml", Map.of()))
                .build().start();

        Alert resolved = await().atMost(AWAIT).until(() -> alerts(AlertResolved.class, AlertResolved::alert),
                a -> !a.isEmpty()).get(0);
        assertThat(resolved.fingerprint()).isEqualTo(fired.fingerprint());
        assertThat(resolved.name()).isEqualTo("ChecksSeen");
        assertThat(engine.alerts()).as("nothing fires any more").isEmpty();
    }
}
