package io.aegis.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthStatus;
import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Attempts to make the virtual-time harness give wrong answers. */
class HostileVirtualTimeTest {
    private static final ScheduledExecutorService OWN_THREADS = Executors.newScheduledThreadPool(4, r -> {
        Thread t = new Thread(r, "hostile-plugin-thread");
        t.setDaemon(true);
        return t;
    });

    @AfterAll
    static void stopOwnThreads() {
        OWN_THREADS.shutdownNow();
    }

    private static CompletableFuture<CheckResult> later(CheckResult result) {
        CompletableFuture<CheckResult> stage = new CompletableFuture<>();
        OWN_THREADS.schedule(() -> stage.complete(result), ThreadLocalRandom.current().nextInt(0, 6),
                TimeUnit.MILLISECONDS);
        return stage;
    }

    private static CheckResult healthy() {
        return CheckResult.healthy(Duration.ofMillis(1));
    }

    private static CheckResult failing() {
        return CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", Duration.ofMillis(1));
    }

    private static ServiceDefinition.Builder service(String name, Duration interval) {
        return ServiceDefinition.builder(name).check("hostile", name).interval(interval)
                .timeout(Duration.ofSeconds(3)).retries(0).startPeriod(Duration.ZERO);
    }

    private static List<Instant> checksOf(EngineHarness harness, String service) {
        return harness.events(CheckCompleted.class).stream().filter(c -> c.serviceName().equals(service))
                .map(CheckCompleted::at).toList();
    }

    private static void assertSpacedBy(List<Instant> times, Duration interval) {
        for (int i = 1; i < times.size(); i++) {
            assertThat(Duration.between(times.get(i - 1), times.get(i))).as("gap before check %d", i)
                    .isEqualTo(interval);
        }
    }

    /**
     * 7 s and 13 s services, answering 0-5 ms later on a thread of their own (their real latency adds up: 0-50 ms
     * took a minute): exact counts after an hour.
     */
    @Test
    void anHourOfSevenAndThirteenSecondChecksAnsweringRandomlyLateCountsEveryCheckOnce() {
        HostileCheckerFactory.behave("seven", context -> later(healthy()));
        HostileCheckerFactory.behave("thirteen", context -> later(healthy()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("seven", Duration.ofSeconds(7)),
                service("thirteen", Duration.ofSeconds(13)))) {
            Instant start = harness.now();
            harness.advance(Duration.ofHours(1));

            List<Instant> seven = checksOf(harness, "seven");
            List<Instant> thirteen = checksOf(harness, "thirteen");
            // first tick within 2 ms (firstCheckSpread = 2 services), then every interval up to the hour
            assertThat(Duration.between(start, seven.get(0))).isLessThan(Duration.ofMillis(2));
            assertThat(seven).hasSize(515);
            assertThat(thirteen).hasSize(277);
            assertThat(HostileCheckerFactory.calls("seven")).isEqualTo(515);
            assertThat(HostileCheckerFactory.calls("thirteen")).isEqualTo(277);
            assertSpacedBy(seven, Duration.ofSeconds(7));
            assertSpacedBy(thirteen, Duration.ofSeconds(13));
            assertThat(harness.events(CheckCompleted.class)).allMatch(c -> c.result().status() == HealthStatus.HEALTHY);
            // events come in the order of the virtual clock
            List<Instant> all = harness.events().stream().map(ServiceEvent::at).toList();
            assertThat(all).isSorted();
        }
    }

