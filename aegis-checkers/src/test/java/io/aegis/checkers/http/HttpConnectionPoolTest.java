package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.plugin.support.BoundedBody;
import io.aegis.testkit.StalledServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client under the http checker: its keep-alive pool, its deadline and its limits, against a raw HTTP/1.1
 * server on loopback that counts the connections it accepts and sees when the client closes one.
 */
class HttpConnectionPoolTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private final HttpCheckerFactory factory = new HttpCheckerFactory();
    private RawServer server;

    @AfterEach
    void stop() throws IOException {
        factory.close();
        if (server != null) {
            server.close();
        }
    }

    @Test
    void reusesOneConnectionForEveryCheckerOfTheSameOrigin() throws Exception {
        server = new RawServer((connection, request, in, out) -> write(out, OK));
        HealthChecker first = factory.create(spec("/a", Map.of()));
        HealthChecker second = factory.create(spec("/b", Map.of()));

        for (int i = 0; i < 3; i++) {
            assertThat(check(first).status()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(check(second).status()).isEqualTo(HealthStatus.HEALTHY);
        }

        assertThat(server.accepted).hasValue(1);
        assertThat(server.requests).hasSize(6);
    }

    @Test
    void doesNotReuseAConnectionThatHoldsBytesAfterItsAnswer() throws Exception {
        // a server that sends a body with its HEAD answer: those two bytes must not become the start of the next one
        server = new RawServer((connection, request, in, out) -> write(out, OK));
        HealthChecker head = factory.create(spec("/head", Map.of("method", "HEAD")));
        HealthChecker get = factory.create(spec("/get", Map.of()));

        for (int i = 0; i < 3; i++) {
            assertThat(check(head).status()).isEqualTo(HealthStatus.HEALTHY);
            CheckResult result = check(get);
            assertThat(result.status()).as(result.message()).isEqualTo(HealthStatus.HEALTHY);
        }

        // each HEAD leaves its connection closed (the first its own, the later ones the GET's they reused), so each
        // GET after it connects anew: 1 + 3
        assertThat(server.accepted).as("a new connection after each HEAD").hasValue(4);
    }

    @Test
    void opensANewConnectionAfterAnAnswerWithConnectionClose() throws Exception {
        server = new RawServer((connection, request, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
            return false;
        });
        HealthChecker checker = factory.create(spec("/health", Map.of()));

        for (int i = 0; i < 5; i++) {
            assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);
        }

        assertThat(server.accepted).hasValue(5);
    }

    @Test
    void passesEveryCheckAgainstAServerThatClosesEachConnectionAfterItsAnswer() throws Exception {
        // the benchmark's "new connection per check" mode: keep-alive is not refused, the socket is just closed
        server = new RawServer((connection, request, in, out) -> {
            write(out, OK);
            return false;
        });
        HealthChecker checker = factory.create(spec("/health", Map.of()));

        for (int i = 0; i < 20; i++) {
            CheckResult result = check(checker);
            assertThat(result.status()).as(result.message()).isEqualTo(HealthStatus.HEALTHY);
        }

        assertThat(server.accepted).hasValue(20);
    }

    @Test
    void retriesOnceOnANewConnectionWhenAKeptAliveOneIsClosedAsItIsReused() throws Exception {
        // the first connection answers once, then closes on the second request without a word: the race of a
        // server closing an idle connection just as the client sends on it
        server = new RawServer((connection, request, in, out) -> {
            if (connection == 1 && request == 2) {
                return false;
            }
            write(out, OK);
            return true;
        });
        HealthChecker checker = factory.create(spec("/health", Map.of()));

        assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);
        CheckResult reused = check(checker);

        assertThat(reused.status()).as(reused.message()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.accepted).hasValue(2);
    }

    @Test
    void doesNotRetryAPostOnAClosedKeptAliveConnection() throws Exception {
        server = new RawServer((connection, request, in, out) -> {
            if (connection == 1 && request == 2) {
                return false;
            }
            write(out, OK);
            return true;
        });
        HealthChecker checker = factory.create(spec("/health", Map.of("method", "POST", "body", "x")));

        assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);
        CheckResult reused = check(checker);

        assertThat(reused.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(reused.failureReason()).contains(FailureReason.CONNECT);
        assertThat(server.accepted).hasValue(1);
    }

    @Test
    void timesOutAndClosesTheConnectionWhenTheServerNeverAnswers() throws Exception {
        server = new RawServer((connection, request, in, out) -> {
            return true; // reads the request, never answers
        });
        HealthChecker checker = factory.create(spec("/health", Map.of()));

        CheckResult result = checker.check(new CheckContext(1, Duration.ofMillis(300)))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedByClient.get() == 1);
    }

    @Test
    void cancellingTheCheckClosesItsConnection() throws Exception {
        server = new RawServer((connection, request, in, out) -> true);
        HealthChecker checker = factory.create(spec("/health", Map.of()));

        CompletableFuture<CheckResult> pending = checker.check(new CheckContext(1, Duration.ofSeconds(30)))
                .toCompletableFuture();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.size() == 1);
        pending.cancel(true);

        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedByClient.get() == 1);
    }

    @Test
    void readsAChunkedBody() throws Exception {
        server = new RawServer((connection, request, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
                    + "5\r\n{\"sta\r\n9\r\ntus\":\"UP\"\r\n1\r\n}\r\n0\r\n\r\n");
            return true;
        });
        HealthChecker checker = factory.create(spec("/health",
                Map.of("expect", Map.of("json", Map.of("/status", "UP")))));

        assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.accepted).hasValue(1);
    }

    @Test
    void readsAnHttp10BodyThatEndsWithTheConnection() throws Exception {
        // python3 -m http.server and other HTTP/1.0 servers: no Content-Length, the body ends at the close
        server = new RawServer((connection, request, in, out) -> {
            write(out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nstatus: UP");
            return false;
        });
        HealthChecker checker = factory.create(spec("/health", Map.of("expect", Map.of("body", "UP$"))));

        for (int i = 0; i < 3; i++) {
            CheckResult result = check(checker);
            assertThat(result.status()).as(result.message()).isEqualTo(HealthStatus.HEALTHY);
        }
        assertThat(server.accepted).hasValue(3);
    }

    @Test
    void waitsForNoBodyAfterAHeadAnswerAndKeepsItsConnection() throws Exception {
        server = new RawServer((connection, request, in, out) -> {
            // the length of the body a GET would get; a client that waited for it would time out
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            return true;
        });
        HealthChecker checker = factory.create(spec("/health", Map.of("method", "HEAD")));

        assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(server.requests).allSatisfy(line -> assertThat(line).startsWith("HEAD /health HTTP/1.1"));
        assertThat(server.accepted).hasValue(1);
    }

    @Test
    void stopsReadingABodyLongerThanTheLimitAndClosesItsConnection() throws Exception {
        String big = "x".repeat(1024 * 1024);
        server = new RawServer((connection, request, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + big.length() + "\r\n\r\n" + big);
            return true;
        });
        HealthChecker kept = factory.create(spec("/kept", Map.of("expect", Map.of("body", "UP"))));
        HealthChecker drained = factory.create(spec("/drained", Map.of()));

        CheckResult result = check(kept);
        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("body did not match /UP/ in its first " + BoundedBody.LIMIT / 1024
                + " KiB");
        assertThat(check(drained).status()).isEqualTo(HealthStatus.HEALTHY);

        // neither connection went back to the pool with a megabyte still unread
        assertThat(server.accepted).hasValue(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedByClient.get() == 2);
    }

    @Test
    void keepsABodyOfExactlyTheLimitWhole() throws Exception {
        String body = "x".repeat(BoundedBody.LIMIT - 2) + "UP";
        server = new RawServer((connection, request, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            return true;
        });

        CheckResult result = check(factory.create(spec("/health", Map.of("expect", Map.of("body", "UP$")))));

        assertThat(result.status()).as(result.message()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void decodesTheBodyWithTheCharsetOfItsContentType() throws Exception {
        server = new RawServer((connection, request, in, out) -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Length: 4\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.write("gr\u00fcn".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return true;
        });

        CheckResult result = check(factory.create(spec("/health", Map.of("expect", Map.of("body", "gr\u00fcn")))));

        assertThat(result.status()).as(result.message()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void saysConnectionRefusedInTheJdkClientsWordsOnEitherTransport() throws Exception {
        int freePort = StalledServer.refusedAddress().getPort();
        String endpoint = "http://127.0.0.1:" + freePort + "/health";

        CheckResult result = check(factory.create(HttpCheckerTest.spec(endpoint, Map.of(), TIMEOUT)));

        assertThat(result.failureReason()).contains(FailureReason.CONNECT);
        // not the epoll transport's "finishConnect(..) failed: Connection refused"
        assertThat(result.message()).isEqualTo("cannot get " + endpoint + ": Connection refused");
    }

    @Test
    void reportsAProtocolFailureWhenTheAnswerIsNotHttp() throws Exception {
        server = new RawServer((connection, request, in, out) -> {
            write(out, "SSH-2.0-OpenSSH_9.6\r\n\r\n");
            return true;
        });

        CheckResult result = check(factory.create(spec("/health", Map.of())));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.PROTOCOL);
    }

    @Test
    void closeEndsEveryThreadOfTheFactoryAndLaterChecksSayItIsClosed() throws Exception {
        server = new RawServer((connection, request, in, out) -> write(out, OK));
        HealthChecker checker = factory.create(spec("/health", Map.of()));
        assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(httpThreads()).isNotEmpty();

        factory.close();

        assertThat(httpThreads()).isEmpty();
        CheckResult after = check(checker);
        assertThat(after.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(after.message()).isEqualTo("the http checker is closed");
    }

    @Test
    void closingTheLastCheckerOfAnOriginClosesItsIdleConnections() throws Exception {
        server = new RawServer((connection, request, in, out) -> write(out, OK));
        HealthChecker checker = factory.create(spec("/health", Map.of()));
        assertThat(check(checker).status()).isEqualTo(HealthStatus.HEALTHY);

        checker.close();

        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedByClient.get() == 1);
    }

    @Test
    void usesTheNativeTransportOnLinuxX8664() throws Exception {
        server = new RawServer((connection, request, in, out) -> write(out, OK));
        check(factory.create(spec("/health", Map.of())));

        boolean linuxX64 = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
        assertThat(factory.epoll()).isEqualTo(linuxX64);
    }

    private static List<String> httpThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.startsWith("aegis-http")).toList();
    }

    private io.aegis.api.CheckerSpec spec(String path, Map<String, ?> settings) {
        return HttpCheckerTest.spec("http://127.0.0.1:" + server.port() + path, settings, TIMEOUT);
    }

    private static CheckResult check(HealthChecker checker) throws Exception {
        return checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static boolean write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return true;
    }

    /** What the server does with one request; returns whether to keep the connection open for the next. */
    @FunctionalInterface
    private interface Handler {
        boolean answer(int connection, int request, InputStream in, OutputStream out) throws IOException;
    }

    /** A thread per connection; counts accepts, keeps request lines, and counts connections the client closed. */
    private static final class RawServer implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger closedByClient = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final ServerSocket listener;
        private final Handler handler;

        RawServer(Handler handler) throws IOException {
            this.handler = handler;
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "raw-http-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket socket = listener.accept();
                    sockets.add(socket);
                    int number = accepted.incrementAndGet();
                    Thread thread = new Thread(() -> serve(socket, number), "raw-http-connection-" + number);
                    thread.setDaemon(true);
                    thread.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket socket, int connection) {
            try (socket) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                for (int request = 1; ; request++) {
                    String head = readHead(in);
                    if (head == null) {
                        closedByClient.incrementAndGet();
                        return;
                    }
                    requests.add(head);
                    int length = contentLength(head);
                    in.readNBytes(length);
                    if (!handler.answer(connection, request, in, out)) {
                        return;
                    }
                }
            } catch (IOException e) {
                // a reset by the client (it closed with unread data) is a close too
                closedByClient.incrementAndGet();
            }
        }

        /** The request line and headers, or null at the end of the stream. */
        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            int next;
            while ((next = in.read()) != -1) {
                head.write(next);
                matched = next == "\r\n\r\n".charAt(matched) ? matched + 1 : next == '\r' ? 1 : 0;
                if (matched == 4) {
                    return head.toString(StandardCharsets.ISO_8859_1);
                }
            }
            return null;
        }

        private static int contentLength(String head) {
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    return Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            return 0;
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
