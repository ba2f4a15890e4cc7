package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.StalledServer;
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
        try (StalledServer server = StalledServer.start()) {
            String endpoint = "http://127.0.0.1:" + server.port() + "/health";
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
        try (LoopbackHttpServer server = LoopbackHttpServer.start()) {
            server.respondWith(200, "ab".repeat(30_000));
            HealthChecker checker = factory.create(HttpCheckerTest.spec(server.uri("/health").toString(),
                    Map.of("expect", Map.of("body", "^(a|b)*c")), TIMEOUT));

            CheckResult result = checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture()
                    .get(20, TimeUnit.SECONDS);

            assertThat(result.failureReason()).contains(FailureReason.PLUGIN_ERROR);
            assertThat(result.message()).startsWith("could not judge the answer of http://127.0.0.1:")
                    .contains("expect.body regex needs more stack");
        }
    }
}
