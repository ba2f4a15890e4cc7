package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.plugin.support.BoundedBody;
import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The {@code expect:} conditions beyond status and body regex, against a real HTTP server on loopback. */
class HttpConditionsTest {
    private static final String SPRING_BOOT_DB_DOWN = "{\"status\":\"UP\",\"components\":{\"db\":{\"status\":\"DOWN\"}}}";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final HttpCheckerFactory factory = new HttpCheckerFactory();
    private final LoopbackHttpServer server = LoopbackHttpServer.start();

    @AfterEach
    void stopEverything() {
        factory.close();
        server.close();
    }

    @Test
    void passesWhenBodyLacksForbiddenText() throws Exception {
        respond(200, "{\"status\":\"UP\"}");

        CheckResult result = check(Map.of("expect", Map.of("bodyNotContains", "ERROR")));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void reportsBodyFailureNamingTheForbiddenTextFound() throws Exception {
        respond(200, "ok, but OUT_OF_SERVICE soon");

        CheckResult result = check(Map.of("expect", Map.of("bodyNotContains", List.of("ERROR", "OUT_OF_SERVICE"))));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("body contains \"OUT_OF_SERVICE\"");
    }

    @Test
    void passesWhenEveryJsonPointerHoldsItsValue() throws Exception {
        respond(200, "{\"status\":\"UP\",\"components\":{\"db\":{\"status\":\"UP\",\"details\":{\"pool\":8,"
                + "\"ratio\":0.5,\"readOnly\":false,\"replica\":null}}}}");

        CheckResult result = check(Map.of("expect", Map.of("json", Map.of(
                "/status", "UP",
                "/components/db/status", "UP",
                "/components/db/details/pool", 8,
                "/components/db/details/ratio", 0.5,
                "/components/db/details/readOnly", false))));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("HTTP 200");
    }

    @Test
    void reportsSpringBootComponentThatIsDown() throws Exception {
        respond(200, SPRING_BOOT_DB_DOWN);

        CheckResult result = check(Map.of("expect", Map.of("json", Map.of("/components/db/status", "UP"))));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("/components/db/status is \"DOWN\", expected \"UP\"");
    }

    @Test
    void reportsEveryJsonMismatchInConfigurationOrder() throws Exception {
        respond(200, "{\"status\":\"DOWN\",\"components\":{}}");

        CheckResult result = check(Map.of("expect", Map.of("json",
                orderedMap("/status", "UP", "/components/db/status", "UP", "/components", "UP"))));

        assertThat(result.message()).isEqualTo("/status is \"DOWN\", expected \"UP\"; /components/db/status is"
                + " missing, expected \"UP\"; /components is an object, expected \"UP\"");
    }

    @Test
    void comparesJsonValuesWithTheirTypes() throws Exception {
        respond(200, "{\"replicas\":3.0,\"ready\":\"true\"}");

        CheckResult numberMatches = check(Map.of("expect", Map.of("json", Map.of("/replicas", 3))));
        CheckResult stringIsNotBoolean = check(Map.of("expect", Map.of("json", Map.of("/ready", true))));

        assertThat(numberMatches.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(stringIsNotBoolean.message()).isEqualTo("/ready is \"true\", expected true");
    }

    @Test
    void reportsBodyFailureWhenBodyIsNotJson() throws Exception {
        respond(200, "<html>UP</html>");

        CheckResult result = check(Map.of("expect", Map.of("json", Map.of("/status", "UP"))));

        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).startsWith("body is not JSON: Unexpected character ('<'");
    }

    @Test
    void reportsBodyFailureWhenJsonBodyIsLongerThanWhatIsRead() throws Exception {
        respond(200, "{\"status\":\"UP\",\"padding\":\"" + "x".repeat(BoundedBody.LIMIT) + "\"}");

        CheckResult result = check(Map.of("expect", Map.of("json", Map.of("/status", "UP"))));

        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("body is longer than 64 KiB, too long to read as JSON");
    }

    @Test
    void passesWhenRequiredHeaderMatches() throws Exception {
        server.handle("/health", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
            exchange.getResponseHeaders().add("X-Version", "2.4.1");
            answer(exchange, 200, "{}");
        });

        CheckResult result = check(Map.of("expect", Map.of("headers",
                orderedMap("content-type", "application/json", "X-Version", "^2\\."))));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void reportsStatusFailureWhenRequiredHeaderIsMissing() throws Exception {
        respond(200, "{}");

        CheckResult result = check(Map.of("expect", Map.of("headers", Map.of("X-Version", ""))));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.STATUS);
        assertThat(result.message()).isEqualTo("header X-Version is missing");
    }

    @Test
    void reportsStatusFailureWhenRequiredHeaderDoesNotMatch() throws Exception {
        server.handle("/health", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/html");
            answer(exchange, 200, "<html/>");
        });

        CheckResult result = check(Map.of("expect", Map.of("headers", Map.of("Content-Type", "json"))));

        assertThat(result.failureReason()).contains(FailureReason.STATUS);
        assertThat(result.message()).isEqualTo("header Content-Type is \"text/html\", expected /json/");
    }

    @Test
    void passesWithinMaxResponseTime() throws Exception {
        respond(200, "ok");

        CheckResult result = check(Map.of("expect", Map.of("maxResponseTime", "4s")));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void reportsDegradedWhenAnswerIsSlowerThanMaxResponseTime() throws Exception {
        Duration delay = Duration.ofMillis(300);
        server.handle("/health", exchange ->
                // answers later from another thread; neither the test nor the server thread sleeps
                CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS)
                        .execute(() -> answerUnchecked(exchange, 200, "ok")));

        CheckResult result = check(Map.of("expect", Map.of("maxResponseTime", "100ms")));

        assertThat(result.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(result.isPassing()).isTrue();
        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(result.latency()).isGreaterThanOrEqualTo(delay);
        assertThat(result.message()).matches("answered in \\d+ms \\(limit 100ms\\)")
                .isEqualTo("answered in " + result.latency().toMillis() + "ms (limit 100ms)");
    }

    @Test
    void judgesBodyBeforeResponseTime() throws Exception {
        server.handle("/health", exchange ->
                CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS)
                        .execute(() -> answerUnchecked(exchange, 200, SPRING_BOOT_DB_DOWN)));

        CheckResult result = check(Map.of("expect", Map.of("maxResponseTime", "100ms",
                "json", Map.of("/components/db/status", "UP"))));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.BODY);
    }

    private CheckResult check(Map<String, ?> settings) throws Exception {
        HealthChecker checker = factory.create(HttpCheckerTest.spec(url(), settings, TIMEOUT));
        return checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private String url() {
        return "http://127.0.0.1:" + server.port() + "/health";
    }

    private void respond(int status, String body) {
        server.handle("/health", exchange -> answer(exchange, status, body));
    }

    static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void answerUnchecked(HttpExchange exchange, int status, String body) {
        try {
            answer(exchange, status, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A map that keeps its order, as YAML mappings do (Map.of does not). */
    static Map<String, Object> orderedMap(Object... keysAndValues) {
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
