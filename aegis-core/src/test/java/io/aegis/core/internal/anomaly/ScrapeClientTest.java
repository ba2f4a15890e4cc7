package io.aegis.core.internal.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client the anomaly sources scrape with, against a real server on loopback that misbehaves. */
class ScrapeClientTest {
    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);
    private final ScrapeClient client = new ScrapeClient();

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/stall", exchange -> {
            exchange.sendResponseHeaders(200, 0); // the headers, a first line, then nothing
            OutputStream body = exchange.getResponseBody();
            body.write("# TYPE http_requests_total counter\n".getBytes());
            body.flush();
            try {
                release.await(30, TimeUnit.SECONDS); // the service stalling, not the test waiting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.createContext("/huge", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[1 << 20];
            try (OutputStream body = exchange.getResponseBody()) {
                for (int i = 0; i < 64; i++) {
                    body.write(chunk);
                }
            } catch (IOException e) {
                // aegis stopped reading: what it should do
            }
        });
        server.createContext("/protected", exchange -> {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            boolean allowed = ("Basic " + java.util.Base64.getEncoder().encodeToString("scraper:s3cr%t".getBytes()))
                    .equals(authorization);
            byte[] body = (allowed ? "up 1\n" : "denied").getBytes();
            exchange.sendResponseHeaders(allowed ? 200 : 401, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        client.close();
        server.stop(0);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void aBodyThatStallsAfterTheHeadersEndsAtTheDeadline() {
        long started = System.nanoTime();

        Throwable failure = catchThrowable(() -> client.get(uri("/stall"), "text/plain", Duration.ofMillis(300))
                .get(10, TimeUnit.SECONDS));

        assertThat(MetricsSource.describe(failure.getCause())).isEqualTo("no complete answer in time");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void credentialsInTheUrlAreSentAsBasicAuth() throws Exception {
        URI withCredentials = URI.create("http://scraper:s3cr%25t@127.0.0.1:" + server.getAddress().getPort()
                + "/protected");

        assertThat(client.get(withCredentials, "text/plain", Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS)
                .statusCode()).isEqualTo(200);
    }

    @Test
    void anAnswerLargerThanTheLimitIsRefusedNotHeldInTheHeap() {
        Throwable failure = catchThrowable(() -> client.get(uri("/huge"), "text/plain", Duration.ofSeconds(20))
                .get(30, TimeUnit.SECONDS));

        assertThat(failure).hasRootCauseMessage("the answer is larger than 32 MB");
    }
}
