package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.alerting.testing.RealAlertmanager;
import io.aegis.api.Alert;
import io.aegis.api.Severity;
import io.aegis.cli.AegisProcess.Result;
import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code aegis} executable pushing to a real Alertmanager ({@code type: alertmanager}), and Alertmanager's
 * own webhook reaching a receiver: the whole chain an on-call engineer relies on, Slack or PagerDuty standing in
 * as a loopback receiver.
 */
@Timeout(120)
class AlertmanagerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "am-token-3f9a1c77";

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void alertmanagerIsInstalled() {
        RealAlertmanager.binary();
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void aDownServiceFiresInAlertmanagerWhichNotifiesItsReceiverAndTheHealResolvesBoth() throws Exception {
        LoopbackHttpServer receiver = LoopbackHttpServer.start();
        toClose.add(receiver::close);
        RealAlertmanager alertmanager = RealAlertmanager.start(dir.resolve("am"), """
                route:
                  receiver: oncall
                  group_by: [alertname, service]
                  group_wait: 100ms
                  group_interval: 1s
                receivers:
                  - name: oncall
                    webhook_configs:
                      - url: http://127.0.0.1:%d/hook
                """.formatted(receiver.port()));
        toClose.add(alertmanager);
        int servicePort = Loopback.freePort();
        TestConfigs.write(dir, "aegis.yaml", """
                services:
                  - name: payments-db
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 200ms
                    timeout: 500ms
                    actions:
                      onFailure: notify
                notifications:
                  am:
                    type: alertmanager
                    urls: [%s]
                    headers:
                      Authorization: "Bearer ${AM_TOKEN}"
                """.formatted(servicePort, alertmanager.url()));

        try (AegisProcess aegis = AegisProcess.start(dir, Map.of("AM_TOKEN", TOKEN), "--config=aegis.yaml")) {
            JsonNode held = await("aegis' alert in Alertmanager's GET /api/v2/alerts").atMost(Duration.ofSeconds(30))
                    .failFast(() -> assertThat(aegis.process().isAlive()).as("aegis is running").isTrue())
                    .until(() -> alertOf(alertmanager, "payments-db").orElse(null), alert -> alert != null);
            assertThat(held.path("fingerprint").asText()).isEqualTo(aegisFingerprint(held.path("labels")));
            assertThat(held.path("status").path("state").asText()).isEqualTo("active");
            assertThat(held.path("annotations").path("summary").asText()).contains("payments-db");

            JsonNode fired = await("Alertmanager's firing webhook").atMost(Duration.ofSeconds(30))
                    .until(() -> payload(receiver, "firing"), Optional::isPresent).orElseThrow();
            assertThat(fired.path("alerts").get(0).path("fingerprint").asText())
                    .isEqualTo(held.path("fingerprint").asText());

            try (ServerSocket service = listen(servicePort)) {
                await("the resolve in Alertmanager").atMost(Duration.ofSeconds(30))
                        .until(() -> alertOf(alertmanager, "payments-db").isEmpty());
                JsonNode resolved = await("Alertmanager's resolved webhook").atMost(Duration.ofSeconds(30))
                        .until(() -> payload(receiver, "resolved"), Optional::isPresent).orElseThrow();
                assertThat(resolved.path("alerts").get(0).path("fingerprint").asText())
                        .isEqualTo(held.path("fingerprint").asText());
                assertThat(Instant.parse(resolved.path("alerts").get(0).path("endsAt").asText()))
                        .isBefore(Instant.now().plusSeconds(1));
            }

            aegis.terminate();
            Result result = aegis.awaitExit(30);
            assertThat(result.exitCode()).as("%s", result).isZero();
            assertThat(result.stdout() + result.stderr()).as("%s", result).doesNotContain(TOKEN);
        }
    }

    @Test
    void validateNamesTheAlertmanagerNotifiersBadKeys() {
        TestConfigs.write(dir, "bad.yaml", """
                services: []
                notifications:
                  am:
                    type: alertmanager
                    urls: [http://127.0.0.1:9093, "ftp://am-2"]
                    resendInterval: 0s
                """);

        Result result = AegisProcess.run(dir, "--config=bad.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result)
                .containsPattern("bad\\.yaml:\\d+:\\d+: notifications\\.am\\.urls\\[1]: expected an http:// or https://"
                        + " URL, found \"ftp://am-2\"")
                .containsPattern("bad\\.yaml:\\d+:\\d+: notifications\\.am\\.resendInterval: expected a positive"
                        + " duration like 1m, found 0s")
                .doesNotContain("Exception", "\tat ");
    }

    /** The fingerprint aegis computes for an alert with these labels ({@link Alert#fingerprint()}). */
    private static String aegisFingerprint(JsonNode labels) {
        Alert.Builder alert = Alert.builder(labels.path("alertname").asText(), labels.path("service").asText())
                .severity(Severity.valueOf(labels.path("severity").asText().toUpperCase(java.util.Locale.ROOT)))
                .startsAt(Instant.EPOCH);
        labels.fields().forEachRemaining(label -> {
            if (!List.of("alertname", "service", "severity").contains(label.getKey())) {
                alert.label(label.getKey(), label.getValue().asText());
            }
        });
        return alert.build().fingerprint();
    }

    private static Optional<JsonNode> alertOf(RealAlertmanager alertmanager, String service) {
        for (JsonNode alert : alertmanager.alerts()) {
            if (service.equals(alert.path("labels").path("service").asText())) {
                return Optional.of(alert);
            }
        }
        return Optional.empty();
    }

    private static Optional<JsonNode> payload(LoopbackHttpServer receiver, String status) throws IOException {
        for (LoopbackHttpServer.Request request : receiver.requests()) {
            JsonNode body = JSON.readTree(request.body());
            if (status.equals(body.path("status").asText())) {
                return Optional.of(body);
            }
        }
        return Optional.empty();
    }

    /** The service coming back: a listener that accepts (and closes) every check's connection. */
    private static ServerSocket listen(int port) throws IOException {
        ServerSocket socket = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try (Socket connection = socket.accept()) {
                    connection.getInputStream().available();
                } catch (IOException e) {
                    return; // closed by the test
                }
            }
        }, "payments-db");
        acceptor.setDaemon(true);
        acceptor.start();
        return socket;
    }
}
