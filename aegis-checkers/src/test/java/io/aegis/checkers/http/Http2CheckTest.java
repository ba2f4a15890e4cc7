package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.testkit.StalledServer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 (ALPN h2) against a real HTTP/2 server on loopback: Netty's own server-side codec over the JDK's TLS,
 * with a self-signed certificate (valid for 5 days, for IP 127.0.0.1 only) made by {@code keytool}. The server
 * records every request with the protocol it came over, the connections it accepted and the stream resets it
 * read, so each test sees what went over the wire.
 */
class Http2CheckTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String PASSWORD = "changeit";
    private static final String UP = "{\"status\":\"UP\"}";

    @TempDir
    static Path keys;
    private static Path caFile;
    private static X509Certificate certificate;
    private static KeyManagerFactory keyManagers;

    private final HttpCheckerFactory factory = new HttpCheckerFactory(System.getLogger("test"), Clock.systemUTC());
    private final List<Server> servers = new ArrayList<>();

    @BeforeAll
    static void makeCertificate() throws Exception {
        Path keyStore = keys.resolve("ks.p12");
        caFile = keys.resolve("ca.pem");
        HttpTlsTest.keytool("-genkeypair", "-alias", "s", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "5", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", PASSWORD);
        HttpTlsTest.keytool("-exportcert", "-rfc", "-alias", "s", "-keystore", keyStore.toString(), "-storepass",
                PASSWORD, "-file", caFile.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        certificate = (X509Certificate) store.getCertificate("s");
        keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, PASSWORD.toCharArray());
    }

    @AfterEach
    void close() {
        factory.close();
        servers.forEach(Server::close);
    }

    @Test
    void speaksHttp2WhenTheServerPicksH2() throws Exception {
        Server server = server("h2", "http/1.1");

        CheckResult result = check(checker(server, "/health", Map.of("expect", Map.of("body", "UP"))));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("HTTP 200");
        assertThat(server.requests).containsExactly("2 GET /health");
    }

    @Test
    void fallsBackToHttp11WhenTheServerOffersOnlyHttp11() throws Exception {
        Server server = server("http/1.1");
        List<HealthChecker> checkers = List.of(checker(server, "/a", Map.of()), checker(server, "/b", Map.of()),
                checker(server, "/c", Map.of()));

        // started together: the later two wait for the first handshake, then open connections of their own
        for (CheckResult result : checkAll(checkers)) {
            assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        }
        assertThat(server.requests).containsExactlyInAnyOrder("1.1 GET /a", "1.1 GET /b", "1.1 GET /c");
    }

    @Test
    void offersOnlyHttp11WithHttp2False() throws Exception {
        Server server = server("h2", "http/1.1");

        CheckResult result = check(checker(server, "/health", Map.of("http2", false)));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.requests).containsExactly("1.1 GET /health");
    }

    @Test
    void http2FalseAgainstAServerThatSpeaksOnlyH2WithoutAlpnSaysSo() throws Exception {
        // Hostile F7: an OpenSSL server whose ALPN list shares nothing with ours completes the handshake with no
        // protocol and speaks h2 anyway; its SETTINGS frame was read as HTTP/1.1 ("Line Feed must be preceded by
        // Carriage Return"). This server has no ALPN at all and speaks h2 right after the handshake.
        Server server = server(100, false, "h2");

        CheckResult result = check(checker(server, "/health", Map.of("http2", false)));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.PROTOCOL);
        assertThat(result.message()).isEqualTo("cannot get " + url(server, "/health") + ": the server answered"
                + " in HTTP/2 (its first bytes are an HTTP/2 SETTINGS frame), but http2: false offers only HTTP/1.1"
                + " and the TLS handshake chose no protocol (ALPN): remove http2: false to check it over HTTP/2");
    }

    @Test
    void passesWhenTheNegotiatedVersionIsExpected() throws Exception {
        Server server = server("h2", "http/1.1");

        assertThat(check(checker(server, "/health", Map.of("expect", Map.of("httpVersion", "2")))).status())
                .isEqualTo(HealthStatus.HEALTHY);
        assertThat(check(checker(server, "/health", Map.of("http2", false,
                "expect", Map.of("httpVersion", List.of("1.1", "HTTP/2.0"))))).status())
                .isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void failsWhenTheNegotiatedVersionIsNotExpected() throws Exception {
        Server http2 = server("h2", "http/1.1");
        Server http11 = server("http/1.1");

        CheckResult overHttp2 = check(checker(http2, "/health", Map.of("expect", Map.of("httpVersion", "1.1"))));
        CheckResult overHttp11 = check(checker(http11, "/health", Map.of("expect", Map.of("httpVersion", 2))));

        assertThat(overHttp2.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(overHttp2.failureReason()).contains(FailureReason.PROTOCOL);
        assertThat(overHttp2.message()).isEqualTo("answered over HTTP/2 (expected HTTP/1.1)");
        assertThat(overHttp11.failureReason()).contains(FailureReason.PROTOCOL);
        assertThat(overHttp11.message()).isEqualTo("answered over HTTP/1.1 (expected HTTP/2)");
    }

    @Test
    void multiplexesTheChecksOfAllServicesOfOneOriginOnOneConnection() throws Exception {
        Server server = server("h2", "http/1.1");
        List<HealthChecker> checkers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            checkers.add(checker(server, "/service" + i, Map.of()));
        }

        for (int round = 0; round < 3; round++) {
            for (CheckResult result : checkAll(checkers)) {
                assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
            }
        }

        assertThat(server.requests).hasSize(24).allMatch(request -> request.startsWith("2 GET /service"));
        assertThat(server.connections).hasValue(1);
    }

    @Test
    void queuesStreamsOverTheServersConcurrentStreamLimit() throws Exception {
        Server server = server(1, "h2");
        List<HealthChecker> checkers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            checkers.add(checker(server, "/slow", Map.of()));
        }

        for (CheckResult result : checkAll(checkers)) {
            assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        }

        assertThat(server.requests).hasSize(4);
        assertThat(server.maxOpen).hasValue(1);
        assertThat(server.connections).hasValue(1);
    }

    @Test
    void aTimeoutResetsOnlyItsStream() throws Exception {
        Server server = server("h2", "http/1.1");
        HealthChecker stalled = checker(server, "/stall", Map.of());
        HealthChecker healthy = checker(server, "/health", Map.of());
        assertThat(check(healthy).status()).isEqualTo(HealthStatus.HEALTHY);

        // the server sends the head of /stall, then nothing
        CompletableFuture<CheckResult> stalling = stalled.check(new CheckContext(1, Duration.ofMillis(300)))
                .toCompletableFuture();
        assertThat(check(healthy).status()).isEqualTo(HealthStatus.HEALTHY);
        CheckResult result = stalling.get(10, TimeUnit.SECONDS);

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(result.message()).isEqualTo("no complete answer from " + url(server, "/stall") + " within 300ms");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.resets.contains(Http2Error.CANCEL.code()));
        // the connection stays for the other services
        assertThat(check(healthy).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.connections).hasValue(1);
    }

    @Test
    void aConnectionWhosePeerVanishedIsClosedAfterAnUnansweredPingAndTheNextCheckUsesANewOne() throws Exception {
        Server server = server("h2");
        try (FreezingProxy proxy = new FreezingProxy(server.port())) {
            HealthChecker healthy = factory.create(HttpCheckerTest.spec("https://127.0.0.1:" + proxy.port() + "/health",
                    Map.of("tls", Map.of("caFile", caFile.toString())), TIMEOUT));
            assertThat(check(healthy).status()).isEqualTo(HealthStatus.HEALTHY);

            // the peer vanishes without a reset: nothing more crosses the connection, in either direction
            proxy.freezeAll();
            CheckResult lost = healthy.check(new CheckContext(1, Duration.ofMillis(300))).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertThat(lost.failureReason()).contains(FailureReason.TIMEOUT);

            // the PING goes unanswered: the connection is dropped, and a check passes again on a new one
            await().atMost(Duration.ofSeconds(15)).until(() -> healthy.check(new CheckContext(1,
                    Duration.ofMillis(500))).toCompletableFuture().get(10, TimeUnit.SECONDS).status() == HealthStatus.HEALTHY);
            assertThat(server.connections).hasValue(2);
        }
    }

    /** A TCP proxy on loopback whose connections can be frozen: bytes stop crossing, the sockets stay open. */
    private static final class FreezingProxy implements AutoCloseable {
        private final java.net.ServerSocket listener = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress());
        private final List<java.util.concurrent.atomic.AtomicBoolean> frozen =
                new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<java.net.Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

        FreezingProxy(int target) throws java.io.IOException {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        java.net.Socket client = listener.accept();
                        java.net.Socket upstream = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), target);
                        sockets.add(client);
                        sockets.add(upstream);
                        java.util.concurrent.atomic.AtomicBoolean pairFrozen = new java.util.concurrent.atomic.AtomicBoolean();
                        frozen.add(pairFrozen);
                        pump(client, upstream, pairFrozen);
                        pump(upstream, client, pairFrozen);
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            }, "test-proxy-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void pump(java.net.Socket from, java.net.Socket to, java.util.concurrent.atomic.AtomicBoolean pairFrozen) {
            Thread pump = new Thread(() -> {
                byte[] buffer = new byte[16384];
                try {
                    int n;
                    while ((n = from.getInputStream().read(buffer)) >= 0) {
                        if (pairFrozen.get()) {
                            closed.await(); // swallowed: a vanished peer neither answers nor resets
                            return;
                        }
                        to.getOutputStream().write(buffer, 0, n);
                    }
                    to.shutdownOutput();
                } catch (java.io.IOException | InterruptedException e) {
                    // closed
                }
            }, "test-proxy-pump");
            pump.setDaemon(true);
            pump.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        void freezeAll() {
            frozen.forEach(flag -> flag.set(true));
        }

        @Override
        public void close() throws java.io.IOException {
            closed.countDown();
            listener.close();
            for (java.net.Socket socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void aSilentStreamTimesOutAndIsReset() throws Exception {
        Server server = server("h2");

        CheckResult result = checker(server, "/silent", Map.of()).check(new CheckContext(1, Duration.ofMillis(200)))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.resets.contains(Http2Error.CANCEL.code()));
    }

    @Test
    void aCancelledCheckResetsOnlyItsStream() throws Exception {
        Server server = server("h2");
        HealthChecker healthy = checker(server, "/health", Map.of());
        assertThat(check(healthy).status()).isEqualTo(HealthStatus.HEALTHY);

        CompletableFuture<CheckResult> silent = checker(server, "/silent", Map.of()).check(new CheckContext(1, TIMEOUT))
                .toCompletableFuture();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.contains("2 GET /silent"));
        silent.cancel(false);

        await().atMost(Duration.ofSeconds(5)).until(() -> server.resets.contains(Http2Error.CANCEL.code()));
        assertThat(check(healthy).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.connections).hasValue(1);
    }

    @Test
    void retriesARefusedStreamOnce() throws Exception {
        Server server = server("h2");
        server.refuseNext.set(true);

        CheckResult result = check(checker(server, "/refuse", Map.of()));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.requests).containsExactly("2 GET /refuse", "2 GET /refuse");
    }

    @Test
    void failsOnAStreamResetByTheServer() throws Exception {
        Server server = server("h2");

        CheckResult result = check(checker(server, "/reset", Map.of()));

        assertThat(result.failureReason()).contains(FailureReason.CONNECT);
        assertThat(result.message()).isEqualTo("cannot get " + url(server, "/reset")
                + ": the server reset the HTTP/2 stream (INTERNAL_ERROR)");
        assertThat(server.requests).containsExactly("2 GET /reset");
    }

    @Test
    void aConnectionResetMidAnswerFailsTheCheckWithoutAnExceptionReachingThePipelinesTail() throws Exception {
        // Hostile F6: the reset reached the tail of the connection's pipeline, and Netty logged "An exceptionCaught()
        // event was fired, and it reached at the tail of the pipeline" and the exception at WARN, once per check.
        Server server = server("h2");
        HealthChecker checker = checker(server, "/reset-mid-answer", Map.of());
        List<String> warnings = new CopyOnWriteArrayList<>();
        java.util.logging.Logger pipelineLog = java.util.logging.Logger.getLogger(
                io.netty.channel.DefaultChannelPipeline.class.getName());
        java.util.logging.Handler recorder = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                warnings.add(record.getLevel() + " " + record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        pipelineLog.addHandler(recorder);
        List<CheckResult> results = new ArrayList<>();
        try {
            results.add(check(checker));
            results.add(check(checker));
        } finally {
            pipelineLog.removeHandler(recorder);
        }

        assertThat(results).allSatisfy(result -> {
            assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(result.message()).startsWith("cannot get " + url(server, "/reset-mid-answer") + ": ");
        });
        assertThat(server.connections).as("connections the checks made").hasValue(2);
        assertThat(warnings).as("what Netty's pipeline logged").isEmpty();
    }

    @Test
    void aServerThatSaysGoAwayWithItsFirstFramesFailsTheCheckWithoutAReconnectLoop() throws Exception {
        Server server = server("h2");
        server.goAwayAtOnce.set(true);

        CheckResult result = checker(server, "/health", Map.of()).check(new CheckContext(1, Duration.ofSeconds(2)))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).isNotEqualTo(java.util.Optional.of(FailureReason.TIMEOUT));
        // the check and its one retry: not a new TLS handshake after another until the deadline
        assertThat(server.connections.get()).isLessThanOrEqualTo(3);
    }

    @Test
    void aCloseDelimitedAnswerEndedByTlsCloseNotifyWithoutAFinIsComplete() throws Exception {
        Server server = server("http/1.1");

        CheckResult result = checker(server, "/close-notify", Map.of("expect", Map.of("body", "up")))
                .check(new CheckContext(1, Duration.ofSeconds(3))).toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.latency()).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void retriesStreamsAboveGoAwaysLastStreamOnceOnANewConnection() throws Exception {
        Server server = server("h2");
        HealthChecker checker = checker(server, "/goaway", Map.of());
        server.goAwayNext.set(true);

        CheckResult result = check(checker);

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.requests).containsExactly("2 GET /goaway", "2 GET /goaway");
        assertThat(server.connections).hasValue(2);
    }

    @Test
    void doesNotRetryAPostRefusedByGoAway() throws Exception {
        Server server = server("h2");
        HealthChecker checker = checker(server, "/goaway", Map.of("method", "POST", "body", "{}"));
        server.goAwayNext.set(true);

        CheckResult result = check(checker);

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.CONNECT);
        assertThat(result.message()).isEqualTo("cannot get " + url(server, "/goaway")
                + ": the server closed the HTTP/2 connection (GOAWAY) without answering");
        assertThat(server.requests).containsExactly("2 POST /goaway {}");
    }

    @Test
    void resetsTheStreamOfABodyOverTheLimitAndKeepsTheConnection() throws Exception {
        Server server = server("h2");
        HealthChecker big = checker(server, "/big", Map.of("expect", Map.of("body", "never")));

        CheckResult result = check(big);

        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("body did not match /never/ in its first 64 KiB");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.resets.contains(Http2Error.CANCEL.code()));
        assertThat(check(checker(server, "/health", Map.of())).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.connections).hasValue(1);
    }

    @Test
    void judgesEveryConditionOverHttp2AsOverHttp11() throws Exception {
        Server server = server("h2");

        CheckResult status = check(checker(server, "/status/503", Map.of()));
        CheckResult json = check(checker(server, "/health", Map.of("expect",
                Map.of("json", Map.of("/status", "UP"), "headers", Map.of("Content-Type", "json"),
                        "bodyNotContains", "DOWN"))));
        CheckResult header = check(checker(server, "/health", Map.of("expect", Map.of("headers",
                Map.of("X-Version", "")))));
        CheckResult notContains = check(checker(server, "/health", Map.of("expect", Map.of("bodyNotContains",
                "UP"))));
        CheckResult expiring = check(checker(server, "/health", Map.of("tls", Map.of("caFile", caFile.toString(),
                "certExpiryWarningDays", 30))));
        CheckResult head = check(checker(server, "/health", Map.of("method", "HEAD")));

        assertThat(status.failureReason()).contains(FailureReason.STATUS);
        assertThat(status.message()).isEqualTo("HTTP 503 (expected 200-399)");
        assertThat(json.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(header.message()).isEqualTo("header X-Version is missing");
        assertThat(notContains.failureReason()).contains(FailureReason.BODY);
        assertThat(notContains.message()).isEqualTo("body contains \"UP\"");
        assertThat(expiring.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(expiring.failureReason()).contains(FailureReason.TLS);
        LocalDate expiry = LocalDate.ofInstant(certificate.getNotAfter().toInstant(), ZoneOffset.UTC);
        assertThat(expiring.message()).startsWith("certificate for 127.0.0.1 expires in ").endsWith(
                " (" + expiry + ")");
        assertThat(head.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.requests).allMatch(request -> request.startsWith("2 "));
    }

    @Test
    void reportsSlowAnswersOverHttp2AsDegraded() throws Exception {
        Server server = server("h2");

        CheckResult result = check(checker(server, "/slow", Map.of("expect", Map.of("maxResponseTime", "10ms"))));

        assertThat(result.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(result.message()).startsWith("answered in ").endsWith("ms (limit 10ms)");
    }

    @Test
    void aRefusedConnectionFailsEveryWaitingCheckAsConnect() throws Exception {
        int port = StalledServer.refusedAddress().getPort();
        List<HealthChecker> checkers = new ArrayList<>();
        for (String path : List.of("/a", "/b", "/c")) {
            checkers.add(factory.create(HttpCheckerTest.spec("https://127.0.0.1:" + port + path,
                    Map.of("tls", Map.of("caFile", caFile.toString())), TIMEOUT)));
        }

        // the later two wait for the first connection's handshake, which never comes: they must not hang
        List<CheckResult> results = checkAll(checkers);
        results.add(check(checkers.get(0)));

        for (CheckResult result : results) {
            assertThat(result.failureReason()).contains(FailureReason.CONNECT);
            assertThat(result.message()).startsWith("cannot get https://127.0.0.1:" + port + "/");
        }
    }

    @Test
    void aFailedHandshakeFailsEveryWaitingCheckAsTls() throws Exception {
        // a plain-text server on the https port: every handshake fails
        try (StalledServer plain = StalledServer.saying("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) {
            int port = plain.port();
            List<HealthChecker> checkers = new ArrayList<>();
            for (String path : List.of("/a", "/b", "/c")) {
                checkers.add(factory.create(HttpCheckerTest.spec("https://127.0.0.1:" + port + path,
                        Map.of("tls", Map.of("caFile", caFile.toString())), TIMEOUT)));
            }

            for (CheckResult result : checkAll(checkers)) {
                assertThat(result.failureReason()).contains(FailureReason.TLS);
                assertThat(result.message()).endsWith(" failed: Unsupported or unrecognized SSL message");
            }
        }
    }

    @Test
    void rejectsBadHttp2SettingsNamingTheirKeys() {
        assertThat(problems("https://127.0.0.1:1/", Map.of("http2", "sometimes")))
                .extracting(ConfigProblem::keyPath).containsExactly("services[0].http2");
        List<ConfigProblem> versions = problems("https://127.0.0.1:1/", Map.of("expect",
                Map.of("httpVersion", List.of("2", "3"))));
        assertThat(versions).extracting(ConfigProblem::keyPath).containsExactly("services[0].expect.httpVersion[1]");
        assertThat(versions.get(0).message()).isEqualTo("expected \"1.1\" or \"2\" (HTTP/1.0 is spoken by no"
                + " client of aegis), found \"3\"");
        assertThat(problems("https://127.0.0.1:1/", Map.of("expect", Map.of("httpVersion", List.of()))))
                .extracting(ConfigProblem::keyPath).containsExactly("services[0].expect.httpVersion");
        List<ConfigProblem> plain = problems("http://127.0.0.1:1/", Map.of("expect", Map.of("httpVersion", "2")));
        assertThat(plain).extracting(ConfigProblem::keyPath).containsExactly("services[0].expect.httpVersion");
        assertThat(plain.get(0).message()).contains("aegis speaks HTTP/2 only with https:// endpoints (no h2c)");
        assertThat(problems("https://127.0.0.1:1/", Map.of("http2", false, "expect", Map.of("httpVersion", "2"))))
                .extracting(ConfigProblem::message).containsExactly("expected a version this service can be"
                        + " checked over: http2 is false, so only HTTP/1.1 is offered; add \"1.1\" or remove"
                        + " expect.httpVersion");
    }

    private List<ConfigProblem> problems(String endpoint, Map<String, ?> settings) {
        try {
            factory.create(HttpCheckerTest.spec(endpoint, settings, TIMEOUT));
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected a ConfigException for " + settings);
    }

    private HealthChecker checker(Server server, String path, Map<String, ?> settings) {
        Map<String, Object> withTrust = new HashMap<>(settings);
        withTrust.putIfAbsent("tls", Map.of("caFile", caFile.toString()));
        return factory.create(HttpCheckerTest.spec(url(server, path), withTrust, TIMEOUT));
    }

    private static String url(Server server, String path) {
        return "https://127.0.0.1:" + server.port() + path;
    }

    private static CheckResult check(HealthChecker checker) throws Exception {
        return checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static List<CheckResult> checkAll(List<HealthChecker> checkers) throws Exception {
        List<CompletableFuture<CheckResult>> running = new ArrayList<>();
        for (HealthChecker checker : checkers) {
            running.add(checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture());
        }
        List<CheckResult> results = new ArrayList<>();
        for (CompletableFuture<CheckResult> each : running) {
            results.add(each.get(10, TimeUnit.SECONDS));
        }
        return results;
    }

    private Server server(String... protocols) throws Exception {
        return server(100, protocols);
    }

    private Server server(int maxConcurrentStreams, String... protocols) throws Exception {
        return server(maxConcurrentStreams, true, protocols);
    }

    /** With {@code alpn} false: no ALPN in the handshake, and the first of {@code protocols} spoken after it. */
    private Server server(int maxConcurrentStreams, boolean alpn, String... protocols) throws Exception {
        Server server = new Server(maxConcurrentStreams, alpn, protocols);
        servers.add(server);
        return server;
    }

    /** An HTTPS server on loopback speaking the ALPN protocols it is given (h2 and/or http/1.1). */
    private static final class Server implements AutoCloseable {
        final List<String> requests = new CopyOnWriteArrayList<>();
        final List<Long> resets = new CopyOnWriteArrayList<>();
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final AtomicBoolean goAwayNext = new AtomicBoolean();
        /** Every new h2 connection gets a GOAWAY (last stream 0) with the server's first frames: a draining server. */
        final AtomicBoolean goAwayAtOnce = new AtomicBoolean();
        final AtomicBoolean refuseNext = new AtomicBoolean();
        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel listener;

        Server(int maxConcurrentStreams, boolean alpn, String... protocols) throws Exception {
            SslContext tls = SslContextBuilder.forServer(keyManagers)
                    .sslProvider(SslProvider.JDK)
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(alpn ? new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocols)
                            : ApplicationProtocolConfig.DISABLED)
                    .build();
            listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            connections.incrementAndGet();
                            if (!alpn) {
                                Http2FrameCodec codec = Http2FrameCodecBuilder.forServer().build();
                                channel.pipeline().addLast(tls.newHandler(channel.alloc()), codec,
                                        new Http2Answers(codec));
                                return;
                            }
                            channel.pipeline().addLast(tls.newHandler(channel.alloc()),
                                    new ApplicationProtocolNegotiationHandler("http/1.1") {
                                        @Override
                                        protected void configurePipeline(ChannelHandlerContext context,
                                                String protocol) {
                                            if (protocol.equals("h2")) {
                                                Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                                                        .initialSettings(Http2Settings.defaultSettings()
                                                                .maxConcurrentStreams(maxConcurrentStreams))
                                                        .build();
                                                context.pipeline().addLast(codec, new Http2Answers(codec));
                                                if (goAwayAtOnce.get()) {
                                                    codec.goAway(context.pipeline().context(codec), 0,
                                                            Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                                                            context.newPromise());
                                                    context.flush();
                                                }
                                            } else {
                                                context.pipeline().addLast(new HttpServerCodec(),
                                                        new HttpObjectAggregator(1 << 20), new Http1Answers());
                                            }
                                        }
                                    });
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) listener.localAddress()).getPort();
        }

        @Override
        public void close() {
            listener.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }

        /** The HTTP/2 side: answers by path once the request has ended. */
        private final class Http2Answers extends ChannelInboundHandlerAdapter {
            private final Http2FrameCodec codec;
            private final Map<Http2FrameStream, String> started = new HashMap<>();

            Http2Answers(Http2FrameCodec codec) {
                this.codec = codec;
            }

            @Override
            public void channelRead(ChannelHandlerContext context, Object message) {
                try {
                    if (message instanceof Http2HeadersFrame) {
                        Http2HeadersFrame frame = (Http2HeadersFrame) message;
                        String request = frame.headers().method() + " " + frame.headers().path();
                        if (frame.isEndStream()) {
                            answer(context, frame.stream(), request);
                        } else {
                            started.put(frame.stream(), request);
                        }
                    } else if (message instanceof Http2DataFrame) {
                        Http2DataFrame frame = (Http2DataFrame) message;
                        String body = frame.content().toString(StandardCharsets.UTF_8);
                        started.computeIfPresent(frame.stream(), (stream, request) -> request + " " + body);
                        if (frame.isEndStream()) {
                            answer(context, frame.stream(), started.remove(frame.stream()));
                        }
                    } else if (message instanceof Http2ResetFrame) {
                        resets.add(((Http2ResetFrame) message).errorCode());
                    }
                } finally {
                    ReferenceCountUtil.release(message);
                }
            }

            private void answer(ChannelHandlerContext context, Http2FrameStream stream, String request) {
                requests.add("2 " + request);
                String path = request.split(" ")[1];
                switch (path) {
                    case "/stall":
                        context.writeAndFlush(new DefaultHttp2HeadersFrame(head(200)).stream(stream));
                        return;
                    case "/silent":
                        return;
                    case "/refuse":
                        if (refuseNext.compareAndSet(true, false)) {
                            context.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM).stream(stream));
                            return;
                        }
                        break;
                    case "/reset-mid-answer":
                        // a server that dies mid-answer: the head, 5 of 100 bytes, then a TCP RST (no close_notify,
                        // no FIN), as when a process is killed with a request unread
                        context.write(new DefaultHttp2HeadersFrame(head(200).setInt("content-length", 100))
                                .stream(stream));
                        context.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("up...",
                                StandardCharsets.UTF_8), false).stream(stream)).addListener(written -> {
                                    context.channel().config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
                                    context.channel().unsafe().close(context.channel().voidPromise());
                                });
                        return;
                    case "/reset":
                        context.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR).stream(stream));
                        return;
                    case "/goaway":
                        if (goAwayNext.compareAndSet(true, false)) {
                            // the request's stream is above the last one this server will process
                            codec.goAway(context.pipeline().context(codec), stream.id() - 2, Http2Error.NO_ERROR.code(),
                                    Unpooled.EMPTY_BUFFER, context.newPromise());
                            context.flush();
                            return;
                        }
                        break;
                    case "/big":
                        context.write(new DefaultHttp2HeadersFrame(head(200)).stream(stream));
                        for (int i = 0; i < 10; i++) {
                            ByteBuf chunk = Unpooled.wrappedBuffer(new byte[10 * 1024]);
                            context.write(new DefaultHttp2DataFrame(chunk, i == 9).stream(stream));
                        }
                        context.flush();
                        return;
                    case "/slow":
                        int now = open.incrementAndGet();
                        maxOpen.accumulateAndGet(now, Math::max);
                        context.executor().schedule(() -> {
                            open.decrementAndGet();
                            up(context, stream, 200);
                        }, 50, TimeUnit.MILLISECONDS);
                        return;
                    default:
                        break;
                }
                up(context, stream, path.startsWith("/status/") ? Integer.parseInt(path.substring(8)) : 200);
            }

            private void up(ChannelHandlerContext context, Http2FrameStream stream, int status) {
                boolean head = requests.get(requests.size() - 1).startsWith("2 HEAD");
                context.write(new DefaultHttp2HeadersFrame(head(status), head).stream(stream));
                if (!head) {
                    context.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(UP, StandardCharsets.UTF_8), true)
                            .stream(stream));
                }
                context.flush();
            }

            private Http2Headers head(int status) {
                return new DefaultHttp2Headers().status(Integer.toString(status))
                        .set("content-type", "application/json");
            }
        }

        /** The HTTP/1.1 side. */
        private final class Http1Answers extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext context, Object message) {
                try {
                    FullHttpRequest request = (FullHttpRequest) message;
                    requests.add("1.1 " + request.method() + " " + request.uri());
                    if (request.uri().equals("/close-notify")) {
                        // as `openssl s_server -www` answers: HTTP/1.0, the body ended by the close, then TLS
                        // close_notify and no TCP FIN (the server waits for the client to close)
                        context.pipeline().context(HttpServerCodec.class).writeAndFlush(Unpooled.copiedBuffer(
                                "HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\nup\r\n", StandardCharsets.UTF_8));
                        context.pipeline().get(io.netty.handler.ssl.SslHandler.class).closeOutbound();
                        return;
                    }
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.copiedBuffer(UP, StandardCharsets.UTF_8));
                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
                    context.writeAndFlush(response);
                } finally {
                    ReferenceCountUtil.release(message);
                }
            }
        }
    }
}
