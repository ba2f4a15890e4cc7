package io.aegis.core.internal.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.core.RecoveryPolicy;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.Dependencies;
import io.aegis.core.internal.DependencyAttribution;
import io.aegis.core.internal.MonitorContext;
import io.aegis.core.internal.ServiceMonitor;
import io.aegis.core.internal.VirtualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code dependsOn} at work, on virtual time: a {@code db} and an {@code api} that depends on it (its check fails
 * while {@code db} does not serve), each with the real monitor and coordinator, wired by the real
 * {@link DependencyAttribution}, the bus delivering on the calling thread.
 */
class DependsOnTest {
    private static final Duration VERIFY = Duration.ofSeconds(10);

    private final RecoveryHarness harness = new RecoveryHarness();
    private final VirtualScheduler scheduler = harness.scheduler;
    private final List<ServiceEvent> events = harness.events;
    private final List<Alert> alerts = harness.alerts;
    private final LadderTest.FakeRuntime db = new LadderTest.FakeRuntime();
    private final LadderTest.FakeRuntime api = new LadderTest.FakeRuntime();
    private final Map<String, ServiceMonitor> monitors = new HashMap<>();
    private DependencyAttribution attribution;

    @AfterEach
    void stop() {
        monitors.values().forEach(ServiceMonitor::stopMonitoring);
        harness.close();
    }

    @Test
    void whileTheDependencyIsDownTheDependentIsNotRecoveredRaisesNoAlertAndItsCauseNamesTheDependency() {
        start(Duration.ofSeconds(1), Duration.ofSeconds(1), defaults());
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(states()).containsEntry("db", ServiceState.HEALTHY).containsEntry("api", ServiceState.HEALTHY);
        db.badReleases.add("v2"); // restarting db does not help for a while

        db.crash();
        scheduler.advance(Duration.ofMinutes(2));

        assertThat(db.restarts).as("db is recovered").isGreaterThanOrEqualTo(2);
        assertThat(api.restarts).as("api is not").isZero();
        assertThat(recoveriesOf("api")).isEmpty();
        assertThat(alerts).as("api's alerts are held back").noneMatch(alert -> alert.serviceName().equals("api"));
        assertThat(states()).containsEntry("api", ServiceState.UNHEALTHY);
        assertThat(stateChangesOf("api")).filteredOn(change -> change.to() == ServiceState.UNHEALTHY).singleElement()
                .satisfies(change -> assertThat(change.cause()).endsWith("(db is down: recovery held back)"));
    }

    @Test
    void theDependentIsCheckedAtOnceWhenTheDependencyIsHealthyAgain() {
        start(Duration.ofSeconds(1), Duration.ofMinutes(1), defaults());
        scheduler.advance(Duration.ofMinutes(1));
        db.badReleases.add("v2");
        db.crash();
        scheduler.advance(Duration.ofMinutes(1)); // api is checked and fails meanwhile
        assertThat(states()).containsEntry("api", ServiceState.UNHEALTHY);

        db.badReleases.clear();
        Instant dbBackAt = advanceUntil(() -> monitors.get("db").snapshot().state() == ServiceState.HEALTHY);
        scheduler.runDue();

        assertThat(states()).as("api is checked at once, not at its next tick a minute later")
                .containsEntry("api", ServiceState.HEALTHY);
        assertThat(monitors.get("api").snapshot().since()).isEqualTo(dbBackAt);
        assertThat(api.restarts).isZero();
    }

    @Test
    void aDependentWhoseCheckFailsBeforeTheDependencysOwnCheckNoticedIsStillNotRestarted() {
        // db checked every 10s, api every second: when db stops serving, api notices up to 10s before db does.
        start(Duration.ofSeconds(10), Duration.ofSeconds(1), defaults());
        scheduler.advance(Duration.ofSeconds(10));
        assertThat(states()).containsEntry("db", ServiceState.HEALTHY).containsEntry("api", ServiceState.HEALTHY);

        db.running = false; // hangs: no exit to notice, only checks
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(db.restarts).as("api's failure made db be checked at once, and db was restarted").isEqualTo(1);
        assertThat(api.restarts).isZero();
        assertThat(recoveriesOf("api")).isEmpty();
        scheduler.advance(Duration.ofSeconds(20));
        assertThat(states()).containsEntry("db", ServiceState.HEALTHY).containsEntry("api", ServiceState.HEALTHY);
        assertThat(api.restarts).isZero();
        assertThat(alerts).noneMatch(alert -> alert.serviceName().equals("api"));
    }

