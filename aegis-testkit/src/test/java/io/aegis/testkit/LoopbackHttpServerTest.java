package io.aegis.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The loopback HTTP server as the JDK's HTTP client sees it. */
class LoopbackHttpServerTest {
    private final HttpClient client = HttpClient.newHttpClient();
    private final LoopbackHttpServer server = LoopbackHttpServer.start();

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void answersEveryPathWithTheStatusAndBodyLastSetAndRecordsTheRequests() throws Exception {
        assertThat(get("/health").statusCode()).isEqualTo(200);

        server.respondWith(503, "down");
        HttpResponse<String> down = send(HttpRequest.newBuilder(server.uri("alerts"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}")).build());

        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).isEqualTo("down");
        assertThat(server.requests()).extracting(LoopbackHttpServer.Request::method, LoopbackHttpServer.Request::path,
                LoopbackHttpServer.Request::body, LoopbackHttpServer.Request::status).containsExactly(
                        tuple("GET", "/health", "", 200),
                        tuple("POST", "/alerts", "{\"a\":1}", 503));
    }

    @Test
    void answersWithStatusesInTurnStartingAgainAfterTheLast() throws Exception {
        server.respondInTurn(503, 200);

        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            statuses.add(get("/health").statusCode());
        }
        server.respondWith(200, "ok");
        statuses.add(get("/health").statusCode());

        assertThat(statuses).containsExactly(503, 200, 503, 200, 503, 200);
        assertThat(server.requests()).extracting(LoopbackHttpServer.Request::status).isEqualTo(statuses);
    }

    @Test
    void aStatusesTurnWithoutStatusesIsRefused() {
        assertThatThrownBy(server::respondInTurn).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void delaysEveryAnswerUntilTheDelayIsSetBackToZero() throws Exception {
        server.delayAnswers(Duration.ofMillis(300));
        long start = System.nanoTime();
        assertThat(get("/health").body()).isEqualTo("ok");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));

        server.delayAnswers(Duration.ZERO);
        start = System.nanoTime();
        get("/health");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(300));
    }

    @Test
    void aNegativeDelayIsRefused() {
        assertThatThrownBy(() -> server.delayAnswers(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }

    @Test
    void givesAPathToItsHandlerTheLongestPrefixWinningAndKeepsTheOwnAnswerForTheOthers() throws Exception {
        server.handle("/hook", exchange -> answer(exchange, 201, "hook"));
        server.handle("/hook/deep", exchange -> answer(exchange, 202, "deep"));
        server.respondWith(503, "own");

        assertThat(List.of(get("/hook"), get("/hook/a?x=1"), get("/hooks"), get("/hook/deep/er"), get("/other")))
                .extracting(HttpResponse::statusCode, HttpResponse::body).containsExactly(
                        tuple(201, "hook"), tuple(201, "hook"), tuple(201, "hook"), tuple(202, "deep"),
                        tuple(503, "own"));
        assertThat(server.requests()).extracting(LoopbackHttpServer.Request::path).containsExactly("/other");
    }

    @Test
    void aPathGivenAgainGetsTheNewHandler() throws Exception {
        server.handle("/hook", exchange -> answer(exchange, 201, "first"));
        server.handle("/hook", exchange -> answer(exchange, 202, "second"));

        assertThat(get("/hook").body()).isEqualTo("second");
    }

    @Test
    void runsManyHandlersAtOnceOnItsOwnDaemonThreads() throws Exception {
        int count = 8;
        CountDownLatch allIn = new CountDownLatch(count);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        server.handle("/hang", exchange -> {
            Thread thread = Thread.currentThread();
            threads.add(thread.getName() + (thread.isDaemon() ? "" : " (not a daemon)"));
            allIn.countDown();
            try {
                // each waits until all are in: with fewer threads than requests this never ends
                if (allIn.await(10, TimeUnit.SECONDS)) {
                    answer(exchange, 200, "together");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                exchange.close();
            }
        });

        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            answers.add(client.sendAsync(HttpRequest.newBuilder(server.uri("/hang")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }

        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            assertThat(answer.get(10, TimeUnit.SECONDS).body()).isEqualTo("together");
        }
        assertThat(threads).hasSize(count).allMatch(name -> name.matches("aegis-testkit-http-\\d+-\\d+"));
    }

    @Test
    void closeEndsAHandlerThatHangs() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        server.handle("/hang", exchange -> {
            entered.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        });
        client.sendAsync(HttpRequest.newBuilder(server.uri("/hang")).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

        server.close();

        assertThat(interrupted.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aHandlerPathMustStartWithASlashAndNotBeTheRoot() {
        assertThatThrownBy(() -> server.handle("hook", exchange -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"hook\"");
        assertThatThrownBy(() -> server.handle("/", exchange -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"/\"");
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(server.uri(path)).GET().build());
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
