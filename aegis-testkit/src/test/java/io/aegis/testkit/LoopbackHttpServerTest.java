package io.aegis.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(server.uri(path)).GET().build());
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
