package io.aegis.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.CheckResult;
import io.aegis.core.ServiceDefinition;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** close() while a runtime's start() still blocks its thread (never released): prompt, and no thread left. */
class HostileStuckCloseTest {

    @Test
    void closingWhileAStartIsStillBlockedIsPromptAndLeavesNoThread() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        StuckRuntimeFactory.block();
        HostileCheckerFactory.behave("blocked", context -> CompletableFuture.completedFuture(
                CheckResult.healthy(Duration.ofMillis(1))));
        long t0;
        try {
            EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("blocked")
                    .check("hostile", "blocked").interval(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(5))
                    .retries(0).startPeriod(Duration.ZERO).runtime("stuck", Map.of()));
            harness.advance(Duration.ofMinutes(1));
            t0 = System.nanoTime();
            harness.close();
        } finally {
            StuckRuntimeFactory.release(); // only after close: close itself must cope with the blocked thread
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("close()").isLessThan(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(NewThreads.since(before))
                .as("threads left after close").isEmpty());
    }
}
