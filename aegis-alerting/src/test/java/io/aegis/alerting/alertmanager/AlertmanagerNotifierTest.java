package io.aegis.alerting.alertmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import io.aegis.api.Alert;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.DeliveryException;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Settings;
import io.aegis.api.Severity;
import io.aegis.testkit.StalledServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The alertmanager notifier against real HTTP servers on loopback standing in for Alertmanagers. */
class AlertmanagerNotifierTest {
    private static final Instant NOW = Instant.parse("2026-11-30T22:00:00Z");
    private static final Instant STARTS_AT = Instant.parse("2026-11-30T21:55:00Z");

    private final AlertmanagerNotifierFactory factory =
            new AlertmanagerNotifierFactory(Clock.fixed(NOW, ZoneOffset.UTC));
    private final List<HttpServer> servers = new ArrayList<>();

    /** One request as a fake Alertmanager saw it. */
    record Received(String method, String path, String contentType, String authorization, String body) {
    }

    @AfterEach
    void stopEverything() {
        factory.close();
        servers.forEach(server -> server.stop(0));
    }

    static Alert firing() {
        return Alert.builder("ServiceUnhealthy", "api").severity(Severity.CRITICAL).summary("api is unhealthy: HTTP 503")
                .label("team", "payments").runbookUrl("https://runbooks/api").startsAt(STARTS_AT).build();
    }

    @Test
    void postsAllAlertsOfANotificationAsOneArrayToApiV2() throws Exception {
        BlockingQueue<Received> received = new LinkedBlockingQueue<>();
        String base = alertmanager(received, 200, "");
        Alert other = Alert.builder("ServiceUnhealthy", "web").summary("web is down").startsAt(STARTS_AT).build()
                .resolve(NOW.minusSeconds(10));
        Notification notification = new Notification("n-1", "g", Map.of(), List.of(firing(), other), false, NOW);

        deliver(notifier(Map.of("urls", List.of(base), "resendInterval", "30s")), notification);

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/api/v2/alerts");
        assertThat(request.contentType()).isEqualTo("application/json");
        assertThat(request.body()).isEqualTo("[{\"labels\":{\"alertname\":\"ServiceUnhealthy\",\"service\":\"api\","
                + "\"severity\":\"critical\",\"team\":\"payments\"},"
                + "\"annotations\":{\"runbook_url\":\"https://runbooks/api\",\"summary\":\"api is unhealthy: HTTP 503\"},"
                // firing: valid for four re-send intervals from now, as Prometheus does
                + "\"startsAt\":\"2026-11-30T21:55:00Z\",\"endsAt\":\"2026-11-30T22:02:00Z\"},"
                + "{\"labels\":{\"alertname\":\"ServiceUnhealthy\",\"service\":\"web\",\"severity\":\"warning\"},"
                + "\"annotations\":{\"summary\":\"web is down\"},"
                + "\"startsAt\":\"2026-11-30T21:55:00Z\",\"endsAt\":\"2026-11-30T21:59:50Z\"}]");
        assertThat(received).isEmpty();
    }

