package io.aegis.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.CheckResult;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/** Attacks on the harness' life cycle: threads, close, stuck calls. */
class HostileLifecycleTest {

    private static ServiceDefinition.Builder service(String name, Duration interval) {
        return ServiceDefinition.builder(name).check("hostile", name).interval(interval)
                .timeout(Duration.ofSeconds(3)).retries(0).startPeriod(Duration.ZERO);
    }

    private static CompletableFuture<CheckResult> healthyNow() {
        return CompletableFuture.completedFuture(CheckResult.healthy(Duration.ofMillis(1)));
    }

    private static List<Instant> checksOf(EngineHarness harness, String service) {
        return harness.events(CheckCompleted.class).stream().filter(c -> c.serviceName().equals(service))
                .map(CheckCompleted::at).toList();
    }

    /**
     * The Javadoc: "Each call that never completes costs this much [PLUGIN_GRACE] real time, once." A check that never
     * answers (timeout 30 s) next to a service checked every second: 20 s of virtual time should cost ~2 s of real
     * time (one grace per stuck call), not a grace per neighbour's check.
     */
    @Test
    void aStuckCallNextToABusyServiceCostsItsGraceOnceNotAtEveryStep() {
        HostileCheckerFactory.behave("stuck", context -> new CompletableFuture<>());
        HostileCheckerFactory.behave("busy", context -> healthyNow());
        try (EngineHarness harness = EngineHarness.startInVirtualTime(
                service("stuck", Duration.ofMinutes(1)).timeout(Duration.ofSeconds(30)),
                service("busy", Duration.ofSeconds(1)))) {
            long t0 = System.nanoTime();
            harness.advance(Duration.ofSeconds(10));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(checksOf(harness, "busy")).hasSizeBetween(10, 11);
            assertThat(took).as("real time for 10 s of virtual time").isLessThan(
                    EngineHarness.PLUGIN_GRACE.multipliedBy(2));
        }
    }

    /** Two threads advancing at once: the harness does not say it is single-threaded; are the answers still right? */
    @Test
    void twoThreadsAdvancingAtOnceStillCheckOncePerIntervalInClockOrder() throws Exception {
        HostileCheckerFactory.behave("twice", context -> CompletableFuture.supplyAsync(
                () -> CheckResult.healthy(Duration.ofMillis(1)), CompletableFuture.delayedExecutor(2, TimeUnit.MILLISECONDS)));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("twice", Duration.ofSeconds(5)))) {
            Instant start = harness.now();
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Runnable mover = () -> {
                try {
                    go.await();
                    for (int i = 0; i < 60; i++) {
                        harness.advance(Duration.ofSeconds(5));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            };
            Thread a = new Thread(mover, "mover-a");
            Thread b = new Thread(mover, "mover-b");
            a.start();
            b.start();
            go.countDown();
            a.join(60_000);
            b.join(60_000);
            List<Instant> checks = checksOf(harness, "twice");
            SoftAssertions softly = new SoftAssertions();
            softly.assertThat(failure.get()).isNull();
            // 120 advances of 5 s from two threads: 10 minutes in all
            softly.assertThat(Duration.between(start, harness.now())).as("virtual time moved by 120 x 5 s")
                    .isEqualTo(Duration.ofMinutes(10));
            softly.assertThat(HostileCheckerFactory.calls("twice")).as("checks called").isEqualTo(checks.size());
            for (int i = 1; i < checks.size(); i++) {
                softly.assertThat(Duration.between(checks.get(i - 1), checks.get(i))).as("gap before check %d", i)
                        .isEqualTo(Duration.ofSeconds(5));
            }
            softly.assertThat(harness.events().stream().map(ServiceEvent::at).toList()).as("events in clock order")
                    .isSorted();
            softly.assertAll();
        }
    }

    /** close() from another thread while a test thread advances: neither may hang. */
    @Test
    void closingWhileAnotherThreadAdvancesEndsBothPromptly() throws Exception {
        HostileCheckerFactory.behave("closing", context -> CompletableFuture.supplyAsync(
                () -> CheckResult.healthy(Duration.ofMillis(1)), CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS)));
        EngineHarness harness = EngineHarness.startInVirtualTime(service("closing", Duration.ofSeconds(1)));
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread mover = new Thread(() -> {
            try {
                harness.advance(Duration.ofDays(1));
            } catch (Throwable e) {
                outcome.set(e);
            }
        }, "mover");
        Instant start = harness.now();
        mover.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> harness.now().isAfter(start)); // it is moving time
        long t0 = System.nanoTime();
        harness.close();
        Duration closeTook = Duration.ofNanos(System.nanoTime() - t0);
        mover.join(EngineHarness.PATIENCE.toMillis() + 5_000);
        Duration moverTook = Duration.ofNanos(System.nanoTime() - t0);
        boolean stillRunning = mover.isAlive();
        mover.interrupt();
        assertThat(closeTook).as("close()").isLessThan(Duration.ofSeconds(5));
        assertThat(stillRunning).as("advance still running %s after close", moverTook).isFalse();
        assertThat(moverTook).as("advance ended after close; outcome " + outcome.get())
                .isLessThan(Duration.ofSeconds(2));
    }

    /** advance() after close(): it should say so at once (or do nothing), not wait out PATIENCE. */
    @Test
    void advancingAfterCloseFailsFastOrDoesNothing() {
        HostileCheckerFactory.behave("after", context -> healthyNow());
        EngineHarness harness = EngineHarness.startInVirtualTime(service("after", Duration.ofSeconds(10)));
        harness.advance(Duration.ofMinutes(1));
        int before = harness.events(CheckCompleted.class).size();
        harness.close();
        long t0 = System.nanoTime();
        Throwable thrown = null;
        try {
            harness.advance(Duration.ofMinutes(1));
        } catch (Throwable e) {
            thrown = e;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(took).as("advance after close took; it threw " + thrown).isLessThan(Duration.ofSeconds(1));
        assertThat(harness.events(CheckCompleted.class)).hasSize(before);
    }

    /** No thread the engine made outlives close(), also with a runtime and a stuck check. */
    @Test
    void noEngineThreadOutlivesClose() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        HostileCheckerFactory.behave("leak1", context -> new CompletableFuture<>());
        HostileCheckerFactory.behave("leak2", context -> healthyNow());
        try (EngineHarness harness = EngineHarness.startInVirtualTime(
                service("leak1", Duration.ofSeconds(30)).timeout(Duration.ofSeconds(20)).runtime("fake", Map.of())
                        .onFailure("restart"),
                service("leak2", Duration.ofSeconds(7)).runtime("fake", Map.of()))) {
            harness.advance(Duration.ofMinutes(1));
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(NewThreads.since(before))
                .as("threads left 5 s after close").isEmpty());
    }
}
