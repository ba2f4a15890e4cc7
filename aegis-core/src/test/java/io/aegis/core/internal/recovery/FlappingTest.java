package io.aegis.core.internal.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.Severity;
import io.aegis.core.FlappingPolicy;
import io.aegis.core.RecoveryPolicy;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.RecoveryEscalated;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.ServiceMonitor;
import io.aegis.core.internal.metrics.EngineMetrics;
import io.aegis.core.internal.VirtualScheduler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * FLAPPING end to end in one monitor, on virtual time: the real monitor, state machine, coordinator, overlay and
 * built-in actions, with a {@link VirtualScheduler}, direct executors and events delivered on the test thread.
 * A service flaps either through a checker that alternates (every check a state change) or a workload that keeps
 * crashing (each crash and restart about three changes).
 */
class FlappingTest {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final FlappingPolicy FLAPPING = FlappingPolicy.of(6, WINDOW);

    private final RecoveryHarness harness = new RecoveryHarness();
    private final VirtualScheduler scheduler = harness.scheduler;
    private final List<ServiceEvent> events = harness.events;
    /** What the notifier received, firing and resolved. */
    private final List<Alert> delivered = harness.alerts;
    private final LadderTest.FakeRuntime runtime = new LadderTest.FakeRuntime();
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final EngineMetrics metrics = new EngineMetrics(registry, scheduler.clock());
    /** Fails every other check while true; passes every check once false. */
    private volatile boolean alternating = true;
    private final AtomicInteger checks = new AtomicInteger();
    private ServiceMonitor monitor;

    {
        harness.bus.subscribe(ServiceEvent.class, metrics::onEvent);
        metrics.serviceAdded("api");
    }

    @AfterEach
    void stop() {
        if (monitor != null) {
            monitor.stopMonitoring();
        }
        harness.close();
        metrics.unregister();
    }

    @Test
    void withOnFailureNotifyAFlappingServiceRaisesOneFlappingAlertAndNoAlertPerFlap() {
        monitor = startAlternating(FLAPPING, "notify");
        scheduler.advance(Duration.ofSeconds(10));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FLAPPING);
        // Before it counted as flapping, each failure was notified (3 failures in the first 7 changes).
        List<Alert> beforeFlapping = firing();
        assertThat(beforeFlapping).extracting(Alert::name).containsExactly(NotifyActionFactory.ALERT_NAME,
                NotifyActionFactory.ALERT_NAME, NotifyActionFactory.ALERT_NAME, FlappingOverlay.ALERT_NAME);

        scheduler.advance(Duration.ofMinutes(10)); // 300 more failures

