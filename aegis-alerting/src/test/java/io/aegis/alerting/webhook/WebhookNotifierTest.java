package io.aegis.alerting.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.aegis.api.Alert;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Settings;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The webhook notifier against a real HTTP server on loopback. */
class WebhookNotifierTest {
    private final WebhookNotifierFactory factory = new WebhookNotifierFactory();
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final CountDownLatch releaseHungHandlers = new CountDownLatch(1);
    private HttpServer server;
    private ExecutorService serverThreads;

    /** One request as the server saw it. */
    record Received(String method, String path, Map<String, List<String>> headers, String body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> String.join(",", e.getValue())).findFirst().orElse(null);
        }
    }

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.start();
    }

    @AfterEach
    void stopEverything() {
        factory.close();
        releaseHungHandlers.countDown();
        server.stop(0);
        serverThreads.shutdownNow();
    }

    @Test
    void postsAlertmanagerPayloadAndCompletesOn200() throws Exception {
        answer("/hook", 200);
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook")));

        deliver(notifier, AlertmanagerPayloadTest.firing());

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request).isNotNull();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/hook");
        assertThat(request.body()).isEqualTo(AlertmanagerPayload.json("ops", AlertmanagerPayloadTest.firing()));
        assertThat(request.body()).startsWith("{\"version\":\"4\",\"groupKey\":")
                .contains("\"status\":\"firing\",\"receiver\":\"ops\"")
                .contains("\"endsAt\":\"0001-01-01T00:00:00Z\"");
    }

    @Test
    void completesOnAny2xxAnswer() throws Exception {
        answer("/hook", 204);

        deliver(notifier("ops", Map.of("endpoint", url("/hook"))), AlertmanagerPayloadTest.firing());

        assertThat(received.poll(5, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void sendsConfiguredHeadersAndJsonContentTypeByDefault() throws Exception {
        answer("/hook", 200);
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"),
                "headers", Map.of("Authorization", "Bearer example-token", "X-Team", "sre")));

        deliver(notifier, AlertmanagerPayloadTest.firing());

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

        deliver(notifier, AlertmanagerPayloadTest.firing());

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("Content-Type"))
                .flatMap(e -> e.getValue().stream())).containsExactly("application/vnd.alerts+json; charset=utf-8");
    }

    @Test
    void sendsResolvedAlertWithEndsAt() throws Exception {
        answer("/hook", 200);

        deliver(notifier("ops", Map.of("endpoint", url("/hook"))),
                AlertmanagerPayloadTest.firing().resolve(AlertmanagerPayloadTest.ENDS_AT));

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.body()).contains("\"status\":\"resolved\"")
                .contains("\"endsAt\":\"2024-05-01T12:03:30.250Z\"")
                .doesNotContain("0001-01-01");
    }

    @Test
    void escapesQuotesLineBreaksAndControlCharactersOfTheSummary() throws Exception {
        answer("/hook", 200);
        Alert alert = AlertmanagerPayloadTest.firing().toBuilder()
                .summary("body was \"<h1>down</h1>\"\nat C:\\srv\u0007 ✓").build();

        deliver(notifier("ops", Map.of("endpoint", url("/hook"))), alert);

        Received request = received.poll(5, TimeUnit.SECONDS);
        assertThat(request.body())
                .contains("\"annotations\":{\"summary\":\"body was \\\"<h1>down</h1>\\\"\\nat C:\\\\srv\\u0007 ✓\"}")
                .doesNotContain("\n");
    }

    @Test
    void failsWithTheStatusWhenTheWebhookAnswers500() {
        answer("/hook", 500);
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook")));

        assertThatThrownBy(() -> deliver(notifier, AlertmanagerPayloadTest.firing()))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IOException.class)
                .hasMessage("webhook " + url("/hook") + " answered HTTP 500");
    }

    @Test
    void failsWithTheStatusOnARedirect() {
        server.createContext("/hook", exchange -> {
            exchange.getResponseHeaders().add("Location", url("/elsewhere"));
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });

        assertThatThrownBy(() -> deliver(notifier("ops", Map.of("endpoint", url("/hook"))),
                AlertmanagerPayloadTest.firing()))
                .cause().hasMessage("webhook " + url("/hook") + " answered HTTP 302");
    }

    @Test
    void failsWhenTheConnectionIsRefused() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + closedPort + "/hook";

        assertThatThrownBy(() -> deliver(notifier("ops", Map.of("endpoint", endpoint)),
                AlertmanagerPayloadTest.firing()))
                .cause().isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot connect to webhook " + endpoint)
                .hasCauseInstanceOf(ConnectException.class);
    }

    @Test
    void failsWhenTheWebhookDoesNotAnswerWithinTheTimeout() {
        server.createContext("/hook", exchange -> {
            awaitRelease();
            exchange.close();
        });
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"), "timeout", "300ms"));

        assertThatThrownBy(() -> deliver(notifier, AlertmanagerPayloadTest.firing()))
                .cause().isInstanceOf(HttpTimeoutException.class)
                .hasMessage("webhook " + url("/hook") + " did not answer within 300ms");
    }

    @Test
    void failsWhenTheAnswerBodyNeverEnds() {
        server.createContext("/hook", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write('{');
            exchange.getResponseBody().flush();
            awaitRelease();
            exchange.close();
        });
        Notifier notifier = notifier("ops", Map.of("endpoint", url("/hook"), "timeout", "300ms"));

        assertThatThrownBy(() -> deliver(notifier, AlertmanagerPayloadTest.firing()))
                .cause().isInstanceOf(HttpTimeoutException.class)
                .hasMessage("webhook " + url("/hook") + " did not answer within 300ms");
    }

    private void answer(String path, int status) {
        server.createContext(path, exchange -> {
            received.add(read(exchange));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
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
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }
}