    @Test
    void aPathInTheUrlIsTheRoutePrefixAndCredentialsAreBasicAuth() throws Exception {
        BlockingQueue<Received> received = new LinkedBlockingQueue<>();
        String base = alertmanager(received, 200, "");

        deliver(notifier(Map.of("urls", List.of(base.replace("http://", "http://aegis:pw@") + "/am/"))), firing());

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.path()).isEqualTo("/am/api/v2/alerts");
        assertThat(request.authorization()).isEqualTo("Basic YWVnaXM6cHc=");
    }

    @Test
    void resendIntervalIsTheSettingWithAMinuteByDefault() {
        assertThat(notifier(Map.of("urls", List.of("http://127.0.0.1:9093"))).resendInterval())
                .contains(Duration.ofMinutes(1));
        assertThat(notifier(Map.of("urls", List.of("http://127.0.0.1:9093"), "resendInterval", "15s"))
                .resendInterval()).contains(Duration.ofSeconds(15));
    }

    @Test
    void everyAlertmanagerOfAnHaPairGetsEveryAlert() throws Exception {
        BlockingQueue<Received> first = new LinkedBlockingQueue<>();
        BlockingQueue<Received> second = new LinkedBlockingQueue<>();

        deliver(notifier(Map.of("urls", List.of(alertmanager(first, 200, ""), alertmanager(second, 200, "")))),
                firing());

        assertThat(first.poll(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(second.poll(5, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void deliveredWhenOneAlertmanagerOfThePairIsDown() throws Exception {
        BlockingQueue<Received> up = new LinkedBlockingQueue<>();

        deliver(notifier(Map.of("urls", List.of(closedPortUrl(), alertmanager(up, 200, "")))), firing());

        assertThat(up.poll(5, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void retriedLaterWhenNoAlertmanagerTookTheAlerts() throws Exception {
        String down = closedPortUrl();
        String busy = alertmanager(new LinkedBlockingQueue<>(), 503, "busy");

        DeliveryException failure = failure(notifier(Map.of("urls", List.of(down, busy))));

        assertThat(failure.retryable()).isTrue();
        assertThat(failure.retryAfter()).isEmpty();
        assertThat(failure).hasMessageStartingWith("none of the 2 Alertmanagers took the alerts: cannot connect to"
                + " alertmanager " + down + "/api/v2/alerts")
                .hasMessageContaining("; alertmanager " + busy + "/api/v2/alerts answered HTTP 503: busy");
    }

    @Test
    void rejectedWhenEveryAlertmanagerRejectedTheAlerts() throws Exception {
        String first = alertmanager(new LinkedBlockingQueue<>(), 400, "{\"code\":400,\"message\":\"bad labels\"}");
        String second = alertmanager(new LinkedBlockingQueue<>(), 422, "invalid");

        DeliveryException failure = failure(notifier(Map.of("urls", List.of(first, second))));

        assertThat(failure.retryable()).isFalse();
        assertThat(failure).hasMessageContaining("answered HTTP 400: {\"code\":400,\"message\":\"bad labels\"}")
                .hasMessageContaining("answered HTTP 422: invalid");
    }

    @Test
    void aSingleAlertmanagersRejectionIsPassedOn() throws Exception {
        String only = alertmanager(new LinkedBlockingQueue<>(), 400, "bad");

        DeliveryException failure = failure(notifier(Map.of("urls", List.of(only))));

        assertThat(failure.retryable()).isFalse();
        assertThat(failure).hasMessageStartingWith("alertmanager " + only + "/api/v2/alerts answered HTTP 400: bad");
    }

    @Test
    void requiresAtLeastOneUrl() {
        assertThatThrownBy(() -> notifier(Map.of("resendInterval", "1m")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("notifications.am.urls: is required: the Alertmanager base URLs");
        assertThatThrownBy(() -> notifier(Map.of("urls", List.of())))
                .hasMessageStartingWith("notifications.am.urls: expected at least one Alertmanager base URL");
    }

    @Test
    void reportsEveryBadSettingAtOnceWithoutShowingCredentials() {
        assertThatThrownBy(() -> notifier(Map.of("urls", List.of("http://u:hunter22@am:9093", "ftp://am-2", "x"),
                "resendInterval", "0s", "timeout", "soon")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactlyInAnyOrder("notifications.am.timeout", "notifications.am.resendInterval",
                                "notifications.am.urls[1]", "notifications.am.urls[2]"))
                .message().doesNotContain("hunter22");
    }

    private String alertmanager(BlockingQueue<Received> received, int status, String answer) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        servers.add(server);
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static String closedPortUrl() {
        return "http://127.0.0.1:" + StalledServer.refusedAddress().getPort();
    }

    private Notifier notifier(Map<String, ?> settings) {
        return factory.create(new NotifierSpec("am", Settings.of("notifications.am", settings), Runnable::run));
    }

    private static void deliver(Notifier notifier, Alert alert) throws Exception {
        notifier.deliver(alert).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static void deliver(Notifier notifier, Notification notification) throws Exception {
        notifier.deliver(notification).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static DeliveryException failure(Notifier notifier) {
        Throwable thrown = catchThrowable(() -> deliver(notifier, firing()));
        assertThat(thrown).isInstanceOf(ExecutionException.class).cause().isInstanceOf(DeliveryException.class);
        return (DeliveryException) thrown.getCause();
    }
}
