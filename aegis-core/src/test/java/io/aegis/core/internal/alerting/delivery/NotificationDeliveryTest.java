package io.aegis.core.internal.alerting.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.aegis.api.Alert;
import io.aegis.api.DeliveryException;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.api.Severity;
import io.aegis.core.internal.alerting.delivery.NotificationDelivery.NotifierCounts;
import io.aegis.core.testing.LogCapture;
import io.aegis.core.internal.VirtualScheduler;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notification delivery in virtual time: backoff with jitter, Retry-After, rejection, one delivery in flight,
 * the bounded queue. The spool is real files in a temporary directory (see {@link SpoolTest} for crashes).
 */
class NotificationDeliveryTest {
    static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

    @TempDir
    Path spool;

    final VirtualScheduler scheduler = new VirtualScheduler(T0);
    final Receiver receiver = new Receiver();
    final List<NotificationDelivery> deliveries = new ArrayList<>();

    @AfterEach
    void closeDeliveries() {
        deliveries.forEach(NotificationDelivery::close);
    }

    NotificationDelivery delivery(Notifier notifier, int capacity, DoubleSupplier random) {
        NotificationDelivery delivery = new NotificationDelivery(Map.of("hook", notifier), spool, false, scheduler,
                Runnable::run, capacity, random, NotificationDelivery.ATTEMPT_DEADLINE, Duration.ofMillis(200));
        deliveries.add(delivery);
        delivery.start();
        return delivery;
    }

    NotificationDelivery delivery(Notifier notifier) {
        return delivery(notifier, NotificationDelivery.DEFAULT_QUEUE_CAPACITY, () -> 0.5);
    }

    static Alert alert(String service) {
        return Alert.builder("ServiceUnhealthy", service).severity(Severity.CRITICAL).summary(service + " is down")
                .startsAt(T0).build();
    }

    static Notification firing(String id, String service) {
        return Notification.of(id, alert(service), T0);
    }

    static Notification resolved(String id, String service) {
        return Notification.of(id, alert(service).resolve(T0.plusSeconds(60)), T0);
    }

    static Notification repeat(String id, String service) {
        Notification n = firing(id, service);
        return new Notification(id, n.groupKey(), n.groupLabels(), n.alerts(), true, T0);
    }

    /**
     * A receiver whose answer the test decides: {@link #answer} maps each call to its stage (accepting by
     * default). It records every call with its virtual time, and what it accepted.
     */
    final class Receiver implements Notifier {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<Duration> callTimes = new CopyOnWriteArrayList<>();
        final List<String> accepted = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> open = new CopyOnWriteArrayList<>();
        volatile Function<Notification, CompletionStage<Void>> answer = n -> CompletableFuture.completedFuture(null);
        int maxInFlight;

        @Override
        public CompletionStage<Void> deliver(Alert alert) {
            throw new AssertionError("the delivery hands over whole notifications");
        }

        @Override
        public synchronized CompletionStage<Void> deliver(Notification notification) {
            calls.add(notification.id());
            callTimes.add(Duration.ofNanos(scheduler.nanoTime()));
            CompletableFuture<Void> result = new CompletableFuture<>();
            open.add(result);
            open.removeIf(CompletableFuture::isDone);
            maxInFlight = Math.max(maxInFlight, open.size());
            answer.apply(notification).whenComplete((ok, error) -> {
                if (error == null) {
                    accepted.add(notification.id());
                    result.complete(null);
                } else {
                    result.completeExceptionally(error);
                }
            });
            return result;
        }

        void down() {
            answer = n -> CompletableFuture.failedFuture(new IOException("connection refused"));
        }

        void up() {
            answer = n -> CompletableFuture.completedFuture(null);
        }

        void hang() {
            answer = n -> new CompletableFuture<>();
        }
    }

    NotifierCounts counts(NotificationDelivery delivery) {
        return delivery.counts().get(0);
    }

