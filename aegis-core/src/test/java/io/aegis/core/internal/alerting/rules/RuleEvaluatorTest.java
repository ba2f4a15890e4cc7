package io.aegis.core.internal.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.MoreExecutors;
import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.ConfigProblem;
import io.aegis.api.FailureReason;
import io.aegis.api.Settings;
import io.aegis.api.Severity;
import io.aegis.core.ServiceState;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.OperatorAction;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.VirtualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rules evaluated in virtual time against events as the engine publishes them: pending, firing after {@code for:},
 * resolved when false, per service.
 */
class RuleEvaluatorTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private final VirtualScheduler scheduler = new VirtualScheduler(T0);
    private final EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
    /** The opted-in metadata labels ({@code alerting.metadataLabels}) of each service, as the engine gives them. */
    private final Map<String, Map<String, String>> metadataLabels = new java.util.concurrent.ConcurrentHashMap<>();
    private final Alerts alerts = new Alerts(bus, scheduler.clock(),
            service -> metadataLabels.getOrDefault(service, Map.of()));
    private final List<Alert> fired = new CopyOnWriteArrayList<>();
    private final List<Alert> resolved = new CopyOnWriteArrayList<>();
    private RuleEvaluator evaluator;

    RuleEvaluatorTest() {
        bus.subscribe(AlertFired.class, event -> fired.add(event.alert()));
        bus.subscribe(AlertResolved.class, event -> resolved.add(event.alert()));
    }

    @AfterEach
    void close() {
        if (evaluator != null) {
            evaluator.close();
        }
        bus.close();
    }

    /** Starts evaluating {@code rules} (maps as in YAML) every 10s, for services api (team web) and db. */
    private void evaluate(List<Map<String, Object>> rules) {
        List<ConfigProblem> problems = new ArrayList<>();
        Map<String, Map<String, String>> services = new LinkedHashMap<>();
        services.put("api", Map.of("team", "web"));
        services.put("db", Map.of("team", "storage"));
        RuleSet set = RuleSet.parse(Settings.of("alerting", Map.of("evaluationInterval", "10s", "rules", rules)),
                services, problems::add);
        assertThat(problems).isEmpty();
        evaluator = new RuleEvaluator(set, alerts, scheduler.clock(), scheduler, Runnable::run);
        services.forEach(evaluator::serviceAdded);
        evaluator.start();
    }

    /** One final check of {@code service} every second for {@code duration}, each taking {@code latency}. */
    private void checks(String service, Duration duration, Duration latency, boolean passing) {
        for (long s = 0; s < duration.toSeconds(); s++) {
            CheckResult result = passing ? CheckResult.healthy(latency)
                    : CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", latency);
            evaluator.onEvent(new CheckCompleted(service, scheduler.now(), result, 1, true));
            scheduler.advance(Duration.ofSeconds(1));
        }
    }

    @Test
    void aSlowServiceGoesPendingThenFiresAfterForWithTemplatedAnnotationsThenResolvesWhenFastAgain() {
        evaluate(List.of(Map.of("alert", "SlowChecks", "expr", "p95(check_latency[1m]) > 500ms", "for", "30s",
                "severity", "critical", "labels", Map.of("team", "web"),
                "annotations", Map.of("summary", "{{service}} answers slowly: p95 {{ value }} > {{threshold}}",
                        "runbook_url", "https://runbooks/{{service}}/{{ $alert }}"))));
        checks("api", Duration.ofSeconds(25), Duration.ofMillis(50), true);

        checks("api", Duration.ofSeconds(30), Duration.ofMillis(800), true); // slow from 25s; true at 30s (>5% slow)
        assertThat(fired).as("pending at 30s, 40s and 50s: for: 30s has not passed").isEmpty();
        checks("api", Duration.ofSeconds(10), Duration.ofMillis(800), true); // 60s: held for 30s

        assertThat(fired).singleElement().satisfies(alert -> {
            assertThat(alert.name()).isEqualTo("SlowChecks");
            assertThat(alert.serviceName()).isEqualTo("api");
            assertThat(alert.severity()).isEqualTo(Severity.CRITICAL);
            assertThat(alert.labels()).isEqualTo(Map.of("team", "web"));
            assertThat(alert.startsAt()).as("when the condition began to hold").isEqualTo(T0.plusSeconds(30));
            // a quantile is read from a histogram: within 4.5% of 800ms
            assertThat(alert.summary()).matches("api answers slowly: p95 (7[7-9][0-9]|8[0-3][0-9])ms > 500ms");
            assertThat(alert.runbookUrl()).contains("https://runbooks/api/SlowChecks");
        });

        checks("api", Duration.ofSeconds(50), Duration.ofMillis(50), true);
        assertThat(resolved).as("p95 still slow while 5% of the last minute was slow").isEmpty();
        checks("api", Duration.ofSeconds(20), Duration.ofMillis(50), true);

        assertThat(resolved).singleElement().satisfies(alert -> {
            assertThat(alert.fingerprint()).isEqualTo(fired.get(0).fingerprint());
            assertThat(alert.endsAt()).isPresent();
        });
        assertThat(fired).hasSize(1);
    }

    @Test
    void withoutForItFiresAtTheFirstEvaluationAndEachIncidentIsANewAlert() {
        evaluate(List.of(Map.of("alert", "Failing", "expr", "failure_ratio(checks[10s]) >= 50%")));
        checks("db", Duration.ofSeconds(10), Duration.ofMillis(5), false);
        assertThat(fired).singleElement().satisfies(alert -> {
            assertThat(alert.startsAt()).isEqualTo(T0.plusSeconds(10));
            assertThat(alert.severity()).isEqualTo(Severity.WARNING);
            assertThat(alert.summary()).isEqualTo("failure_ratio(checks[10s]) is 100% (threshold: >= 50%)");
        });

        checks("db", Duration.ofSeconds(20), Duration.ofMillis(5), true);
        assertThat(resolved).hasSize(1);
        checks("db", Duration.ofSeconds(20), Duration.ofMillis(5), false);

        assertThat(fired).hasSize(2);
        assertThat(fired.get(1).startsAt()).isAfter(fired.get(0).startsAt());
    }

    @Test
    void aConditionThatStopsHoldingWhilePendingNeverFires() {
        evaluate(List.of(Map.of("alert", "Failing", "expr", "count(failed_checks[10s]) >= 3", "for", "1m")));
        checks("api", Duration.ofSeconds(40), Duration.ofMillis(5), false);
        checks("api", Duration.ofSeconds(30), Duration.ofMillis(5), true);
        checks("api", Duration.ofSeconds(40), Duration.ofMillis(5), false);

        assertThat(fired).as("each run of failures was shorter than for: 1m").isEmpty();
        checks("api", Duration.ofSeconds(30), Duration.ofMillis(5), false);
        assertThat(fired).hasSize(1);
    }

    @Test
    void restartsCountSuccessfulRestartsOnlyAndRecoveriesCountEveryAction() {
        evaluate(List.of(Map.of("alert", "RestartLoop", "expr", "count(restarts[1h]) > 2",
                        "annotations", Map.of("description", "{{value}} restarts in the last hour")),
                Map.of("alert", "Recovering", "expr", "count(recoveries[1h]) > 3")));
        for (int i = 0; i < 3; i++) {
            evaluator.onEvent(new RecoveryStarted("api", scheduler.now(), "restart", i + 1, "down"));
            evaluator.onEvent(new RecoveryFinished("api", scheduler.now(), "restart", i + 1,
                    ActionOutcome.succeeded("restarted")));
            scheduler.advance(Duration.ofMinutes(5));
        }
        evaluator.onEvent(new RecoveryStarted("api", scheduler.now(), "restart", 4, "down"));
        evaluator.onEvent(new RecoveryFinished("api", scheduler.now(), "restart", 4, ActionOutcome.failed("no")));
        evaluator.onEvent(new RecoveryStarted("api", scheduler.now(), "rollback", 1, "down", 2));
        evaluator.onEvent(new RecoveryFinished("api", scheduler.now(), "rollback", 1, ActionOutcome.succeeded("ok")));
        scheduler.advance(Duration.ofSeconds(10));

        assertThat(fired).extracting(Alert::name).containsExactly("RestartLoop", "Recovering");
        assertThat(fired.get(0).description()).contains("3 restarts in the last hour");

        scheduler.advance(Duration.ofHours(1).plusMinutes(2));
        assertThat(resolved).extracting(Alert::name).containsExactlyInAnyOrder("RestartLoop", "Recovering");
    }

    @Test
    void timeInAStateFiresWhenTheServiceWasDownLongEnoughInTheWindow() {
        evaluate(List.of(Map.of("alert", "OftenDown", "expr", "time_in(unhealthy[10m]) >= 3m",
                "annotations", Map.of("summary", "{{service}} was down {{value}} of the last 10m"))));
        for (int i = 0; i < 2; i++) {
            evaluator.onEvent(new StateChanged("api", scheduler.now(), ServiceState.HEALTHY, ServiceState.UNHEALTHY,
                    "HTTP 503"));
            scheduler.advance(Duration.ofSeconds(80));
            evaluator.onEvent(new StateChanged("api", scheduler.now(), ServiceState.UNHEALTHY, ServiceState.HEALTHY,
                    "HTTP 200"));
            scheduler.advance(Duration.ofSeconds(60));
        }
        assertThat(fired).as("160s down so far").isEmpty();
        evaluator.onEvent(new StateChanged("api", scheduler.now(), ServiceState.HEALTHY, ServiceState.UNHEALTHY,
                "HTTP 503"));

        scheduler.advance(Duration.ofSeconds(30)); // down again, and still: 160s + 20s at the evaluation at 300s

        assertThat(fired).singleElement().extracting(Alert::summary).isEqualTo("api was down 3m of the last 10m");
        evaluator.onEvent(new StateChanged("api", scheduler.now(), ServiceState.UNHEALTHY, ServiceState.HEALTHY,
                "HTTP 200"));
        scheduler.advance(Duration.ofMinutes(10));
        assertThat(resolved).hasSize(1);
    }

    @Test
    void aPausedServiceRaisesNoNewAlertUntilItIsResumed() {
        evaluate(List.of(Map.of("alert", "Failing", "expr", "count(failed_checks[10s]) >= 3")));
        evaluator.onEvent(new OperatorAction("api", scheduler.now(), OperatorAction.Kind.PAUSE, "deploying"));
        checks("api", Duration.ofSeconds(30), Duration.ofMillis(5), false);
        assertThat(fired).isEmpty();

        evaluator.onEvent(new OperatorAction("api", scheduler.now(), OperatorAction.Kind.RESUME, "deployed"));
        checks("api", Duration.ofSeconds(10), Duration.ofMillis(5), false);

        assertThat(fired).singleElement().extracting(Alert::startsAt).as("the condition held since the first"
                + " evaluation").isEqualTo(T0.plusSeconds(10));
    }

    @Test
    void aRuleWatchesOnlyTheServicesItNamesOrMatches() {
        evaluate(List.of(
                Map.of("alert", "Slow", "expr", "max(check_latency[10s]) > 1s", "services", List.of("api")),
                Map.of("alert", "SlowStorage", "expr", "avg(check_latency[10s]) > 1s", "matchers",
                        List.of("team=~\"stor.*\"")),
                Map.of("alert", "SlowElsewhere", "expr", "max(check_latency[10s]) > 1s", "matchers",
                        List.of("service!=db")))); // a matcher sees the service's name as label service
        checks("db", Duration.ofSeconds(10), Duration.ofSeconds(2), true);

        assertThat(fired).extracting(Alert::name, Alert::serviceName).containsExactly(
                org.assertj.core.groups.Tuple.tuple("SlowStorage", "db"));
    }

    @Test
    void aServiceWhoseChecksStopFiresOnAnEmptyWindow() {
        evaluate(List.of(Map.of("alert", "NoChecks", "expr", "count(checks[30s]) < 1", "services", List.of("api"))));
        checks("api", Duration.ofSeconds(40), Duration.ofMillis(5), true);
        assertThat(fired).isEmpty();

        scheduler.advance(Duration.ofSeconds(40));

        assertThat(fired).extracting(Alert::name).containsExactly("NoChecks");
    }

    @Test
    void aLatencyRuleWithoutAnySampleStaysQuietAndResolvesAnAlertRestoredFromAnEarlierRun() {
        // What the alert lifecycle restores after a restart: the rule's alert, still firing.
        Alert restored = Alert.builder("SlowChecks", "api").severity(Severity.WARNING).summary("slow")
                .startsAt(T0.minusSeconds(3600)).build();
        alerts.raise(restored);
        fired.clear();
        evaluate(List.of(Map.of("alert", "SlowChecks", "expr", "p95(check_latency[1m]) > 500ms")));

        scheduler.advance(Duration.ofSeconds(10));

        assertThat(fired).isEmpty();
        assertThat(resolved).singleElement().satisfies(alert -> {
            assertThat(alert.fingerprint()).isEqualTo(restored.fingerprint());
            assertThat(alert.endsAt()).contains(T0.plusSeconds(10));
        });
    }

    @Test
    void anAlertRestoredWhileTheConditionStillHeldResolvesWhenItStopsHolding() {
        Alert restored = Alert.builder("Failing", "api").summary("failing").startsAt(T0.minusSeconds(600)).build();
        alerts.raise(restored);
        fired.clear();
        evaluate(List.of(Map.of("alert", "Failing", "expr", "count(failed_checks[10s]) >= 3", "for", "1m")));
        checks("api", Duration.ofSeconds(30), Duration.ofMillis(5), false);
        assertThat(resolved).as("pending: the condition still holds").isEmpty();

        checks("api", Duration.ofSeconds(20), Duration.ofMillis(5), true);

        assertThat(resolved).singleElement().extracting(Alert::fingerprint).isEqualTo(restored.fingerprint());
        assertThat(fired).isEmpty();
    }

    /** Takes back {@code restored} as the last run's standing (threshold-rule) alerts, as the engine does. */
    private void restoreStanding(Alert... restored) {
        alerts.restore(List.of(restored), java.util.Arrays.stream(restored).map(Alert::fingerprint)
                .collect(java.util.stream.Collectors.toSet()));
    }

    private static Alert.Builder restoredAlert(String name, String service) {
        return Alert.builder(name, service).summary("kept by the last run").startsAt(T0.minusSeconds(3600));
    }

    @Test
    void atStartARestoredAlertOfARemovedRuleIsResolvedAndOneARuleStillRaisesIsKept() {
        Alert removed = restoredAlert("SlowChecks", "api").build();
        Alert stillRaised = restoredAlert("Failing", "api").build();
        Alert health = restoredAlert("ServiceUnhealthy", "db").build();
        restoreStanding(removed, stillRaised);
        alerts.restore(List.of(health), java.util.Set.of()); // a monitor's alert: its service's health ends it

        evaluate(List.of(Map.of("alert", "Failing", "expr", "count(failed_checks[10s]) >= 3")));

        assertThat(resolved).as("at start, before any evaluation").extracting(Alert::fingerprint)
                .containsExactly(removed.fingerprint());
    }

    @Test
    void atStartARestoredAlertOfARenamedRuleIsResolved() {
        Alert renamed = restoredAlert("SlowCheck", "api").build();
        restoreStanding(renamed);

        evaluate(List.of(Map.of("alert", "SlowChecks", "expr", "p95(check_latency[1m]) > 500ms")));

        assertThat(resolved).extracting(Alert::fingerprint).containsExactly(renamed.fingerprint());
    }

    @Test
    void atStartARestoredAlertOfAServiceTheRuleNoLongerWatchesIsResolved() {
        Alert listedBefore = restoredAlert("Slow", "db").build();
        Alert matchedBefore = restoredAlert("SlowWeb", "db").build();
        Alert stillMatched = restoredAlert("SlowWeb", "api").build();
        restoreStanding(listedBefore, matchedBefore, stillMatched);

        evaluate(List.of(Map.of("alert", "Slow", "expr", "max(check_latency[10s]) > 1s", "services", List.of("api")),
                Map.of("alert", "SlowWeb", "expr", "max(check_latency[10s]) > 2s", "matchers", List.of("team=web"))));

        assertThat(resolved).extracting(Alert::fingerprint)
                .containsExactlyInAnyOrder(listedBefore.fingerprint(), matchedBefore.fingerprint());
    }

    @Test
    void atStartARestoredAlertWhoseRuleChangedItsLabelsOrSeverityIsResolved() {
        Alert oldLabels = restoredAlert("Slow", "api").labels(Map.of("team", "platform")).build();
        Alert oldSeverity = restoredAlert("Failing", "api").severity(Severity.CRITICAL).build();
        Alert unchanged = restoredAlert("Failing", "db").build();
        restoreStanding(oldLabels, oldSeverity, unchanged);

        evaluate(List.of(Map.of("alert", "Slow", "expr", "max(check_latency[10s]) > 1s", "labels",
                        Map.of("team", "web")),
                Map.of("alert", "Failing", "expr", "count(failed_checks[10s]) >= 3", "severity", "warning")));

        assertThat(resolved).extracting(Alert::fingerprint)
                .containsExactlyInAnyOrder(oldLabels.fingerprint(), oldSeverity.fingerprint());
    }

    @Test
    void atStartARestoredAlertCarryingMetadataLabelsNoLongerOptedInIsResolved() {
        // The last run had alerting.metadataLabels: [team]; this one copies tier only (db has no tier: no label).
        metadataLabels.put("api", Map.of("tier", "gold"));
        Alert withTeam = restoredAlert("Slow", "api").labels(Map.of("team", "web")).build();
        Alert dbWithTeam = restoredAlert("Slow", "db").labels(Map.of("team", "storage")).build();
        Alert withTier = restoredAlert("Failing", "api").labels(Map.of("tier", "gold")).build();
        restoreStanding(withTeam, dbWithTeam, withTier);

        evaluate(List.of(Map.of("alert", "Slow", "expr", "max(check_latency[10s]) > 1s"),
                Map.of("alert", "Failing", "expr", "count(failed_checks[10s]) >= 3")));

        assertThat(resolved).extracting(Alert::fingerprint)
                .containsExactlyInAnyOrder(withTeam.fingerprint(), dbWithTeam.fingerprint());
    }

    @Test
    void atStartWithNoRulesLeftEveryRestoredRuleAlertIsResolved() {
        Alert restored = restoredAlert("Slow", "api").build();
        restoreStanding(restored);

        evaluate(List.of());

        assertThat(resolved).extracting(Alert::fingerprint).containsExactly(restored.fingerprint());
        assertThat(scheduler.pending()).as("nothing to evaluate").isZero();
    }

    @Test
    void aRemovedServiceIsForgotten() {
        evaluate(List.of(Map.of("alert", "Slow", "expr", "max(check_latency[10s]) > 1s")));
        checks("api", Duration.ofSeconds(5), Duration.ofSeconds(2), true);
        assertThat(evaluator.allocatedBuckets("api")).isPositive();

        evaluator.serviceRemoved("api");
        checks("api", Duration.ofSeconds(10), Duration.ofSeconds(2), true);

        assertThat(evaluator.allocatedBuckets("api")).isZero();
        assertThat(fired).isEmpty();
    }

    @Test
    void evaluationStopsWhenClosed() {
        evaluate(List.of(Map.of("alert", "Slow", "expr", "max(check_latency[10s]) > 1s")));
        evaluator.close();

        checks("api", Duration.ofSeconds(30), Duration.ofSeconds(2), true);

        assertThat(fired).isEmpty();
        assertThat(scheduler.pending()).isZero();
    }
}
