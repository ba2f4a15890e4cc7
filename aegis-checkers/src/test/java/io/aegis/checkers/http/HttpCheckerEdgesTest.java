package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a check says when its checker is closed under it, or when judging its answer throws. */
class HttpCheckerEdgesTest {
    /** Long enough that a verdict by the deadline could not be mistaken for the one asserted. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpCheckerFactory factory = new HttpCheckerFactory();

    @AfterEach
    void close() {
        factory.close();
    }

    @Test
    void aCheckQueuedWhenItsCheckerIsClosedSaysSoInsteadOfSendingAFreedRequest() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String endpoint = "http://127.0.0.1:" + server.getLocalPort() + "/health";
            HttpChecker checker = (HttpChecker) factory.create(HttpCheckerTest.spec(endpoint, Map.of(), TIMEOUT));
            // a second checker keeps the origin (and its loop) in use after the first is closed
            HealthChecker other = factory.create(HttpCheckerTest.spec(endpoint, Map.of(), TIMEOUT));
            CountDownLatch hold = new CountDownLatch(1);
            checker.origin().loop.execute(() -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<CheckResult> pending = checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture();
            checker.close(); // while the check still waits for the loop: its connect comes after the close
            hold.countDown();

            CheckResult result = pending.get(20, TimeUnit.SECONDS);
            assertThat(result.failureReason()).contains(FailureReason.PLUGIN_ERROR);
            assertThat(result.message()).isEqualTo("the http checker is closed");
            other.close();
        }
    }

    @Test
    void aBodyRegexThatOverflowsTheStackIsReportedAtOnceNotAsATimeout() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answering = new Thread(() -> {
                try (Socket socket = server.accept()) {
                    socket.getInputStream().read(new byte[4096]);
                    OutputStream out = socket.getOutputStream();
                    String body = "ab".repeat(30_000);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    socket.getInputStream().read(); // until the client closes
                } catch (Exception e) {
                    // the test ends: so does the answer
                }
            }, "answering");
            answering.setDaemon(true);
            answering.start();
            HealthChecker checker = factory.create(HttpCheckerTest.spec("http://127.0.0.1:" + server.getLocalPort()
                    + "/health", Map.of("expect", Map.of("body", "^(a|b)*c")), TIMEOUT));

            CheckResult result = checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture()
                    .get(20, TimeUnit.SECONDS);

            assertThat(result.failureReason()).contains(FailureReason.PLUGIN_ERROR);
            assertThat(result.message()).startsWith("could not judge the answer of http://127.0.0.1:")
                    .contains("expect.body regex needs more stack");
        }
    }
}
