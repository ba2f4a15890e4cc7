package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Host names are looked up off the event loops (review S1): a lookup that hangs (a dead DNS server) must not stall
 * the checks of other origins that share its loop, and the check waiting for it still ends at its own deadline.
 * The resolver is a stub: {@code slow.test} blocks until released, every other name is loopback.
 */
class HttpResolverTest {
    private final CountDownLatch slowEntered = new CountDownLatch(1);
    private final CountDownLatch releaseSlow = new CountDownLatch(1);
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    // one loop: every origin shares it, as a slow name's neighbours do on a real machine
    private final HttpCheckerFactory factory = new HttpCheckerFactory(System.getLogger("test"), Clock.systemUTC(),
            () -> new HttpTransport(1, this::resolve));
    private final ClosingServer server;

    HttpResolverTest() throws IOException {
        server = new ClosingServer();
    }

    private InetAddress resolve(String host) throws UnknownHostException {
        lookups.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
        if (host.equals("slow.test")) {
            slowEntered.countDown();
            try {
                releaseSlow.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (host.endsWith(".invalid")) {
            throw new UnknownHostException(host);
        }
        return InetAddress.getLoopbackAddress();
    }

    @AfterEach
    void stop() throws IOException {
        releaseSlow.countDown();
        factory.close();
        server.close();
    }

    @Test
    void aHangingLookupDoesNotStallOtherOriginsOnTheSameLoop() throws Exception {
        HealthChecker slow = factory.create(spec("slow.test", Duration.ofSeconds(1)));
        HealthChecker fast = factory.create(spec("fast.test", Duration.ofSeconds(1)));

        CompletableFuture<CheckResult> waiting = check(slow, Duration.ofSeconds(1));
        assertThat(slowEntered.await(5, TimeUnit.SECONDS)).as("the slow lookup started").isTrue();

        // while the lookup of slow.test hangs, fast.test (same loop) is checked within its own 1 s timeout;
        // resolved on the loop, this check could not even start until the lookup returned
        CheckResult other = check(fast, Duration.ofSeconds(1)).get(1500, TimeUnit.MILLISECONDS);
        assertThat(other.status()).as(other.message()).isEqualTo(HealthStatus.HEALTHY);

        // the check of the slow name ends at its own deadline, the lookup still hanging: the deadline covers it
        CheckResult timedOut = waiting.get(2500, TimeUnit.MILLISECONDS);
        assertThat(timedOut.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(timedOut.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(releaseSlow.getCount()).as("still hanging").isEqualTo(1);

        releaseSlow.countDown();
        CheckResult later = check(slow, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
        assertThat(later.status()).as(later.message()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void looksANameUpOnceForManyNewConnectionsAndEndsItsThreadsOnClose() throws Exception {
        HealthChecker first = factory.create(spec("fast.test", Duration.ofSeconds(2)));
        HealthChecker second = factory.create(spec("fast.test", Duration.ofSeconds(2)));

        for (int i = 0; i < 5; i++) {
            assertThat(check(first, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS).status())
                    .isEqualTo(HealthStatus.HEALTHY);
            assertThat(check(second, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS).status())
                    .isEqualTo(HealthStatus.HEALTHY);
        }

        // the server closes every connection, so each check connected anew; the name was looked up once
        assertThat(server.accepted).hasValue(10);
        assertThat(lookups.get("fast.test")).hasValue(1);
        factory.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("aegis-http-dns") && t.isAlive()));
    }

    @Test
    void aNameThatDoesNotResolveFailsAsBeforeAndIsLookedUpAgainNextTime() throws Exception {
        HealthChecker missing = factory.create(spec("nowhere.invalid", Duration.ofSeconds(2)));

        for (int i = 0; i < 2; i++) {
            CheckResult result = check(missing, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
            assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(result.failureReason()).contains(FailureReason.DNS);
            assertThat(result.message()).isEqualTo("cannot resolve host nowhere.invalid");
        }
        // a failure is not kept by the origin (the JVM keeps its own negative cache)
        assertThat(lookups.get("nowhere.invalid")).hasValue(2);
    }

    private io.aegis.api.CheckerSpec spec(String host, Duration timeout) {
        return HttpCheckerTest.spec("http://" + host + ":" + server.port() + "/health", Map.of(), timeout);
    }

    private static CompletableFuture<CheckResult> check(HealthChecker checker, Duration timeout) {
        return checker.check(new CheckContext(1, timeout)).toCompletableFuture();
    }

    /** Answers 200 to the first request of each connection and closes it: every check connects anew. */
    private static final class ClosingServer implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());

        ClosingServer() throws IOException {
            Thread acceptor = new Thread(this::serve, "closing-http-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        private void serve() {
            while (!listener.isClosed()) {
                try (Socket socket = listener.accept()) {
                    accepted.incrementAndGet();
                    InputStream in = socket.getInputStream();
                    int matched = 0;
                    int b;
                    while (matched < 4 && (b = in.read()) >= 0) {
                        matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
                    }
                    OutputStream out = socket.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    // closed by the test, or a client that gave up: next connection
                }
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
