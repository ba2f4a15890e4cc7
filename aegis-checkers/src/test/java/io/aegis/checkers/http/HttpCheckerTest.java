package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.api.Settings;
import io.aegis.plugin.support.BoundedBody;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.StalledServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The http checker against a real HTTP server on loopback. */
class HttpCheckerTest {
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);

    private final HttpCheckerFactory factory = new HttpCheckerFactory();
    private final LoopbackHttpServer server = LoopbackHttpServer.start();
    private StalledServer rawServer;

    @AfterEach
    void stopEverything() {
        factory.close();
        server.close();
        if (rawServer != null) {
            rawServer.close();
        }
    }

    @Test
    void reportsHealthyWhenServerAnswers200() throws Exception {
        respond("/health", 200, "ok");

        CheckResult result = check(url("/health"), Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("HTTP 200");
        assertThat(result.failureReason()).isEmpty();
        assertThat(result.latency()).isPositive();
    }

    @Test
    void reportsStatusFailureWhenServerAnswers503() throws Exception {
        respond("/health", 503, "down");

        CheckResult result = check(url("/health"), Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.STATUS);
        assertThat(result.message()).isEqualTo("HTTP 503 (expected 200-399)");
    }

    @Test
    void judgesRedirectByStatusWithoutFollowingIt() throws Exception {
        AtomicInteger targetHits = new AtomicInteger();
        server.handle("/moved", exchange -> {
            exchange.getResponseHeaders().add("Location", "/target");
            answer(exchange, 302, "");
        });
        server.handle("/target", exchange -> {
            targetHits.incrementAndGet();
            answer(exchange, 200, "");
        });

        CheckResult result = check(url("/moved"), Map.of());

        assertThat(result.message()).isEqualTo("HTTP 302");
        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(targetHits).hasValue(0);
    }

    @Test
    void acceptsStatusInCustomExpectedList() throws Exception {
        respond("/health", 418, "teapot");

        CheckResult result = check(url("/health"), Map.of("expect", Map.of("status", List.of(204, "400-418"))));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("HTTP 418");
    }

    @Test
    void reportsStatusFailureWhenStatusIsOutsideCustomExpectedList() throws Exception {
        respond("/health", 200, "ok");

        CheckResult result = check(url("/health"), Map.of("expect", Map.of("status", List.of(204, "5xx"))));

        assertThat(result.failureReason()).contains(FailureReason.STATUS);
        assertThat(result.message()).isEqualTo("HTTP 200 (expected 204, 5xx)");
    }

    @Test
    void reportsHealthyWhenBodyMatchesExpectedRegex() throws Exception {
        respond("/health", 200, "{\"status\": \"UP\", \"checks\": []}");

        CheckResult result = check(url("/health"), Map.of("expect", Map.of("body", "\"status\":\\s*\"UP\"")));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void reportsBodyFailureWhenBodyDoesNotMatchExpectedRegex() throws Exception {
        respond("/health", 200, "{\"status\": \"DOWN\"}");

        CheckResult result = check(url("/health"), Map.of("expect", Map.of("body", "UP")));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("body did not match /UP/");
    }

    @Test
    void looksForExpectedBodyOnlyInTheFirst64KiB() throws Exception {
        respond("/health", 200, "x".repeat(BoundedBody.LIMIT) + "UP");

        CheckResult result = check(url("/health"), Map.of("expect", Map.of("body", "UP")));

        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("body did not match /UP/ in its first 64 KiB");
    }

    @Test
    void sendsConfiguredMethodHeadersAndBody() throws Exception {
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        server.handle("/health", exchange -> {
            seen.add(exchange.getRequestMethod());
            seen.add(exchange.getRequestHeaders().getFirst("X-Probe"));
            seen.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            answer(exchange, 200, "");
        });

        CheckResult result = check(url("/health"),
                Map.of("method", "post", "headers", Map.of("X-Probe", "aegis"), "body", "{\"deep\":true}"));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(seen).containsExactly("POST", "aegis", "{\"deep\":true}");
    }

    @Test
    void reusesOneKeptAliveConnectionForRepeatedChecks() throws Exception {
        ConcurrentLinkedQueue<Integer> clientPorts = new ConcurrentLinkedQueue<>();
        server.handle("/health", exchange -> {
            clientPorts.add(exchange.getRemoteAddress().getPort());
            answer(exchange, 200, "ok");
        });
        HealthChecker checker = factory.create(spec(url("/health"), Map.of(), Duration.ofSeconds(5)));

        await(checker.check(new CheckContext(1, Duration.ofSeconds(5))));
        await(checker.check(new CheckContext(1, Duration.ofSeconds(5))));

        assertThat(clientPorts).hasSize(2);
        assertThat(clientPorts).containsOnly(clientPorts.peek());
    }

    @Test
    void reportsConnectFailureWhenNothingListens() throws Exception {
        int freePort = StalledServer.refusedAddress().getPort();

        CheckResult result = check("http://127.0.0.1:" + freePort + "/health", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.CONNECT);
    }

    @Test
    void reportsTimeoutWhenServerAcceptsButNeverAnswers() throws Exception {
        String endpoint = silentEndpoint();

        CheckResult result = check(endpoint, Map.of(), SHORT_TIMEOUT);

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(result.latency()).isGreaterThanOrEqualTo(SHORT_TIMEOUT);
        assertThat(result.message()).isEqualTo("no complete answer from " + endpoint + " within 300ms");
    }

    @Test
    void reportsTimeoutWhenBodyNeverEnds() throws Exception {
        server.handle("/health", exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            exchange.getResponseBody().write("partial".getBytes(StandardCharsets.UTF_8));
            exchange.getResponseBody().flush();
            // never writes the other 993 bytes; the server stops this exchange when the test ends
        });

        CheckResult result = check(url("/health"), Map.of("expect", Map.of("body", "complete")), SHORT_TIMEOUT);

        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(result.latency()).isGreaterThanOrEqualTo(SHORT_TIMEOUT);
    }

    @Test
    void usesTheAttemptTimeoutWhenItDiffersFromTheSpecTimeout() throws Exception {
        String endpoint = silentEndpoint();
        HealthChecker checker = factory.create(spec(endpoint, Map.of(), Duration.ofSeconds(30)));

        CheckResult result = await(checker.check(new CheckContext(2, SHORT_TIMEOUT)));

        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(result.message()).endsWith("within 300ms");
    }

    @Test
    void returnsBeforeTheServerAnswers() throws Exception {
        String endpoint = silentEndpoint();
        HealthChecker checker = factory.create(spec(endpoint, Map.of(), Duration.ofSeconds(30)));

        CompletionStage<CheckResult> pending = checker.check(new CheckContext(1, Duration.ofSeconds(30)));

        assertThat(pending.toCompletableFuture()).isNotDone();
        pending.toCompletableFuture().cancel(false);
    }

    @Test
    void reportsDnsFailureWhenHostDoesNotExist() throws Exception {
        CheckResult result = check("http://does-not-exist.invalid/health", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.DNS);
        assertThat(result.message()).isEqualTo("cannot resolve host does-not-exist.invalid");
    }

    @Test
    void reportsTlsFailureWhenServerDoesNotSpeakTls() throws Exception {
        rawServer = StalledServer.saying("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");

        CheckResult result = check("https://127.0.0.1:" + rawServer.port() + "/health", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.TLS);
    }

    private CheckResult check(String endpoint, Map<String, ?> settings) throws Exception {
        return check(endpoint, settings, Duration.ofSeconds(5));
    }

    private CheckResult check(String endpoint, Map<String, ?> settings, Duration timeout) throws Exception {
        HealthChecker checker = factory.create(spec(endpoint, settings, timeout));
        return await(checker.check(new CheckContext(1, timeout)));
    }

    static CheckerSpec spec(String endpoint, Map<String, ?> settings, Duration timeout) {
        return CheckerSpec.builder("api", HttpCheckerFactory.TYPE, endpoint)
                .timeout(timeout)
                .settings(Settings.of("services[0]", settings))
                .build();
    }

    private static CheckResult await(CompletionStage<CheckResult> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    private void respond(String path, int status, String body) {
        server.handle(path, exchange -> answer(exchange, status, body));
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The URL of a server that accepts connections and never says a word. */
    private String silentEndpoint() {
        rawServer = StalledServer.start();
        return "http://127.0.0.1:" + rawServer.port() + "/health";
    }
}
