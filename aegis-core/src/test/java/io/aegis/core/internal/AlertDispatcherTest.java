package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.aegis.api.Alert;
import io.aegis.api.Notifier;
import io.aegis.api.Severity;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AlertDispatcherTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<Alert.State> delivered = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    /** A receiver that refuses the first {@code failures} deliveries, then accepts. */
    private Notifier receiverFailingFirst(int failures) {
        return alert -> {
            if (calls.incrementAndGet() <= failures) {
                return CompletableFuture.failedFuture(new IOException("receiver down"));
            }
            delivered.add(alert.state());
            return CompletableFuture.completedFuture(null);
        };
    }

    private static Alert firing() {
        return Alert.builder("ServiceUnhealthy", "api").severity(Severity.CRITICAL).summary("down").startsAt(T0).build();
    }

    /** What the engine's event bus hands the dispatcher when {@code alert} is raised (see AlertsTest for that). */
    private static void raise(AlertDispatcher dispatcher, Alert alert) {
        dispatcher.onEvent(AlertFired.of(alert));
    }

    @Test
    void retriesAFailedDeliveryUntilTheReceiverAcceptsIt() {
        try (AlertDispatcher dispatcher = new AlertDispatcher(Map.of("hook", receiverFailingFirst(2)), timer,
                Runnable::run)) {
            raise(dispatcher, firing());

            await().atMost(Duration.ofSeconds(10)).until(() -> delivered.equals(List.of(Alert.State.FIRING)));
            assertThat(calls).hasValue(3);
        }
    }

    @Test
    void aPendingRetryOfTheFiringAlertNeverOvertakesItsResolution() {
        try (AlertDispatcher dispatcher = new AlertDispatcher(Map.of("hook", receiverFailingFirst(1)), timer,
                Runnable::run)) {
            raise(dispatcher, firing());
            dispatcher.onEvent(AlertResolved.of(firing().resolve(T0.plusSeconds(60))));

            // the firing alert's retry was due after 1s; it must have been dropped, not delivered late
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> delivered.equals(List.of(Alert.State.RESOLVED)));
        }
    }

    @Test
    void closeLogsEachAlertItCouldNotDeliverWithItsNotifierAndLastError() {
        Notifier refusing = alert -> CompletableFuture.failedFuture(new IOException("connection refused"));
        AlertDispatcher dispatcher = new AlertDispatcher(Map.of("hook", refusing), timer, Runnable::run);
        raise(dispatcher, firing());
        raise(dispatcher, Alert.builder("RecoveryBudgetExhausted", "db").severity(Severity.CRITICAL).summary("gave up")
                .startsAt(T0.plusSeconds(5)).build());

        String log = stderrDuring(dispatcher::close);

        // The first attempt failed at once; close() tried each once more rather than wait 1s for the retry (on a
        // machine slow enough for the retry to have come first, that is more).
        String logger = "WARN " + AlertDispatcher.class.getName() + " - ";
        assertThat(log.lines().filter(line -> line.startsWith("WARN "))).satisfiesExactly(
                line -> assertThat(line).isEqualTo(logger + "2 alert deliveries were not completed before shutdown;"
                        + " aegis keeps no alert spool yet, so these are lost:"),
                line -> assertThat(line).matches(Pattern.quote(logger + "api: alert ServiceUnhealthy (firing) was not"
                        + " delivered to notifier hook before shutdown, after ") + "\\d+ attempts: connection refused"),
                line -> assertThat(line).matches(Pattern.quote(logger + "db: alert RecoveryBudgetExhausted (firing) was"
                        + " not delivered to notifier hook before shutdown, after ") + "\\d+ attempts: connection refused"));
    }

    @Test
    void closeWaitsForAHangingNotifierOnlyUntilTheFlushDeadlineThenReportsTheAlert() {
        CompletableFuture<Void> never = new CompletableFuture<>();
        AlertDispatcher dispatcher = new AlertDispatcher(Map.of("pager", alert -> never), timer, Runnable::run,
                Duration.ofMillis(200));
        raise(dispatcher, firing());

        String log = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> stderrDuring(dispatcher::close),
                "close() must not wait for the notifier's own 30s deadline");

        assertThat(log.lines().filter(line -> line.startsWith("WARN "))).containsExactly(
                "WARN " + AlertDispatcher.class.getName() + " - api: alert ServiceUnhealthy (firing) was not delivered"
                        + " to notifier pager before shutdown, after 1 attempt: no answer within the 200ms allowed at"
                        + " shutdown");
    }

    @Test
    void closeDeliversAnAlertWaitingForItsRetryWhenTheReceiverIsBackAndReportsNothing() {
        AlertDispatcher dispatcher = new AlertDispatcher(Map.of("hook", receiverFailingFirst(1)), timer, Runnable::run);
        raise(dispatcher, firing()); // refused; the retry would come after 1s

        String log = stderrDuring(dispatcher::close);

        assertThat(delivered).containsExactly(Alert.State.FIRING);
        assertThat(log).doesNotContain("was not delivered");
    }

    /**
     * What the engine logged on stderr (slf4j-simple, the test backend, writes there) while {@code action} ran;
     * it still reaches the real stderr too.
     */
    private static String stderrDuring(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                captured.write(b);
                original.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                captured.write(bytes, offset, length);
                original.write(bytes, offset, length);
            }
        }, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        // slf4j-simple's default line: "[thread] LEVEL logger - message"; the thread name is not the test's business.
        return captured.toString(StandardCharsets.UTF_8).replaceAll("(?m)^\\[[^\\]]*\\] ", "");
    }
}
