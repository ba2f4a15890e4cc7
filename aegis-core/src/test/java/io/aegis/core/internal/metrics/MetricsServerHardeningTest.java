package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a hostile or broken client can do to {@code /metrics}: slow senders, slow readers, floods and bursts.
 * The JDK server this replaced failed each of these (two threads, no header deadline).
 */
class MetricsServerHardeningTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final List<Socket> sockets = new ArrayList<>();
    private MetricsServer server;

    MetricsServerHardeningTest() {
        EngineMetrics metrics = new EngineMetrics(registry, Clock.systemUTC());
        for (int i = 0; i < 50; i++) {
            metrics.serviceAdded("svc-" + i);
        }
    }

    @AfterEach
    void closeEverything() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void twoSocketsThatSendOneByteDoNotStopScrapes() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry);
        for (int round = 0; round < 3; round++) {
            // As in the issue: two connections that send one byte each, again after every reconnect.
            for (int i = 0; i < 2; i++) {
                connect().getOutputStream().write('G');
            }

            assertThat(scrape("/metrics", Duration.ofSeconds(2)).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void answers200ParallelScrapesAllWith200() {
        server = MetricsServer.start("127.0.0.1", 0, registry);
        // A client of its own, so that the 200 requests open 200 connections of their own at once.
        HttpClient client = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> scrapes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            scrapes.add(client.sendAsync(request("/metrics", Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }

        List<Integer> statuses = scrapes.stream().map(CompletableFuture::join).map(HttpResponse::statusCode).toList();

        assertThat(statuses).hasSize(200).containsOnly(200);
        assertThat(scrapes.get(0).join().body()).contains("aegis_service_status{service=\"svc-0\"} 0.0");
    }

    @Test
    void clientsThatNeverReadTheResponseDoNotBlockOtherScrapes() throws Exception {
        registerHugeMetric();
        server = MetricsServer.start("127.0.0.1", 0, registry);
        // Three (more than the old server's two threads) that ask for 8 MB and never read a byte of it.
        for (int i = 0; i < 3; i++) {
            send(connectWithSmallReceiveBuffer(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        }

        HttpResponse<String> other = scrape("/metrics", Duration.ofSeconds(10));

        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.body()).contains("aegis_service_status{service=\"svc-1\"} 0.0");
        assertThat(scrape("/-/healthy", Duration.ofSeconds(2)).body()).isEqualTo("Exporter is healthy.\n");
    }

    @Test
    void closesAConnectionWhoseReaderIsTooSlowAfterTheWriteDeadline() throws Exception {
        registerHugeMetric();
        server = MetricsServer.start("127.0.0.1", 0, registry, limits(Duration.ofSeconds(5), Duration.ofMillis(500), 64));
        Socket stalled = connectWithSmallReceiveBuffer();
        send(stalled, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 1);

        await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
    }

    @Test
    void closesAConnectionThatDoesNotSendItsHeaderWithinTheDeadline() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry, limits(Duration.ofMillis(300), Duration.ofSeconds(30), 64));
        Socket slow = connect();
        send(slow, "GET /metr");
        Socket silent = connect();
        slow.setSoTimeout(5_000);
        silent.setSoTimeout(5_000);

        // read() gives -1 once the server has closed the connection; it would time out (an exception) otherwise.
        assertThat(slow.getInputStream().read()).as("slow sender's connection closed").isEqualTo(-1);
        assertThat(silent.getInputStream().read()).as("silent connection closed").isEqualTo(-1);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
    }

    @Test
    void closesAKeptAliveConnectionAfterTheIdleTimeout() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry, limits(Duration.ofSeconds(5), Duration.ofSeconds(30), 64,
                Duration.ofMillis(300)));
        Socket client = connect();
        client.setSoTimeout(5_000);
        send(client, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n");

        String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

        // readAllBytes returns when the server closes the connection, which it kept alive after the response.
        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nExporter is healthy.\n")
                .doesNotContain("Connection: close");
    }

    @Test
    void aFloodOfConnectionsBeyondTheBoundDoesNotStopLaterScrapes() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry, limits(Duration.ofSeconds(30), Duration.ofSeconds(30), 16));
        for (int i = 0; i < 100; i++) {
            connect();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 16);

        assertThat(scrape("/metrics", Duration.ofSeconds(2)).statusCode()).isEqualTo(200);
        assertThat(server.openConnections()).isLessThanOrEqualTo(16);
    }

    @Test
    void gzipsWhenTheScraperAcceptsIt() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry);
        HttpResponse<byte[]> response = CLIENT.send(request("/metrics", Duration.ofSeconds(5))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.headers().firstValue("Content-Encoding")).hasValue("gzip");
        String text;
        try (InputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(response.body()))) {
            text = new String(gunzip.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(text).contains("aegis_service_status{service=\"svc-2\"} 0.0");
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
    }

    @Test
    void servesOpenMetricsWhenAskedFor() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry);
        HttpResponse<String> response = CLIENT.send(request("/metrics", Duration.ofSeconds(5))
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/openmetrics-text; version=1.0.0"));
        assertThat(response.body()).endsWith("# EOF\n");
    }

    @Test
    void answersHeadWithTheLengthAndNoBody() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry);
        int length = scrape("/metrics", Duration.ofSeconds(5)).body().getBytes(StandardCharsets.UTF_8).length;
        Socket client = connect();
        client.setSoTimeout(5_000);
        send(client, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n")
                .contains("Content-Length: " + length + "\r\n");
    }

    @Test
    void answers404ForOtherPathsAnd405ForOtherMethods() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry);

        assertThat(scrape("/", Duration.ofSeconds(5)).statusCode()).isEqualTo(404);
        assertThat(scrape("/metricsx", Duration.ofSeconds(5)).statusCode()).isEqualTo(404);
        HttpResponse<String> post = CLIENT.send(request("/metrics", Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void servesOnlyTheNamedMetricsWithNameParameters() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry);

        String body = scrape("/metrics?name[]=aegis_service_status", Duration.ofSeconds(5)).body();

        assertThat(body).contains("aegis_service_status{service=\"svc-0\"} 0.0").doesNotContain("aegis_service_state");
    }

    @Test
    void answersPipelinedRequestsInOrderOnOneConnection() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry);
        Socket client = connect();
        client.setSoTimeout(5_000);
        send(client, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").contains("Exporter is healthy.\nHTTP/1.1 404 Not Found\r\n");
    }

    @Test
    void refusesAnOversizedHeaderWith431() throws Exception {
        server = MetricsServer.start("127.0.0.1", 0, registry);
        Socket client = connect();
        client.setSoTimeout(5_000);
        send(client, "GET /metrics HTTP/1.1\r\nX-Big: " + "x".repeat(MetricsServer.MAX_HEADER_BYTES) + "\r\n\r\n");

        byte[] start = client.getInputStream().readNBytes(12);

        assertThat(new String(start, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 431");
    }

    // ---------------------------------------------------------------------------------------------------

    /** A metric whose help text is 8 MB: a response far larger than the socket buffers, rendered cheaply. */
    private void registerHugeMetric() {
        Gauge.builder().name("huge").help("h".repeat(8 * 1024 * 1024)).register(registry);
    }

    private static MetricsServer.Limits limits(Duration header, Duration write, int maxConnections) {
        return limits(header, write, maxConnections, Duration.ofSeconds(60));
    }

    private static MetricsServer.Limits limits(Duration header, Duration write, int maxConnections, Duration idle) {
        return new MetricsServer.Limits(header, idle, write, maxConnections);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
        sockets.add(socket);
        return socket;
    }

    private Socket connectWithSmallReceiveBuffer() throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 2_000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private HttpRequest.Builder request(String path, Duration timeout) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(timeout);
    }

    private HttpResponse<String> scrape(String path, Duration timeout) throws IOException, InterruptedException {
        return CLIENT.send(request(path, timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
