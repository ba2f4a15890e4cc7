package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.Alert;
import io.aegis.api.Notifier;
import io.aegis.api.Severity;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
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

    @Test
    void retriesAFailedDeliveryUntilTheReceiverAcceptsIt() {
        try (AlertDispatcher dispatcher = new AlertDispatcher(Map.of("hook", receiverFailingFirst(2)), timer, Runnable::run,
                Clock.fixed(T0, ZoneOffset.UTC))) {
            dispatcher.raise(firing());

            await().atMost(Duration.ofSeconds(10)).until(() -> delivered.equals(List.of(Alert.State.FIRING)));
            assertThat(calls).hasValue(3);
        }
    }

    @Test
    void aPendingRetryOfTheFiringAlertNeverOvertakesItsResolution() {
        try (AlertDispatcher dispatcher = new AlertDispatcher(Map.of("hook", receiverFailingFirst(1)), timer, Runnable::run,
                Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC))) {
            dispatcher.raise(firing());
            dispatcher.resolveAll("api");

            // the firing alert's retry was due after 1s; it must have been dropped, not delivered late
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> delivered.equals(List.of(Alert.State.RESOLVED)));
        }
    }
}