    @Test
    void aDependentWhoseOwnCheckFailsWhileItsDependencyPassesIsRecoveredAfterAskingIt() {
        start(Duration.ofSeconds(10), Duration.ofSeconds(1), defaults());
        scheduler.advance(Duration.ofSeconds(10));

        api.badReleases.add("v2"); // api's own fault
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(api.restarts).isEqualTo(1);
        assertThat(db.restarts).isZero();
    }

    @Test
    void aDependentStillFailingWhenItsDependencyIsBackGetsItsRecovery() {
        start(Duration.ofSeconds(1), Duration.ofSeconds(1), defaults());
        scheduler.advance(Duration.ofSeconds(1));
        db.badReleases.add("v2");
        db.crash();
        api.badReleases.add("v2"); // meanwhile api broke on its own too
        scheduler.advance(Duration.ofMinutes(1));
        assertThat(api.restarts).isZero();

        db.badReleases.clear();
        Instant dbBackAt = advanceUntil(() -> monitors.get("db").snapshot().state() == ServiceState.HEALTHY);
        scheduler.runDue();

        assertThat(api.restarts).as("recovered as soon as its failure is its own").isEqualTo(1);
        assertThat(recoveriesOf("api")).singleElement().satisfies(started -> {
            assertThat(started.at()).isEqualTo(dbBackAt);
            assertThat(started.cause()).startsWith("still failing with its dependencies up");
        });
    }

    @Test
    void aDependentWhoseWorkloadExitsWhileItsDependencyIsDownIsRestartedOnlyWhenTheDependencyIsBack() {
        start(Duration.ofSeconds(1), Duration.ofSeconds(1), defaults());
        scheduler.advance(Duration.ofSeconds(1));
        db.badReleases.add("v2");
        db.crash();
        scheduler.advance(Duration.ofSeconds(5));

        api.crash(); // it exits when its database is gone
        scheduler.advance(Duration.ofMinutes(1));
        assertThat(api.restarts).as("restarting it now would only crash-loop").isZero();

        db.badReleases.clear();
        advanceUntil(() -> monitors.get("db").snapshot().state() == ServiceState.HEALTHY);
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(api.restarts).isEqualTo(1);
        assertThat(states()).containsEntry("api", ServiceState.HEALTHY);
        assertThat(alerts).noneMatch(alert -> alert.serviceName().equals("api"));
    }

    @Test
    void theDependentsWorkloadStartsOnlyAfterItsDependencyPassedItsFirstCheck() {
        start(Duration.ofSeconds(1), Duration.ofSeconds(1), ServiceDefinition.builder("db")
                .initialDelay(Duration.ofSeconds(5)).startPeriod(Duration.ZERO));

        scheduler.advance(Duration.ofSeconds(4));
        assertThat(db.running).isTrue();
        assertThat(api.running).as("api waits for db's first check").isFalse();
        assertThat(states()).containsEntry("api", ServiceState.UNKNOWN);

        scheduler.advance(Duration.ofSeconds(1));
        assertThat(api.running).isTrue();
        assertThat(stateChangesOf("db")).filteredOn(change -> change.to() == ServiceState.HEALTHY).first()
                .satisfies(healthy -> assertThat(stateChangesOf("api").get(0).at()).isEqualTo(healthy.at()));
        assertThat(events.indexOf(stateChangesOf("api").get(0))).as("api starts after db is healthy")
                .isGreaterThan(events.indexOf(stateChangesOf("db").stream()
                        .filter(change -> change.to() == ServiceState.HEALTHY).findFirst().orElseThrow()));
    }

    @Test
    void aDependentStartsAnywayWhenItsDependencyIsNotHealthyWithinTheTimeItNeedsToBeJudged() {
        db.badReleases.add("v2");
        db.badReleases.add("v1");
        start(Duration.ofSeconds(1), Duration.ofSeconds(1), ServiceDefinition.builder("db")
                .startPeriod(Duration.ofSeconds(30)));
        Duration bound = attribution.startBound("api"); // 30s + 1 x 1s + 500ms

        assertThat(bound).isEqualTo(Duration.ofMillis(31_500));
        scheduler.advance(bound.minusMillis(1));
        assertThat(api.running).isFalse();
        scheduler.advance(Duration.ofMillis(1));
        assertThat(api.running).isTrue();
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(api.restarts).as("its failures are attributed to db").isZero();
    }

