package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.aegis.api.CheckResult;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.WorkloadExited;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventBusTest {
    private static final Duration AWAIT = Duration.ofSeconds(10);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final AtomicLong nanos = new AtomicLong();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private EventBus bus = new EventBus(EventBus.DEFAULT_CAPACITY, nanos::get, warnings::add);

    @AfterEach
    void closeBus() {
        release.countDown();
        bus.close(Duration.ofSeconds(5));
    }

    /** Event number {@code n} of service {@code service}; its number is in its time. */
    private static ServiceEvent event(String service, int n) {
        return new CheckCompleted(service, T0.plusMillis(n), CheckResult.healthy(Duration.ZERO), 1, true);
    }

    private static int number(ServiceEvent event) {
        return (int) (event.at().toEpochMilli() - T0.toEpochMilli());
    }

    /** A listener that blocks on {@link #release} and counts down {@code entered} each time it is called. */
    private Consumer<ServiceEvent> blocking(CountDownLatch entered, List<ServiceEvent> received) {
        return event -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            received.add(event);
        };
    }

    @Test
    void deliversEachSubscribersEventsOneAtATimeInTheOrderTheyWerePublished() {
        List<Integer> first = new CopyOnWriteArrayList<>();
        List<Integer> second = new CopyOnWriteArrayList<>();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        bus.subscribe(ServiceEvent.class, event -> {
            if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            first.add(number(event));
            inside.decrementAndGet();
        });
        bus.subscribe(CheckCompleted.class, event -> second.add(number(event)));

        int count = 3 * EventBus.BATCH + 7; // several drains, each taking over from the last
        IntStream.range(0, count).forEach(n -> bus.publish(event("api", n)));

        List<Integer> expected = IntStream.range(0, count).boxed().toList();
        await().atMost(AWAIT).until(() -> first.size() == count && second.size() == count);
        assertThat(first).isEqualTo(expected);
        assertThat(second).isEqualTo(expected);
        assertThat(overlaps).as("calls of one listener that overlapped").hasValue(0);
    }

    @Test
    void aBlockedListenerHoldsUpNeitherThePublisherNorAnotherListener() {
        CountDownLatch entered = new CountDownLatch(1);
        bus.subscribe(ServiceEvent.class, blocking(entered, new CopyOnWriteArrayList<>()));
        List<ServiceEvent> other = new CopyOnWriteArrayList<>();
        bus.subscribe(ServiceEvent.class, other::add);

        assertTimeoutPreemptively(AWAIT, () -> IntStream.range(0, 100).forEach(n -> bus.publish(event("api", n))),
                "publish must not wait for a blocked listener");

        await().atMost(AWAIT).until(() -> other.size() == 100);
        assertThat(entered.getCount()).as("the blocked listener was called").isZero();
    }

    @Test
    void aFullQueueDropsTheEventCountsItForTheSubscriberAndWarnsOnceAWindow() throws InterruptedException {
        bus = new EventBus(3, nanos::get, warnings::add);
        CountDownLatch entered = new CountDownLatch(1);
        List<ServiceEvent> received = new CopyOnWriteArrayList<>();
        bus.subscribe(ServiceEvent.class, blocking(entered, received));
        bus.publish(event("api", 0));
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("the listener took the first event").isTrue();

        IntStream.rangeClosed(1, 8).forEach(n -> bus.publish(event("api", n))); // 3 fit, 5 do not

        assertThat(bus.droppedBySubscriber()).containsEntry("EventBusTest", 5L);
        assertThat(warnings).singleElement().asString().startsWith("api: event listener EventBusTest is 3 events"
                + " behind (it is slow or blocked); dropping its CheckCompleted and further events until it catches"
                + " up, counted in aegis_events_dropped_total{subscriber=\"EventBusTest\"}");

        nanos.addAndGet(EventBus.WARN_EVERY); // the next line sums up the 4 drops since the first line, and this one
        bus.publish(event("api", 9));
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(1)).isEqualTo("api: event listener EventBusTest is still 3 events behind; 5 more"
                + " event(s) dropped in the last 30s (aegis_events_dropped_total{subscriber=\"EventBusTest\"})");

        release.countDown();
        await().atMost(AWAIT).until(() -> received.size() == 4);
        bus.publish(event("api", 10)); // caught up: delivered again
        await().atMost(AWAIT).until(() -> received.size() == 5);
        assertThat(received).extracting(EventBusTest::number).containsExactly(0, 1, 2, 3, 10);
        assertThat(bus.droppedBySubscriber()).containsEntry("EventBusTest", 6L);
    }

    @Test
    void aLosslessSubscriberGetsEveryEventHoweverFarBehindItIs() throws InterruptedException {
        bus = new EventBus(1, nanos::get, warnings::add);
        CountDownLatch entered = new CountDownLatch(1);
        List<ServiceEvent> received = new CopyOnWriteArrayList<>();
        bus.subscribeLossless("metrics", ServiceEvent.class, blocking(entered, received));
        bus.publish(event("api", 0));
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

        IntStream.range(1, 1000).forEach(n -> bus.publish(event("api", n)));
        release.countDown();

        await().atMost(AWAIT).until(() -> received.size() == 1000);
        assertThat(received).extracting(EventBusTest::number).isSorted();
        assertThat(warnings).isEmpty();
        assertThat(bus.droppedBySubscriber()).doesNotContainKey("metrics");
    }

    @Test
    void aListenerThatThrowsKeepsReceivingEvents() {
        List<Integer> calls = new CopyOnWriteArrayList<>();
        bus.subscribe(ServiceEvent.class, event -> {
            calls.add(number(event));
            throw new AssertionError("listener bug");
        });

        IntStream.range(0, 3).forEach(n -> bus.publish(event("api", n)));

        await().atMost(AWAIT).until(() -> calls.size() == 3);
        assertThat(calls).containsExactly(0, 1, 2);
    }

    @Test
    void deliversOnlyTheSubscribedTypeAndNothingAfterUnsubscribing() throws Exception {
        List<ServiceEvent> exits = new CopyOnWriteArrayList<>();
        List<ServiceEvent> all = new CopyOnWriteArrayList<>();
        AutoCloseable subscription = bus.subscribe(WorkloadExited.class, exits::add);
        bus.subscribe(ServiceEvent.class, all::add);

        bus.publish(event("api", 0));
        bus.publish(new WorkloadExited("api", T0, io.aegis.api.WorkloadStatus.exited(1, 1)));
        await().atMost(AWAIT).until(() -> all.size() == 2);
        await().atMost(AWAIT).until(() -> exits.size() == 1);
        subscription.close();
        bus.publish(new WorkloadExited("api", T0, io.aegis.api.WorkloadStatus.exited(1, 2)));

        await().atMost(AWAIT).until(() -> all.size() == 3);
        assertThat(exits).hasSize(1);
    }

    @Test
    void closeDeliversWhatIsPendingThenEndsItsThreads() {
        List<ServiceEvent> received = new CopyOnWriteArrayList<>();
        bus.subscribe(ServiceEvent.class, event -> {
            received.add(event);
            Thread.yield();
        });
        IntStream.range(0, 5000).forEach(n -> bus.publish(event("api", n)));

        assertThat(bus.close(Duration.ofSeconds(10))).as("everything delivered in time").isTrue();

        assertThat(received).hasSize(5000);
        assertThat(bus.publish(event("api", 5000))).as("publish after close").isFalse();
        await().atMost(AWAIT).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(Thread::isAlive).extracting(Thread::getName)
                .noneMatch(name -> name.startsWith("aegis-events-")));
    }

    @Test
    void closeGivesUpOnABlockedListenerAtItsDeadline() throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        bus.subscribe(ServiceEvent.class, blocking(entered, new CopyOnWriteArrayList<>()));
        bus.publish(event("api", 0));
        bus.publish(event("api", 1));
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

        boolean delivered = assertTimeoutPreemptively(AWAIT, () -> bus.close(Duration.ofMillis(200)));

        assertThat(delivered).isFalse();
    }

    @Test
    void namesAListenerAfterItsClassOrTheClassThatWroteTheLambda() {
        Consumer<ServiceEvent> lambda = event -> { };
        Consumer<ServiceEvent> anonymous = new Consumer<>() {
            @Override
            public void accept(ServiceEvent event) {
            }
        };

        assertThat(EventBus.nameOf(lambda)).isEqualTo("EventBusTest");
        assertThat(EventBus.nameOf((Consumer<ServiceEvent>) List.of()::contains)).isEqualTo("EventBusTest");
        assertThat(EventBus.nameOf(anonymous)).isEqualTo("EventBusTest");
        assertThat(EventBus.nameOf(new Named())).isEqualTo("EventBusTest$Named");
    }

    private static final class Named implements Consumer<ServiceEvent> {
        @Override
        public void accept(ServiceEvent event) {
        }
    }
}
