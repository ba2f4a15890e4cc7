package io.aegis.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.CheckResult;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.event.CheckCompleted;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;

/**
 * The harness' settle reads the engine's task count, then the pending plugin-call deadlines; a plugin call that
 * completes on a thread of its own first hands its verdict to a worker (task count up), then cancels its deadline
 * (pending down). If the test thread is descheduled between its two reads, it sees no task (read before) and no
 * deadline (read after), and moves time on while the verdict is still being judged. Here the gap between the two
 * reads is widened on purpose, as a busy CPU widens it by chance: a helper thread holds the VirtualScheduler's
 * monitor (which pendingDeadlines() needs) while the plugin completes its stage.
 */
class HostileSettleOrderTest {

    @Test
    void advanceDoesNotReturnBeforeAVerdictThatArrivedDuringTheSettleIsRecorded() throws Exception {
        assertEveryAdvanceWaitsForItsVerdict(true);
    }

    /** The control: the same plugin, with no one holding the scheduler's monitor. */
    @Test
    void controlWithoutTheWidenedGapEveryAdvanceWaitsForItsVerdict() throws Exception {
        assertEveryAdvanceWaitsForItsVerdict(false);
    }

    private static void assertEveryAdvanceWaitsForItsVerdict(boolean holdTheMonitor) throws Exception {
        BlockingQueue<CompletableFuture<CheckResult>> calls = new LinkedBlockingQueue<>();
        HostileCheckerFactory.behave("order", context -> {
            CompletableFuture<CheckResult> stage = new CompletableFuture<>();
            calls.add(stage);
            return stage;
        });
        try (EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("order")
                .check("hostile", "order").interval(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(5))
                .retries(0).startPeriod(Duration.ZERO))) {
            Field field = EngineHarness.class.getDeclaredField("virtualTime");
            field.setAccessible(true);
            Object virtualTime = field.get(harness);
            Thread caller = Thread.currentThread();
            Thread helper = new Thread(() -> {
                try {
                    while (true) {
                        CompletableFuture<CheckResult> stage = calls.take();
                        // The harness polls in its settle: no task, one deadline pending.
                        promptly().until(() -> caller.getState() == Thread.State.TIMED_WAITING);
                        Thread plugin = new Thread(() -> stage.complete(CheckResult.healthy(Duration.ofMillis(1))),
                                "hostile-plugin-completer");
                        if (holdTheMonitor) {
                            synchronized (virtualTime) {
                                plugin.start();
                                // The plugin has handed its verdict on and waits here to cancel its deadline.
                                promptly().until(() -> plugin.getState() == Thread.State.BLOCKED || !plugin.isAlive());
                            }
                        } else {
                            plugin.start();
                            plugin.join();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "hostile-lock-holder");
            helper.setDaemon(true);
            helper.start();
            List<String> early = new ArrayList<>();
            int rounds = 40;
            for (int i = 1; i <= rounds; i++) {
                harness.advance(Duration.ofSeconds(30));
                int recorded = harness.events(CheckCompleted.class).size();
                if (recorded != i) {
                    early.add("after advance " + i + ": " + recorded + " checks recorded");
                    int expected = i;
                    promptly().until(() -> harness.events(CheckCompleted.class).size() == expected);
                }
            }
            helper.interrupt();
            assertThat(early).as("advance returned before the check it ran was judged, %d of %d times",
                    early.size(), rounds).isEmpty();
        }
    }

    /** Awaitility polling every millisecond: the steps waited for here take about that. */
    private static ConditionFactory promptly() {
        return await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(5));
    }
}
