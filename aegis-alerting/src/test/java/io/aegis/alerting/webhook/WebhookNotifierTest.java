package io.aegis.alerting.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpExchange;
import io.aegis.api.Alert;
import io.aegis.api.DeliveryException;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Settings;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.StalledServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The webhook notifier against a real HTTP server on loopback. */
class WebhookNotifierTest {
    private final WebhookNotifierFactory factory = new WebhookNotifierFactory();
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final CountDownLatch releaseHungHandlers = new CountDownLatch(1);
    private final LoopbackHttpServer server = LoopbackHttpServer.start();

    /** One request as the server saw it. */
    record Received(String method, String path, Map<String, List<String>> headers, String body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> String.join(",", e.getValue())).findFirst().orElse(null);
        }
    }

    @AfterEach
    void stopEverything() {
        factory.close();
        releaseHungHandlers.countDown();
        server.close();
    }

    @Test
    void postsAlertmanagerPayloadAndCompletesOn200() throws Exception {
        answer("/hook", 200);
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook")));

        deliver(notifier, WebhookPayloadTest.firing());

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request).isNotNull();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/hook");
        assertThat(request.body()).isEqualTo(WebhookPayload.json("ops", WebhookPayloadTest.firing()));
        assertThat(request.body()).startsWith("{\"version\":\"4\",\"groupKey\":")
                .contains("\"status\":\"firing\",\"receiver\":\"ops\"")
                .contains("\"endsAt\":\"0001-01-01T00:00:00Z\"");
    }

    @Test
    void postsAWholeNotificationInOneRequest() throws Exception {
        answer("/hook", 200);
        Notification group = WebhookPayloadTest.group();

        notifier("pager", Map.of("endpoint", url("/hook"))).deliver(group).toCompletableFuture()
                .get(10, TimeUnit.SECONDS);

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.body()).isEqualTo(WebhookPayload.json("pager", group));
        assertThat(received).isEmpty();
    }

    @Test
    void formatAegisPostsOneFlatObjectPerAlertInOrder() throws Exception {
        answer("/hook", 200);
        Notification group = WebhookPayloadTest.group();

        notifier("pager", Map.of("endpoint", url("/hook"), "format", "aegis")).deliver(group).toCompletableFuture()
                .get(10, TimeUnit.SECONDS);

        assertThat(received.poll(5, TimeUnit.SECONDS).body()).isEqualTo(AegisPayload.json("pager", group, 0));
        assertThat(received.poll(5, TimeUnit.SECONDS).body()).isEqualTo(AegisPayload.json("pager", group, 1));
        assertThat(received).isEmpty();
    }

    @Test
    void formatAegisStopsAtTheFirstAlertNotTakenSoTheWholeNotificationIsRetried() {
        AtomicInteger requests = new AtomicInteger();
        server.handle("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(requests.incrementAndGet() == 1 ? 503 : 200, -1);
            exchange.close();
        });

        Throwable thrown = catchThrowable(() -> notifier("pager", Map.of("endpoint", url("/hook"), "format", "aegis"))
                .deliver(WebhookPayloadTest.group()).toCompletableFuture().get(10, TimeUnit.SECONDS));

        assertThat(thrown).cause().isInstanceOf(DeliveryException.class);
        assertThat(requests).hasValue(1);
    }

    @Test
    void signsTheExactBodyWithHmacSha256OfTheSigningSecret() throws Exception {
        answer("/hook", 200);
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"),
                "signingSecret", "It's a Secret to Everybody"));

        deliver(notifier, WebhookPayloadTest.firing());

        Received request = received.poll(5, TimeUnit.SECONDS);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("It's a Secret to Everybody".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = "sha256=" + HexFormat.of()
                .formatHex(mac.doFinal(request.body().getBytes(StandardCharsets.UTF_8)));
        assertThat(request.header("X-Aegis-Signature-256")).isEqualTo(expected);
    }

    @Test
    void sendsNoSignatureWithoutASigningSecret() throws Exception {
        answer("/hook", 200);

        deliver(notifier("ops", Map.of("endpoint", url("/hook"))), WebhookPayloadTest.firing());

        assertThat(received.poll(5, TimeUnit.SECONDS).header("X-Aegis-Signature-256")).isNull();
    }

    @Test
    void completesOnAny2xxAnswer() throws Exception {
        answer("/hook", 204);

        deliver(notifier("ops", Map.of("endpoint", url("/hook"))), WebhookPayloadTest.firing());

        assertThat(received.poll(5, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void sendsConfiguredHeadersAndJsonContentTypeByDefault() throws Exception {
        answer("/hook", 200);
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"),
                "headers", Map.of("Authorization", "Bearer example-token", "X-Team", "sre")));

        deliver(notifier, WebhookPayloadTest.firing());

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.header("Authorization")).isEqualTo("Bearer example-token");
        assertThat(request.header("X-Team")).isEqualTo("sre");
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
    }

    @Test
    void configuredContentTypeReplacesTheDefault() throws Exception {
        answer("/hook", 200);
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"),
                "headers", Map.of("content-type", "application/vnd.alerts+json; charset=utf-8")));

        deliver(notifier, WebhookPayloadTest.firing());

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("Content-Type"))
                .flatMap(e -> e.getValue().stream())).containsExactly("application/vnd.alerts+json; charset=utf-8");
    }

    @Test
    void sendsResolvedAlertWithEndsAt() throws Exception {
        answer("/hook", 200);

        deliver(notifier("ops", Map.of("endpoint", url("/hook"))),
                WebhookPayloadTest.firing().resolve(WebhookPayloadTest.ENDS_AT));

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.body()).contains("\"status\":\"resolved\"")
                .contains("\"endsAt\":\"2024-05-01T12:03:30.250Z\"")
                .doesNotContain("0001-01-01");
    }

    @Test
    void escapesQuotesLineBreaksAndControlCharactersOfTheSummary() throws Exception {
        answer("/hook", 200);
        Alert alert = WebhookPayloadTest.firing().toBuilder()
                .summary("body was \"<h1>down</h1>\"\nat C:\\srv\u0007 ✓").build();

        deliver(notifier("ops", Map.of("endpoint", url("/hook"))), alert);

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.body())
                .contains("\"annotations\":{\"summary\":\"body was \\\"<h1>down</h1>\\\"\\nat C:\\\\srv\\u0007 ✓\"}")
                .doesNotContain("\n");
    }

    @Test
    void retriesLaterWhenTheWebhookAnswers500() {
        answer("/hook", 500);
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook")));

        DeliveryException failure = deliveryFailure(notifier, WebhookPayloadTest.firing());

        assertThat(failure.retryable()).isTrue();
        assertThat(failure.retryAfter()).isEmpty();
        assertThat(failure).hasMessage("webhook " + url("/hook") + " answered HTTP 500");
    }

    @Test
    void retriesLaterWhenTheWebhookAnswersARedirect() {
        server.handle("/hook", exchange -> {
            exchange.getResponseHeaders().add("Location", url("/elsewhere"));
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });

        DeliveryException failure = deliveryFailure(notifier("ops", Map.of("endpoint", url("/hook"))),
                WebhookPayloadTest.firing());

        assertThat(failure.retryable()).isTrue();
        assertThat(failure).hasMessageStartingWith("webhook " + url("/hook") + " answered HTTP 302 (a redirect");
    }

    @Test
    void retriesAfterTheSecondsOfRetryAfterWhenRateLimited() {
        answer("/hook", 429, Map.of("Retry-After", "30"), "slow down");

        DeliveryException failure = deliveryFailure(notifier("ops", Map.of("endpoint", url("/hook"))),
                WebhookPayloadTest.firing());

        assertThat(failure.retryable()).isTrue();
        assertThat(failure.retryAfter()).contains(Duration.ofSeconds(30));
        assertThat(failure).hasMessage("webhook " + url("/hook") + " answered HTTP 429: slow down (asked to retry"
                + " after 30s)");
    }

    @Test
    void retriesAtTheDateOfRetryAfterWhenUnavailable() {
        Instant now = Instant.parse("2026-11-30T22:00:00Z");
        WebhookNotifierFactory fixedClock = new WebhookNotifierFactory(Clock.fixed(now, ZoneOffset.UTC));
        try {
            answer("/hook", 503, Map.of("Retry-After", "Mon, 30 Nov 2026 22:02:30 GMT"), "");
            Notifier notifier = fixedClock.create(new NotifierSpec("ops",
                    Settings.of("notifications.ops", Map.of("endpoint", url("/hook"))), Runnable::run));

            DeliveryException failure = deliveryFailure(notifier, WebhookPayloadTest.firing());

            assertThat(failure.retryable()).isTrue();
            assertThat(failure.retryAfter()).contains(Duration.ofSeconds(150));
        } finally {
            fixedClock.close();
        }
    }

    @Test
    void retriesLaterWhenTheRequestTimedOutAtTheReceiver() {
        answer("/hook", 408);

        assertThat(deliveryFailure(notifier("ops", Map.of("endpoint", url("/hook"))), WebhookPayloadTest.firing())
                .retryable()).isTrue();
    }

    @Test
    void rejectsForGoodOnAnotherClientErrorWithTheStartOfTheAnswer() {
        String page = "{\"error\":\"unknown channel\"}\n" + "x".repeat(1000);
        answer("/hook", 404, Map.of(), page);

        DeliveryException failure = deliveryFailure(notifier("ops", Map.of("endpoint", url("/hook"))),
                WebhookPayloadTest.firing());

        assertThat(failure.retryable()).isFalse();
        assertThat(failure.getMessage())
                .startsWith("webhook " + url("/hook") + " answered HTTP 404: {\"error\":\"unknown channel\"} xxx")
                .contains("x…; the request is not retried")
                .doesNotContain("\n")
                .hasSizeLessThan(400);
    }

    @Test
    void neverPutsAHeaderValueOrTheSigningSecretIntoAMessage() {
        server.handle("/hook", exchange -> {
            // a receiver that echoes what it got, as some error pages do
            String echo = "bad token " + exchange.getRequestHeaders().getFirst("Authorization") + " signed "
                    + exchange.getRequestHeaders().getFirst("X-Aegis-Signature-256") + " secret s3cr3t-signing-key";
            byte[] bytes = echo.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(401, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"),
                "headers", Map.of("Authorization", "Bearer tok-123456"), "signingSecret", "s3cr3t-signing-key"));

        DeliveryException failure = deliveryFailure(notifier, WebhookPayloadTest.firing());

        assertThat(failure.retryable()).isFalse();
        assertThat(failure.getMessage()).contains("answered HTTP 401: bad token *** signed sha256=")
                .doesNotContain("tok-123456").doesNotContain("s3cr3t-signing-key");
    }

    @Test
    void failsWhenTheConnectionIsRefused() throws Exception {
        int closedPort = StalledServer.refusedAddress().getPort();
        String endpoint = "http://127.0.0.1:" + closedPort + "/hook";

        assertThatThrownBy(() -> deliver(notifier("ops", Map.of("endpoint", endpoint)),
                WebhookPayloadTest.firing()))
                .cause().isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot connect to webhook " + endpoint)
                .hasCauseInstanceOf(ConnectException.class);
    }

    @Test
    void failsWhenTheWebhookDoesNotAnswerWithinTheTimeout() {
        server.handle("/hook", exchange -> {
            awaitRelease();
            exchange.close();
        });
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"), "timeout", "300ms"));

        assertThatThrownBy(() -> deliver(notifier, WebhookPayloadTest.firing()))
                .cause().isInstanceOf(HttpTimeoutException.class)
                .hasMessage("webhook " + url("/hook") + " did not answer within 300ms");
    }

    @Test
    void failsWhenTheAnswerBodyNeverEnds() {
        server.handle("/hook", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write('{');
            exchange.getResponseBody().flush();
            awaitRelease();
            exchange.close();
        });
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"), "timeout", "300ms"));

        assertThatThrownBy(() -> deliver(notifier, WebhookPayloadTest.firing()))
                .cause().isInstanceOf(HttpTimeoutException.class)
                .hasMessage("webhook " + url("/hook") + " did not answer within 300ms");
    }

    private void answer(String path, int status) {
        answer(path, status, Map.of(), "");
    }

    private void answer(String path, int status, Map<String, String> headers, String body) {
        server.handle(path, exchange -> {
            received.add(read(exchange));
            headers.forEach(exchange.getResponseHeaders()::add);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
    }

    private static DeliveryException deliveryFailure(Notifier notifier, Alert alert) {
        Throwable thrown = catchThrowable(() -> deliver(notifier, alert));
        assertThat(thrown).isInstanceOf(ExecutionException.class).cause().isInstanceOf(DeliveryException.class);
        return (DeliveryException) thrown.getCause();
    }

    private static Received read(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        return new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                new LinkedHashMap<>(exchange.getRequestHeaders()), body);
    }

    private void awaitRelease() {
        try {
            releaseHungHandlers.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Notifier notifier(String name, Map<String, ?> settings) {
        return factory.create(new NotifierSpec(name, Settings.of("notifications." + name, settings), Runnable::run));
    }

    private static void deliver(Notifier notifier, Alert alert) throws Exception {
        notifier.deliver(alert).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }
}
