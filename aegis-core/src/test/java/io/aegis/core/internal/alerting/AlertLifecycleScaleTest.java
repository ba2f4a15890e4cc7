package io.aegis.core.internal.alerting;

import static io.aegis.core.internal.alerting.LifecycleHarness.notifiers;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Alert;
import io.aegis.api.Severity;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The work of a change at scale, counted rather than timed: group evaluations and writes of the state file. With
 * thousands of groups, one alert's change must cost about one evaluation and one write, not thousands.
 */
class AlertLifecycleScaleTest {
    private static final Instant T0 = Instant.parse("2026-06-01T10:00:00Z");
    private static final int SERVICES = 2000;

    @Test
    void anAlertsChangeEvaluatesOnlyItsGroupsAndABurstOfChangesIsOneWrite(@TempDir Path state) {
        Map<String, List<String>> dependsOn = new LinkedHashMap<>();
        for (int i = 0; i < SERVICES; i++) {
            dependsOn.put("svc-" + i, List.of("db"));
        }
        LifecycleHarness h = new LifecycleHarness(T0, """
                route: {groupWait: 30s, groupInterval: 5m, repeatInterval: 4h}
                inhibitRules:
                  - sourceMatchers: [alertname=ServiceIsolated]
                    targetMatchers: [severity=warning]
                    equal: [service]
                """, notifiers("hook"), dependsOn, state);
        h.lifecycle.restore();
        h.lifecycle.start();
        h.scheduler.runDue();
        long writes = h.store.writes();
        List<Alert> alerts = new ArrayList<>();
        for (int i = 0; i < SERVICES; i++) {
            alerts.add(h.fire(h.alert("ServiceUnhealthy", "svc-" + i, Severity.CRITICAL)));
        }
        h.scheduler.runDue();
        assertThat(h.store.writes() - writes).as("the burst of %s alerts is one write", SERVICES).isEqualTo(1);

        h.advance(Duration.ofSeconds(30));
        assertThat(h.sent).hasSize(SERVICES);
        assertThat(h.lifecycle.evaluations()).as("each group once").isEqualTo(SERVICES);
        assertThat(h.store.writes() - writes).as("and their flushes one more").isEqualTo(2);

        // One more alert: its own group is evaluated, nothing else; a write for its firing, one for its flush.
        Budget budget = new Budget(h);
        h.advance(Duration.ofMinutes(1));
        h.fire(h.alert("RecoveryEscalated", "svc-0", Severity.WARNING));
        h.advance(Duration.ofMinutes(1));
        budget.spent(1, 2);

        // One resolves: its group only, at its next groupInterval.
        budget = new Budget(h);
        h.resolve(alerts.get(1));
        h.advance(Duration.ofMinutes(5));
        budget.spent(1, 2);
        assertThat(h.sent).last().satisfies(s -> assertThat(s.alerts()).containsExactly(
                "ServiceUnhealthy/svc-1:resolved"));

        // The dependency every service depends on fires and resolves: its dependents' alerts were notified
        // already, so nothing of theirs is evaluated again.
        budget = new Budget(h);
        Alert db = h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.advance(Duration.ofSeconds(30));
        h.resolve(db);
        h.advance(Duration.ofMinutes(5));
        budget.spent(2, 4);

        // No repeat was pulled forward by these changes; the repeats themselves change nothing kept.
        budget = new Budget(h);
        h.advance(Duration.between(h.scheduler.now(), T0.plus(Duration.ofHours(4)).plusSeconds(29)));
        budget.spent(0, 0);
        h.advance(Duration.ofSeconds(1));
        assertThat(h.lifecycle.evaluations() - budget.evaluations).as("the repeats of the firing groups")
                .isEqualTo(SERVICES - 1);
        assertThat(h.store.writes()).as("a repeat changes nothing kept: no write").isEqualTo(budget.writes);
    }

    /** The evaluations and writes since it was taken. */
    private static final class Budget {
        final LifecycleHarness h;
        final long evaluations;
        final long writes;

        Budget(LifecycleHarness h) {
            this.h = h;
            this.evaluations = h.lifecycle.evaluations();
            this.writes = h.store.writes();
        }

        void spent(long maxEvaluations, long maxWrites) {
            assertThat(h.lifecycle.evaluations() - evaluations).as("group evaluations").isLessThanOrEqualTo(
                    maxEvaluations);
            assertThat(h.store.writes() - writes).as("writes of the state").isLessThanOrEqualTo(maxWrites);
        }
    }
}
