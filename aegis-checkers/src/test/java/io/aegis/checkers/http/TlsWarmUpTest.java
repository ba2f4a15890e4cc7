package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile F10: the first https check of a cold JVM did a few hundred milliseconds of one-off work on its event loop
 * (Netty's allocator initialising JFR, JSSE's handshake machinery) within its timeout. The factory does it once,
 * on a thread of its own, as soon as it makes its first https origin.
 */
class TlsWarmUpTest {
    private static final Duration PROMPTLY = Duration.ofSeconds(10);

    private final HttpCheckerFactory factory = new HttpCheckerFactory();

    @AfterEach
    void close() {
        factory.close();
    }

    @Test
    void theFirstHttpsOriginStartsOneTlsWarmUpOffTheLoopWhichEndsByItself() {
        factory.create(HttpCheckerTest.spec("http://127.0.0.1:9/health", Map.of(), PROMPTLY));
        assertThat(factory.tlsWarmUp()).as("the warm-up after a plain http checker").isNull();

        factory.create(HttpCheckerTest.spec("https://127.0.0.1:9/health", Map.of(), PROMPTLY));
        CompletableFuture<Void> warmUp = factory.tlsWarmUp();
        factory.create(HttpCheckerTest.spec("https://127.0.0.2:9/health",
                Map.of("tls", Map.of("insecureSkipVerify", true)), PROMPTLY));

        assertThat(warmUp).as("the warm-up").isNotNull().succeedsWithin(PROMPTLY);
        assertThat(factory.tlsWarmUp()).as("the warm-up after a second https origin").isSameAs(warmUp);
        await().atMost(PROMPTLY).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(thread -> thread.getName().equals("aegis-tls-warm-up")));
    }

    @Test
    void theWarmUpWritesAClientHelloWithTheChecksParametersAndCompletesNormally() throws Exception {
        assertThat(TlsSettings.warmUp(javax.net.ssl.SSLContext.getDefault())).succeedsWithin(PROMPTLY);
    }
}