    @Test
    void aFailedDeliveryIsRetriedWithBackoffDoublingFromOneSecondToFiveMinutes() {
        receiver.down();
        // the top of the jitter range: each delay is its bound
        NotificationDelivery delivery = delivery(receiver, 10, () -> 1.0);
        delivery.enqueue("hook", firing("n1", "api"));

        scheduler.advance(Duration.ofMinutes(30));

        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < receiver.callTimes.size(); i++) {
            gaps.add(receiver.callTimes.get(i).minus(receiver.callTimes.get(i - 1)).toMillis());
        }
        assertThat(gaps).startsWith(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 32_000L, 64_000L, 128_000L, 256_000L,
                300_000L, 300_000L);
        assertThat(counts(delivery).failed()).isEqualTo(receiver.calls.size());
    }

    @Test
    void theBackoffHasFullJitterBetweenZeroAndItsBound() {
        NotificationDelivery low = delivery(receiver, 10, () -> 0.0);
        NotificationDelivery middle = delivery(receiver, 10, () -> 0.25);
        IOException error = new IOException("down");

        assertThat(low.retryDelay(1, error)).isEqualTo(Duration.ZERO);
        assertThat(low.retryDelay(9, error)).isEqualTo(Duration.ZERO);
        assertThat(middle.retryDelay(1, error)).isEqualTo(Duration.ofMillis(250));
        assertThat(middle.retryDelay(3, error)).isEqualTo(Duration.ofMillis(1_000));
        assertThat(middle.retryDelay(40, error)).isEqualTo(Duration.ofSeconds(75));
    }

    @Test
    void aRetryAfterFromTheReceiverIsHonouredInsteadOfTheBackoff() {
        receiver.answer = n -> receiver.calls.size() == 1
                ? CompletableFuture.failedFuture(DeliveryException.retryLater("HTTP 429", Duration.ofSeconds(90)))
                : CompletableFuture.completedFuture(null);
        NotificationDelivery delivery = delivery(receiver);

        delivery.enqueue("hook", firing("n1", "api"));
        scheduler.advance(Duration.ofSeconds(89));
        assertThat(receiver.calls).as("no attempt before the receiver's Retry-After").hasSize(1);

        scheduler.advance(Duration.ofSeconds(1));
        assertThat(receiver.calls).hasSize(2);
        assertThat(receiver.accepted).containsExactly("n1");
    }

    @Test
    void aRetryAfterLongerThanAnHourIsCappedAtAnHour() {
        receiver.answer = n -> CompletableFuture.failedFuture(
                DeliveryException.retryLater("HTTP 503", Duration.ofDays(1)));
        NotificationDelivery delivery = delivery(receiver);

        assertThat(delivery.retryDelay(1, DeliveryException.retryLater("HTTP 503", Duration.ofDays(1))))
                .isEqualTo(Duration.ofHours(1));
        delivery.enqueue("hook", firing("n1", "api"));
        scheduler.advance(Duration.ofHours(1).minusMillis(1));
        assertThat(receiver.calls).hasSize(1);
        scheduler.advance(Duration.ofMillis(1));
        assertThat(receiver.calls).hasSize(2);
    }

    @Test
    void aRejectedNotificationIsNotRetriedAndTheNextOneIsDelivered() {
        receiver.answer = n -> n.id().equals("bad")
                ? CompletableFuture.failedFuture(DeliveryException.rejected("HTTP 400: unknown receiver"))
                : CompletableFuture.completedFuture(null);
        NotificationDelivery delivery = delivery(receiver);

        String log = LogCapture.stderrDuring(() -> {
            delivery.enqueue("hook", firing("bad", "api"));
            delivery.enqueue("hook", firing("good", "api"));
            scheduler.advance(Duration.ofHours(1));
        });

        assertThat(receiver.calls).containsExactly("bad", "good");
        assertThat(counts(delivery)).isEqualTo(new NotifierCounts("hook", 1, 0, 0, 1, 0));
        assertThat(log).contains("api: notifier hook rejected alert ServiceUnhealthy (firing); it is not retried"
                + " (sending it again would get the same answer): HTTP 400: unknown receiver");
    }

    @Test
    void notificationsAreDeliveredInOrderWithOneInFlightAtATime() {
        receiver.hang();
        NotificationDelivery delivery = delivery(receiver);
        for (int i = 1; i <= 5; i++) {
            delivery.enqueue("hook", firing("n" + i, "api"));
        }
        assertThat(receiver.calls).containsExactly("n1");

        for (int i = 0; i < 5; i++) {
            receiver.open.get(receiver.open.size() - 1).complete(null);
        }

        assertThat(receiver.calls).containsExactly("n1", "n2", "n3", "n4", "n5");
        assertThat(receiver.maxInFlight).isEqualTo(1);
        assertThat(counts(delivery)).isEqualTo(new NotifierCounts("hook", 5, 0, 0, 0, 0));
    }

    @Test
    void aHangingReceiverHoldsOneCallAtATimeEachEndedByTheAttemptDeadline() {
        receiver.hang();
        NotificationDelivery delivery = delivery(receiver);
        for (int i = 1; i <= 20; i++) {
            delivery.enqueue("hook", firing("n" + i, "api"));
        }

        scheduler.advance(Duration.ofMinutes(10));

        assertThat(receiver.maxInFlight).isEqualTo(1);
        assertThat(receiver.calls).containsOnly("n1").hasSizeGreaterThan(5);
        assertThat(counts(delivery).spooled()).isEqualTo(20);
        // the last attempt may still be running when the ten minutes end
        assertThat(counts(delivery).failed()).isBetween((long) receiver.calls.size() - 1, (long) receiver.calls.size());
    }

    @Test
    void separateIncidentsWhileTheReceiverIsDownAreEachDeliveredInOrderWhenItIsBack() {
        receiver.down();
        NotificationDelivery delivery = delivery(receiver);
        for (int i = 1; i <= 3; i++) {
            delivery.enqueue("hook", firing("fire" + i, "api"));
            scheduler.advance(Duration.ofSeconds(20));
            delivery.enqueue("hook", resolved("resolve" + i, "api"));
            scheduler.advance(Duration.ofSeconds(20));
        }
        assertThat(receiver.accepted).isEmpty();

        receiver.up();
        scheduler.advance(Duration.ofMinutes(5));

        assertThat(receiver.accepted).containsExactly("fire1", "resolve1", "fire2", "resolve2", "fire3", "resolve3");
        assertThat(counts(delivery).spooled()).isZero();
    }

    @Test
    void aFullQueueDropsTheOldestRepeatFirstThenTheOldestAndCountsThem() {
        receiver.hang();
        NotificationDelivery delivery = delivery(receiver, 3, () -> 0.5);
        delivery.enqueue("hook", firing("inflight", "api"));
        delivery.enqueue("hook", firing("a", "api"));
        delivery.enqueue("hook", repeat("r", "db"));
        delivery.enqueue("hook", firing("b", "api"));

        String log = LogCapture.stderrDuring(() -> {
            delivery.enqueue("hook", firing("c", "api")); // full: drops the repeat r
            delivery.enqueue("hook", firing("d", "api")); // full: drops a, the oldest
        });
        receiver.up();
        receiver.open.get(0).complete(null);

        assertThat(receiver.calls).containsExactly("inflight", "b", "c", "d");
        assertThat(counts(delivery).droppedOverflow()).isEqualTo(2);
        assertThat(log.lines().filter(line -> line.contains("dropped the oldest"))).as("logged once per burst")
                .hasSize(1);
        assertThat(log).contains("further drops are counted in"
                + " aegis_notifications_dropped_total{notifier=\"hook\",reason=\"overflow\"} and summed up");
    }

    @Test
    void aQueuedRepeatIsDroppedWhenANewerNotificationOfItsGroupIsQueuedBehindIt() {
        receiver.hang();
        NotificationDelivery delivery = delivery(receiver);
        delivery.enqueue("hook", firing("inflight", "web"));
        delivery.enqueue("hook", repeat("old-repeat", "api"));
        delivery.enqueue("hook", repeat("other-group", "db"));
        delivery.enqueue("hook", resolved("newer", "api"));
        receiver.up();
        receiver.open.get(0).complete(null);

        assertThat(receiver.calls).containsExactly("inflight", "other-group", "newer");
        assertThat(counts(delivery).droppedOverflow()).isZero();
    }

    @Test
    void twoNotificationsThatAreNotRepeatsAreNeverMerged() {
        receiver.hang();
        NotificationDelivery delivery = delivery(receiver);
        delivery.enqueue("hook", firing("inflight", "web"));
        delivery.enqueue("hook", firing("a", "api"));
        delivery.enqueue("hook", firing("b", "api"));
        receiver.up();
        receiver.open.get(0).complete(null);

        assertThat(receiver.calls).containsExactly("inflight", "a", "b");
    }

    @Test
    void closeGivesAWaitingNotificationItsLastChanceAtOnce() {
        receiver.down();
        NotificationDelivery delivery = delivery(receiver);
        delivery.enqueue("hook", firing("n1", "api"));
        receiver.up(); // the retry would come after up to a second of virtual time, which the test never advances

        String log = LogCapture.stderrDuring(delivery::close);

        assertThat(receiver.accepted).containsExactly("n1");
        assertThat(log).doesNotContain("was not delivered");
    }

    @Test
    void closeReturnsInTimeWithAHangingReceiverAndKeepsTheRestSpooledForTheNextStart() {
        receiver.hang();
        NotificationDelivery delivery = delivery(receiver);
        delivery.enqueue("hook", firing("n1", "api"));
        delivery.enqueue("hook", resolved("n2", "api"));

        String log = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> LogCapture.stderrDuring(delivery::close));

        assertThat(log).contains("api: alert ServiceUnhealthy (firing) was not delivered to notifier hook before"
                + " shutdown, after 1 attempt: no answer within the 200ms allowed at shutdown; kept in the spool for"
                + " the next start");
        assertThat(log).contains("api: alert ServiceUnhealthy (resolved) was not delivered to notifier hook before"
                + " shutdown, after 0 attempts");

        Receiver next = new Receiver();
        delivery(next);
        assertThat(next.accepted).containsExactly("n1", "n2");
    }

    @Test
    void whatIsQueuedBeforeStartGoesOutAfterWhatTheLastRunLeft() {
        receiver.down();
        delivery(receiver).enqueue("hook", firing("left-over", "api"));
        deliveries.get(0).close();

        Receiver next = new Receiver();
        NotificationDelivery delivery = new NotificationDelivery(Map.of("hook", next), spool, false, scheduler,
                Runnable::run);
        deliveries.add(delivery);
        delivery.enqueue("hook", firing("early", "api"));
        assertThat(next.calls).as("nothing goes out before start()").isEmpty();
        delivery.start();

        assertThat(next.accepted).containsExactly("left-over", "early");
    }

    @Test
    void anUnknownNotifierNameIsRefusedWithTheConfiguredOnes() {
        NotificationDelivery delivery = delivery(receiver);
        assertThatThrownBy(() -> delivery.enqueue("pager", firing("n1", "api")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no notifier is named \"pager\" (configured: hook)");
    }
}