    // ---- harness ------------------------------------------------------------------------------------

    private static ServiceDefinition.Builder defaults() {
        return ServiceDefinition.builder("db").startPeriod(Duration.ZERO);
    }

    /** Starts db (checked every {@code dbInterval}, built from {@code dbBuilder}) and api, dependsOn db. */
    private void start(Duration dbInterval, Duration apiInterval, ServiceDefinition.Builder dbBuilder) {
        RecoveryPolicy policy = RecoveryPolicy.custom().verifyWithin(VERIFY)
                .backoff(Duration.ofSeconds(1), 1.0, Duration.ofSeconds(1)).budget(100, Duration.ofHours(1)).build();
        ServiceDefinition dbDefinition = dbBuilder.check("fake", "nowhere").interval(dbInterval)
                .timeout(Duration.ofMillis(500)).recoveryPolicy(policy).runtime("fake", Map.of())
                .onFailure("restart").build();
        ServiceDefinition apiDefinition = ServiceDefinition.builder("api").check("fake", "nowhere")
                .interval(apiInterval).timeout(Duration.ofMillis(500)).startPeriod(Duration.ZERO)
                .recoveryPolicy(policy).runtime("fake", Map.of()).onFailure("restart", "notify").dependsOn("db")
                .build();
        MonitorContext context = harness.context();
        HealthChecker apiChecker = check -> db.running && !db.badReleases.contains(db.release)
                ? api.checker().check(check)
                : CompletableFuture.completedFuture(CheckResult.unhealthy(FailureReason.STATUS,
                        "503: cannot reach db", Duration.ofMillis(1)));
        ServiceMonitor dbMonitor = new ServiceMonitor(dbDefinition, db.checker(), db, RecoveryHarness.ladder(dbDefinition.ladder()),
                context);
        ServiceMonitor apiMonitor = new ServiceMonitor(apiDefinition, apiChecker, api, RecoveryHarness.ladder(apiDefinition.ladder()),
                context);
        db.listener = dbMonitor;
        api.listener = apiMonitor;
        monitors.put("db", dbMonitor);
        monitors.put("api", apiMonitor);
        List<ServiceDefinition> definitions = List.of(dbDefinition, apiDefinition);
        attribution = new DependencyAttribution(Dependencies.of(definitions),
                name -> Optional.ofNullable(monitors.get(name)), definitions, scheduler, scheduler.clock());
        harness.bus.subscribeLossless("Dependencies", ServiceEvent.class, attribution::onEvent);
        attribution.attach(dbMonitor);
        attribution.attach(apiMonitor);
        dbMonitor.start(Duration.ZERO, attribution.startGate("db"));
        apiMonitor.start(Duration.ZERO, attribution.startGate("api"));
        scheduler.runDue();
    }

    /** Advances 100ms at a time until {@code condition} holds; returns the virtual time it first held. */
    private Instant advanceUntil(java.util.function.BooleanSupplier condition) {
        for (int i = 0; i < 10_000 && !condition.getAsBoolean(); i++) {
            scheduler.advance(Duration.ofMillis(100));
        }
        assertThat(condition.getAsBoolean()).as("condition reached in virtual time").isTrue();
        return stateChangesOf("db").get(stateChangesOf("db").size() - 1).at();
    }

    private Map<String, ServiceState> states() {
        Map<String, ServiceState> states = new HashMap<>();
        monitors.forEach((name, monitor) -> states.put(name, monitor.snapshot().state()));
        return states;
    }

    private List<RecoveryStarted> recoveriesOf(String service) {
        return events.stream().filter(RecoveryStarted.class::isInstance).map(RecoveryStarted.class::cast)
                .filter(event -> event.serviceName().equals(service)).toList();
    }

    private List<StateChanged> stateChangesOf(String service) {
        return events.stream().filter(StateChanged.class::isInstance).map(StateChanged.class::cast)
                .filter(event -> event.serviceName().equals(service)).toList();
    }
}
