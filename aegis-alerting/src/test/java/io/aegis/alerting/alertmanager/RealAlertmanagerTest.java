package io.aegis.alerting.alertmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.aegis.alerting.testing.RealAlertmanager;
import io.aegis.alerting.webhook.WebhookNotifierFactory;
import io.aegis.api.Alert;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Settings;
import io.aegis.api.Severity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alertmanager notifier against a real Alertmanager (Debian's {@code prometheus-alertmanager}, 0.25 in CI):
 * skipped with a message when it is not installed, failed when {@code CI} is set and it is not.
 */
class RealAlertmanagerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Alertmanager's own webhook to the test's receiver, flushing a new group at once and changes within 1s. */
    private static final String WEBHOOK_CONFIG = """
            route:
              receiver: hook
              group_by: [alertname, service]
              group_wait: 100ms
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: hook
                webhook_configs:
                  - url: %s
                    send_resolved: true
            """;

    /** No receiver: the alerts are only held, and listed by the API. */
    private static final String HOLD_CONFIG = """
            route:
              receiver: nowhere
            receivers:
              - name: nowhere
            """;

    @TempDir
    Path dir;

    private final AlertmanagerNotifierFactory factory = new AlertmanagerNotifierFactory();
    private final WebhookNotifierFactory webhooks = new WebhookNotifierFactory();
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void alertmanagerIsInstalled() {
        RealAlertmanager.binary();
    }

    @AfterEach
    void stopEverything() throws Exception {
        factory.close();
        webhooks.close();
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private static Alert firing() {
        // whole seconds: Go writes times with as few fraction digits as needed, Java in groups of three
        return Alert.builder("ServiceUnhealthy", "api").severity(Severity.CRITICAL)
                .summary("api is unhealthy: HTTP 503").label("team", "payments")
                .runbookUrl("https://runbooks.example.com/api")
                .startsAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60)).build();
    }

    @Test
    void anAlertAppearsInAlertmanagerWithAegisFingerprintThenResolves() throws Exception {
        RealAlertmanager alertmanager = alertmanager("am", HOLD_CONFIG);
        Notifier notifier = notifier(List.of(alertmanager.url()));
        Alert alert = firing();

        deliver(notifier, alert);

        JsonNode held = await("the alert in GET /api/v2/alerts").atMost(Duration.ofSeconds(10))
                .until(() -> alertmanager.alert(alert.fingerprint()).orElse(null), found -> found != null);
        assertThat(held.path("labels")).isEqualTo(JSON.valueToTree(alert.labelSet()));
        assertThat(held.path("annotations")).isEqualTo(JSON.valueToTree(Map.of("summary", alert.summary(),
                "runbook_url", "https://runbooks.example.com/api")));
        assertThat(held.path("status").path("state").asText()).isEqualTo("active");
        assertThat(Instant.parse(held.path("startsAt").asText())).isEqualTo(alert.startsAt());
        // valid for four re-send intervals (1m by default): Alertmanager resolves it should aegis stop sending
        assertThat(Instant.parse(held.path("endsAt").asText()))
                .isBetween(Instant.now().plus(Duration.ofMinutes(3)), Instant.now().plus(Duration.ofMinutes(5)));

        deliver(notifier, alert.resolve(Instant.now()));

        await("the alert resolved, gone from GET /api/v2/alerts").atMost(Duration.ofSeconds(10))
                .until(() -> alertmanager.alert(alert.fingerprint()).isEmpty());
    }

    @Test
    void alertmanagersOwnWebhookReachesItsReceiverWithThePayloadAegisWebhooksSend() throws Exception {
        Receiver receiver = receiver();
        RealAlertmanager alertmanager = alertmanager("am", WEBHOOK_CONFIG.formatted(receiver.url("/from-am")));
        Notifier notifier = notifier(List.of(alertmanager.url()));
        Notifier ourWebhook = webhooks.create(new NotifierSpec("hook",
                Settings.of("notifications.hook", Map.of("endpoint", receiver.url("/from-aegis"))), Runnable::run));
        Alert alert = firing();

        deliver(notifier, alert);

        JsonNode fired = receiver.await("/from-am", "firing");
        assertThat(fired.path("alerts")).hasSize(1);
        assertThat(fired.path("alerts").get(0).path("fingerprint").asText()).isEqualTo(alert.fingerprint());
        assertThat(fired.path("alerts").get(0).path("labels")).isEqualTo(JSON.valueToTree(alert.labelSet()));

        // aegis' own webhook sends what Alertmanager sends; only Alertmanager knows its external URL, and it
        // passes on the endsAt aegis gave a firing alert (aegis' webhook sends Go's zero time, as for any
        // alert Alertmanager got without one)
        deliver(ourWebhook, alert);
        JsonNode ours = receiver.await("/from-aegis", "firing");
        assertThat(comparable(ours, true)).isEqualTo(comparable(fired, true));

        Alert resolved = alert.resolve(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        deliver(notifier, resolved);

        JsonNode resolvedPayload = receiver.await("/from-am", "resolved");
        assertThat(resolvedPayload.path("alerts").get(0).path("fingerprint").asText()).isEqualTo(alert.fingerprint());
        assertThat(Instant.parse(resolvedPayload.path("alerts").get(0).path("endsAt").asText()))
                .isEqualTo(resolved.endsAt().orElseThrow());

        deliver(ourWebhook, resolved);
        assertThat(comparable(receiver.await("/from-aegis", "resolved"), false))
                .isEqualTo(comparable(resolvedPayload, false));
    }

    @Test
    void labelAndAnnotationNamesAlertmanagerWouldRefuseDoNotLoseTheAlert() throws Exception {
        RealAlertmanager alertmanager = alertmanager("am", HOLD_CONFIG);
        Alert alert = firing().toBuilder().label("app.kubernetes.io/name", "api")
                .annotation("dashboard-url", "https://grafana.example.com/d/api").build();

        deliver(notifier(List.of(alertmanager.url())), alert);

        assertThat(alertmanager.alerts()).singleElement().satisfies(held -> {
            assertThat(held.path("labels").path("app_kubernetes_io_name").asText()).isEqualTo("api");
            assertThat(held.path("annotations").path("dashboard_url").asText())
                    .isEqualTo("https://grafana.example.com/d/api");
        });
    }

    @Test
    void bothAlertmanagersOfAnHaPairGetTheAlertAndItsResolve() throws Exception {
        RealAlertmanager first = alertmanager("am-1", HOLD_CONFIG);
        RealAlertmanager second = alertmanager("am-2", HOLD_CONFIG);
        Notifier notifier = notifier(List.of(first.url(), second.url()));
        Alert alert = firing();

        deliver(notifier, alert);

        await("the alert in both Alertmanagers").atMost(Duration.ofSeconds(10))
                .until(() -> first.alert(alert.fingerprint()).isPresent() && second.alert(alert.fingerprint()).isPresent());

        deliver(notifier, alert.resolve(Instant.now()));

        await("the alert resolved in both Alertmanagers").atMost(Duration.ofSeconds(10))
                .until(() -> first.alert(alert.fingerprint()).isEmpty() && second.alert(alert.fingerprint()).isEmpty());
    }

    /** The payload without what only Alertmanager can know: its URL, and (when firing) the alerts' endsAt. */
    private static JsonNode comparable(JsonNode payload, boolean firing) {
        ObjectNode copy = payload.deepCopy();
        copy.remove("externalURL");
        if (firing) {
            copy.path("alerts").forEach(alert -> ((ObjectNode) alert).remove("endsAt"));
        }
        return copy;
    }

    private RealAlertmanager alertmanager(String name, String config) throws IOException {
        RealAlertmanager alertmanager = RealAlertmanager.start(dir.resolve(name), config);
        toClose.add(alertmanager);
        return alertmanager;
    }

    private Notifier notifier(List<String> urls) {
        return factory.create(new NotifierSpec("am", Settings.of("notifications.am", Map.of("urls", urls)),
                Runnable::run));
    }

    private static void deliver(Notifier notifier, Alert alert) throws Exception {
        notifier.deliver(alert).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private Receiver receiver() throws IOException {
        Receiver receiver = new Receiver();
        toClose.add(receiver);
        return receiver;
    }

    /** A webhook receiver on loopback keeping every JSON body with the path it came to. */
    private static final class Receiver implements AutoCloseable {
        private final HttpServer server;
        private final List<Map.Entry<String, JsonNode>> bodies = new CopyOnWriteArrayList<>();

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                bodies.add(Map.entry(exchange.getRequestURI().getPath(),
                        JSON.readTree(exchange.getRequestBody().readAllBytes())));
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        /** The first body that came to {@code path} with status {@code status}. */
        JsonNode await(String path, String status) {
            return org.awaitility.Awaitility.await(status + " payload at " + path).atMost(Duration.ofSeconds(15))
                    .until(() -> bodies.stream()
                            .filter(body -> body.getKey().equals(path)
                                    && body.getValue().path("status").asText().equals(status))
                            .map(Map.Entry::getValue).findFirst().orElse(null), body -> body != null);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