    /** Fifty services at intervals 5..54 s, each answering late on its own thread. */
    @Test
    void fiftyServicesForTenMinutesEachCheckedExactlyOncePerInterval() {
        List<ServiceDefinition.Builder> services = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String name = "svc" + i;
            HostileCheckerFactory.behave(name, context -> later(healthy()));
            services.add(service(name, Duration.ofSeconds(5 + i)));
        }
        try (EngineHarness harness = EngineHarness.startInVirtualTime(
                services.toArray(ServiceDefinition.Builder[]::new))) {
            Instant start = harness.now();
            harness.advance(Duration.ofMinutes(10));
            for (int i = 0; i < 50; i++) {
                String name = "svc" + i;
                List<Instant> checks = checksOf(harness, name);
                long interval = 5 + i;
                long jitterMillis = Duration.between(start, checks.get(0)).toMillis();
                assertThat(jitterMillis).as(name + " first tick").isLessThan(50);
                // ticks at jitter + k * interval <= 600 s
                assertThat(checks).as(name).hasSize((int) ((600_000 - Duration.between(start, checks.get(0))
                        .toNanos() / 1_000_000.0) / (interval * 1000)) + 1);
                assertThat(HostileCheckerFactory.calls(name)).as(name + " calls").isEqualTo(checks.size());
                assertSpacedBy(checks, Duration.ofSeconds(interval));
                assertThat(harness.events(StateChanged.class).stream().filter(c -> c.serviceName().equals(name)))
                        .extracting(StateChanged::to).containsExactly(ServiceState.HEALTHY);
            }
        }
    }

    /** A check that completes its stage synchronously, inside check(). */
    @Test
    void aCheckerAnsweringInsideCheckIsCountedOncePerTickAndTurnsUnhealthyAtTheThirdFailure() {
        AtomicInteger n = new AtomicInteger();
        HostileCheckerFactory.behave("sync", context -> CompletableFuture.completedFuture(
                n.incrementAndGet() <= 4 ? healthy() : failing()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("sync", Duration.ofSeconds(30))
                .failureThreshold(3))) {
            StateChanged down = harness.advanceUntilState("sync", ServiceState.UNHEALTHY, Duration.ofMinutes(10));
            List<Instant> checks = checksOf(harness, "sync");
            // checks 1-4 pass, 5,6,7 fail: unhealthy at the 7th check
            assertThat(checks).hasSize(7);
            assertThat(down.at()).isEqualTo(checks.get(6));
            assertSpacedBy(checks, Duration.ofSeconds(30));
        }
    }

    /** A checker that throws from check(): a PLUGIN_ERROR (no verdict) per tick, on time, none doubled. */
    @Test
    void aCheckerThatThrowsGivesAPluginErrorAtEveryTickOnTime() {
        HostileCheckerFactory.behave("throws", context -> {
            throw new IllegalStateException("boom");
        });
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("throws", Duration.ofSeconds(10)))) {
            Instant start = harness.now();
            harness.advance(Duration.ofMinutes(10));
            List<CheckCompleted> checks = harness.events(CheckCompleted.class);
            assertThat(checks).hasSizeBetween(60, 61);
            assertThat(checks).allMatch(c -> c.result().failureReason().orElseThrow() == FailureReason.PLUGIN_ERROR);
            assertThat(checks.get(0).result().message()).contains("boom");
            assertThat(Duration.between(start, checks.get(0).at())).isLessThan(Duration.ofMillis(1));
            assertThat(HostileCheckerFactory.calls("throws")).isEqualTo(checks.size());
            assertSpacedBy(checksOf(harness, "throws"), Duration.ofSeconds(10));
        }
    }

    /** A stage that fails, later, on a thread of its own: a PLUGIN_ERROR at the tick, not later. */
    @Test
    void aStageFailingLaterOnItsOwnThreadIsAPluginErrorAtTheTickNotLater() {
        HostileCheckerFactory.behave("fails", context -> later(healthy()).thenApply(r -> {
            throw new IllegalStateException("late boom");
        }));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("fails", Duration.ofSeconds(10)))) {
            harness.advance(Duration.ofMinutes(5));
            List<CheckCompleted> checks = harness.events(CheckCompleted.class);
            assertThat(checks).hasSize(HostileCheckerFactory.calls("fails")).hasSizeBetween(30, 31);
            assertThat(checks).allMatch(c -> c.result().failureReason().orElseThrow() == FailureReason.PLUGIN_ERROR);
            assertThat(checks.get(0).result().message()).contains("late boom");
            assertSpacedBy(checksOf(harness, "fails"), Duration.ofSeconds(10));
        }
    }

    /** A listener that takes 100 ms per event: the harness must wait for it, in order. */
    @Test
    void aSlowListenerSeesEveryEventInOrderBeforeTimeMovesOn() {
        AtomicInteger n = new AtomicInteger();
        HostileCheckerFactory.behave("slowl", context -> later(n.incrementAndGet() % 4 == 0 ? failing() : healthy()));
        List<ServiceEvent> seen = Collections.synchronizedList(new ArrayList<>());
        Engine.Builder builder = Engine.builder().metricsEnabled(false)
                .service(service("slowl", Duration.ofSeconds(30)).failureThreshold(1).build())
                .listener(event -> {
                    try {
                        Thread.sleep(100); // the listener's own slowness is what is tested, not a wait
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    seen.add(event);
                });
        try (EngineHarness harness = EngineHarness.startInVirtualTime(builder)) {
            for (int i = 0; i < 8; i++) {
                harness.advance(Duration.ofSeconds(30));
                // after each advance, the slow listener has seen everything the harness recorded
                assertThat(List.copyOf(seen)).as("after step %d", i).isEqualTo(harness.events());
            }
            List<StateChanged> changes = harness.events(StateChanged.class);
            assertThat(changes).extracting(StateChanged::to).startsWith(ServiceState.HEALTHY, ServiceState.UNHEALTHY);
        }
    }

    /** advance(ZERO) a thousand times: nothing new due, nothing runs, no check doubled. */
    @Test
    void advancingByZeroAgainAndAgainRunsNothingNew() {
        HostileCheckerFactory.behave("zero", context -> later(healthy()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("zero", Duration.ofSeconds(30)))) {
            harness.advance(Duration.ofSeconds(1));
            Instant now = harness.now();
            int before = harness.events().size();
            long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                harness.advance(Duration.ZERO);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(harness.now()).isEqualTo(now);
            assertThat(harness.events()).hasSize(before);
            assertThat(HostileCheckerFactory.calls("zero")).isEqualTo(1);
        }
    }

    /** Thirty days of a 1 h service: 721 checks (or 720), quickly. */
    @Test
    void thirtyDaysOfAnHourlyCheckTakeSeconds() {
        HostileCheckerFactory.behave("hourly", context -> CompletableFuture.supplyAsync(() -> healthy()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("hourly", Duration.ofHours(1))
                .timeout(Duration.ofMinutes(1)))) {
            long t0 = System.nanoTime();
            harness.advance(Duration.ofDays(30));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            List<Instant> checks = checksOf(harness, "hourly");
            assertThat(checks).hasSizeBetween(720, 721);
            assertSpacedBy(checks, Duration.ofHours(1));
            assertThat(took).isLessThan(Duration.ofSeconds(15));
        }
    }

    /** The predicate of advanceUntil throws: the exception comes out, and the harness still works. */
    @Test
    void aThrowingPredicateLeavesTheHarnessUsable() {
        HostileCheckerFactory.behave("pred", context -> later(healthy()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("pred", Duration.ofSeconds(30)))) {
            assertThatThrownBy(() -> harness.advanceUntil(CheckCompleted.class, c -> {
                throw new IllegalStateException("predicate");
            }, Duration.ofMinutes(5))).isInstanceOf(IllegalStateException.class).hasMessage("predicate");
            Instant now = harness.now();
            harness.advance(Duration.ofMinutes(5));
            assertThat(harness.now()).isEqualTo(now.plus(Duration.ofMinutes(5)));
            assertSpacedBy(checksOf(harness, "pred"), Duration.ofSeconds(30));
            assertThat(HostileCheckerFactory.calls("pred")).isEqualTo(checksOf(harness, "pred").size());
        }
    }

    /** A workload that does not start: the failure on the virtual clock, at once. */
    @Test
    void aRuntimeWhoseStartFailsIsReportedAtOnce() {
        HostileCheckerFactory.behave("nostart", context -> later(healthy()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("nostart", Duration.ofSeconds(30))
                .runtime("fake", Map.of()).failureThreshold(1))) {
            // the fake's start has already succeeded here: make its restarts fail and break the check
            harness.runtime("nostart").failing(true);
            HostileCheckerFactory.behave("nostart", context -> later(failing()));
            StateChanged down = harness.advanceUntilState("nostart", ServiceState.UNHEALTHY, Duration.ofMinutes(2));
            assertThat(down.at()).isEqualTo(checksOf(harness, "nostart").get(checksOf(harness, "nostart").size() - 1));
        }
    }

    /** dependsOn: the dependent's first check comes after its dependency's first pass, and both stay on time. */
    @Test
    void aDependentStartsCheckingOnlyAfterItsDependencyPassed() {
        HostileCheckerFactory.behave("db", context -> later(healthy()));
        HostileCheckerFactory.behave("app", context -> later(healthy()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("db", Duration.ofSeconds(20)),
                service("app", Duration.ofSeconds(15)).dependsOn("db"))) {
            harness.advance(Duration.ofMinutes(10));
            List<Instant> db = checksOf(harness, "db");
            List<Instant> app = checksOf(harness, "app");
            assertThat(app.get(0)).isAfterOrEqualTo(db.get(0));
            assertSpacedBy(db, Duration.ofSeconds(20));
            assertSpacedBy(app, Duration.ofSeconds(15));
            assertThat(HostileCheckerFactory.calls("app")).isEqualTo(app.size());
            assertThat(app.size()).isBetween(40, 41);
        }
    }
}