        assertThat(checks.get()).isGreaterThan(600);
        assertThat(firing()).as("not one alert per flap").isEqualTo(beforeFlapping);
        assertThat(eventsOf(AlertFired.class)).hasSize(4);
        assertThat(firing()).filteredOn(alert -> alert.name().equals(FlappingOverlay.ALERT_NAME)).singleElement()
                .satisfies(alert -> {
                    assertThat(alert.severity()).isEqualTo(Severity.CRITICAL);
                    assertThat(alert.summary()).contains("api is flapping: it changed state 7 times within 1m");
                });
        assertThat(eventsOf(AlertResolved.class)).as("a healthy moment while flapping resolves nothing")
                .hasSize(2);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FLAPPING);
    }

    @Test
    void withoutAFlappingPolicyEveryFailureIsNotifiedAsBefore() {
        monitor = startAlternating(null, "notify");

        scheduler.advance(Duration.ofSeconds(40)); // 20 failures

        assertThat(firing()).hasSize(20).extracting(Alert::name).containsOnly(NotifyActionFactory.ALERT_NAME);
        assertThat(eventsOf(StateChanged.class)).extracting(StateChanged::to).doesNotContain(ServiceState.FLAPPING);
    }

    @Test
    void aFlappingServiceIsPublishedAsFlappingUntilAWholeWindowPassesWithoutAChange() {
        monitor = startAlternating(FLAPPING, "notify");
        scheduler.advance(Duration.ofSeconds(30));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FLAPPING);
        assertThat(stateGauge("flapping")).isEqualTo(1.0);
        assertThat(stateGauge("healthy")).isZero();

        alternating = false;
        scheduler.advance(INTERVAL); // the last change (to HEALTHY, unpublished) is less than 2s ago now
        scheduler.advance(WINDOW.minusSeconds(3));
        assertThat(monitor.snapshot().state()).as("calm for less than a window").isEqualTo(ServiceState.FLAPPING);
        assertThat(firing()).extracting(Alert::name).contains(FlappingOverlay.ALERT_NAME);
        assertThat(resolved()).extracting(Alert::name).doesNotContain(FlappingOverlay.ALERT_NAME);

        scheduler.advance(Duration.ofSeconds(3));

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        assertThat(stateGauge("flapping")).isZero();
        assertThat(stateGauge("healthy")).isEqualTo(1.0);
        List<StateChanged> changes = eventsOf(StateChanged.class);
        int entered = indexOfChange(changes, ServiceState.FLAPPING);
        assertThat(changes.subList(entered, changes.size()))
                .as("nothing of the flapping is published but entering and leaving it")
                .extracting(StateChanged::from, StateChanged::to)
                .containsExactly(tuple(ServiceState.HEALTHY, ServiceState.FLAPPING),
                        tuple(ServiceState.FLAPPING, ServiceState.HEALTHY));
        assertThat(changes.get(changes.size() - 1).cause()).isEqualTo("no state change for 1m");
        // Healthy and calm: the flapping alert and the failure alert held open while flapping resolve.
        assertThat(resolved()).extracting(Alert::name).contains(FlappingOverlay.ALERT_NAME);
        assertThat(firing().size()).isEqualTo(resolved().size());
    }

    @Test
    void aCrashLoopingServiceIsRolledBackOnceItFlapsInsteadOfRestartedUntilRestartAttemptsAreSpent() {
        monitor = startWithWorkload(FLAPPING, policy().restartAttempts(10), "restart", "rollback");
        scheduler.advance(INTERVAL);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);

        for (int crash = 1; crash <= 3; crash++) {
            runtime.crash(); // each crash: UNHEALTHY, RECOVERING, HEALTHY; the 7th change starts the flapping
            scheduler.advance(Duration.ofSeconds(5));
        }

        assertThat(runtime.restarts).isEqualTo(2);
        assertThat(runtime.rollbacks).isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FLAPPING);
        assertThat(eventsOf(RecoveryStarted.class)).extracting(RecoveryStarted::action)
                .containsExactly("restart", "restart", "rollback");
        assertThat(eventsOf(RecoveryEscalated.class)).singleElement()
                .satisfies(e -> assertThat(e.reason()).startsWith("flapping: changed state 7 times within 1m"));
        assertThat(firing()).extracting(Alert::name).containsExactly(FlappingOverlay.ALERT_NAME,
                RecoveryCoordinator.ESCALATED_ALERT);
    }

    @Test
    void aServiceThatKeepsFlappingAfterEveryStepEndsFailedAndNoLongerFlapping() {
        monitor = startWithWorkload(FLAPPING, policy().restartAttempts(10), "restart", "rollback");
        scheduler.advance(INTERVAL);

        for (int crash = 1; crash <= 10; crash++) {
            runtime.crash();
            scheduler.advance(Duration.ofSeconds(5));
        }

        assertThat(runtime.restarts).as("not restarted until restart.attempts (10) are spent").isEqualTo(2);
        assertThat(runtime.rollbacks).isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FAILED);
        assertThat(eventsOf(StateChanged.class)).extracting(StateChanged::from, StateChanged::to)
                .endsWith(tuple(ServiceState.FLAPPING, ServiceState.FAILED));
        assertThat(firing()).extracting(Alert::name).containsExactly(FlappingOverlay.ALERT_NAME,
                RecoveryCoordinator.ESCALATED_ALERT, RecoveryCoordinator.LADDER_EXHAUSTED_ALERT);
        assertThat(resolved()).extracting(Alert::name).containsExactly(FlappingOverlay.ALERT_NAME);
        assertThat(stateGauge("failed")).isEqualTo(1.0);
    }

    @Test
    void aPersonsResetEndsTheFlapping() {
        monitor = startAlternating(FLAPPING, "notify");
        scheduler.advance(Duration.ofSeconds(10));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FLAPPING);
        alternating = false;

        monitor.withCoordinator(coordinator -> coordinator.reset("fixed the flaky dependency"));
        scheduler.advance(INTERVAL);

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        assertThat(eventsOf(StateChanged.class)).extracting(StateChanged::from, StateChanged::to)
                .endsWith(tuple(ServiceState.FLAPPING, ServiceState.STARTING),
                        tuple(ServiceState.STARTING, ServiceState.HEALTHY));
        assertThat(resolved()).extracting(Alert::name).contains(FlappingOverlay.ALERT_NAME);
    }

    @Test
    void shuttingDownWhileFlappingPublishesFlappingToStoppedAndLeavesNoTimerBehind() {
        monitor = startAlternating(FLAPPING, "notify");
        scheduler.advance(Duration.ofSeconds(10));

        monitor.stopMonitoring();
        int published = events.size();
        scheduler.advance(Duration.ofMinutes(5));

        assertThat(eventsOf(StateChanged.class)).last().extracting(StateChanged::from, StateChanged::to)
                .containsExactly(ServiceState.FLAPPING, ServiceState.STOPPED);
        assertThat(events).as("nothing after the shutdown").hasSize(published);
        monitor = null;
    }

    // ---- harness ------------------------------------------------------------------------------------

    private RecoveryPolicy.Builder policy() {
        return RecoveryPolicy.custom().verifyWithin(Duration.ofSeconds(10))
                .backoff(Duration.ofSeconds(1), 1.0, Duration.ofSeconds(1)).budget(100, Duration.ofHours(1));
    }

    /** A service without a workload whose checks alternate between failing and passing while {@link #alternating}. */
    private ServiceMonitor startAlternating(FlappingPolicy flapping, String... ladder) {
        HealthChecker checker = context -> {
            boolean fail = alternating && checks.getAndIncrement() % 2 == 1;
            return CompletableFuture.completedFuture(fail
                    ? CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", Duration.ofMillis(1))
                    : CheckResult.healthy(Duration.ofMillis(1)));
        };
        ServiceDefinition definition = definition(flapping, policy()).build();
        return start(new ServiceMonitor(definition, checker, null, RecoveryHarness.ladder(ladder),
                harness.context()));
    }

    /** A service whose workload ({@link LadderTest.FakeRuntime}) passes its checks while it runs. */
    private ServiceMonitor startWithWorkload(FlappingPolicy flapping, RecoveryPolicy.Builder policy,
            String... ladder) {
        ServiceDefinition definition = definition(flapping, policy).runtime("fake", Map.of()).build();
        ServiceMonitor created = new ServiceMonitor(definition, runtime.checker(), runtime,
                RecoveryHarness.ladder(ladder), harness.context());
        runtime.listener = created;
        return start(created);
    }

    private ServiceMonitor start(ServiceMonitor created) {
        created.start(Duration.ZERO);
        scheduler.runDue();
        return created;
    }

    private ServiceDefinition.Builder definition(FlappingPolicy flapping, RecoveryPolicy.Builder policy) {
        return ServiceDefinition.builder("api").check("fake", "nowhere").interval(INTERVAL)
                .timeout(Duration.ofMillis(500)).startPeriod(Duration.ZERO).failureThreshold(1).successThreshold(1)
                .recoveryPolicy(policy.build()).flapping(flapping);
    }

    private List<Alert> firing() {
        return harness.firing();
    }

    private List<Alert> resolved() {
        return delivered.stream().filter(alert -> alert.state() == Alert.State.RESOLVED).toList();
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return harness.eventsOf(type);
    }

    private static int indexOfChange(List<StateChanged> changes, ServiceState to) {
        for (int i = 0; i < changes.size(); i++) {
            if (changes.get(i).to() == to) {
                return i;
            }
        }
        throw new AssertionError("no change to " + to + " in " + changes);
    }

    /** The {@code aegis_service_state{service="api",state=...}} gauge now. */
    private double stateGauge(String state) {
        return registry.scrape().stream()
                .filter(snapshot -> snapshot.getMetadata().getPrometheusName().equals("aegis_service_state"))
                .flatMap(snapshot -> ((GaugeSnapshot) snapshot).getDataPoints().stream())
                .filter(point -> state.equals(point.getLabels().get("state")))
                .mapToDouble(GaugeSnapshot.GaugeDataPointSnapshot::getValue).findFirst()
                .orElseThrow(() -> new AssertionError("no aegis_service_state series for " + state));
    }
}
