package io.aegis.core.internal.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The threshold rules' grammar: what it reads, and errors that say where and what was expected. */
class RuleExpressionTest {

    @Test
    void readsALatencyQuantileComparedWithADuration() {
        RuleExpression e = RuleExpression.parse("  p95( check_latency [5m] )>500ms ");

        assertThat(e.function()).isEqualTo(RuleExpression.Function.QUANTILE);
        assertThat(e.quantile()).isEqualTo(0.95);
        assertThat(e.series()).isEqualTo(RuleExpression.Series.CHECK_LATENCY);
        assertThat(e.window()).isEqualTo(Duration.ofMinutes(5));
        assertThat(e.holds(0.501)).isTrue();
        assertThat(e.holds(0.5)).isFalse();
        assertThat(e).hasToString("p95(check_latency[5m]) > 500ms");
        assertThat(RuleExpression.parse("p99.9(check_latency[1h]) >= 2s").quantile()).isEqualTo(0.999);
    }

    @Test
    void readsCountsRatiosAndEveryComparison() {
        assertThat(RuleExpression.parse("count(restarts[1h]) > 3").holds(4)).isTrue();
        assertThat(RuleExpression.parse("count(failed_checks[10m]) >= 3").holds(3)).isTrue();
        assertThat(RuleExpression.parse("count(checks[1m]) < 1").holds(0)).isTrue();
        assertThat(RuleExpression.parse("count(recoveries[1h]) <= 2").holds(3)).isFalse();
        assertThat(RuleExpression.parse("count(restarts[1h]) == 0").holds(0)).isTrue();
        assertThat(RuleExpression.parse("count(restarts[1h]) != 0").holds(0)).isFalse();
        assertThat(RuleExpression.parse("failure_ratio(checks[5m]) > 25%").holds(0.26)).isTrue();
        assertThat(RuleExpression.parse("failure_ratio(checks[5m]) > 0.25").holds(0.25)).isFalse();
        assertThat(RuleExpression.parse("avg(check_latency[30s]) > 1.5s").holds(1.6)).isTrue();
        RuleExpression down = RuleExpression.parse("time_in(unhealthy[1h]) > 10m");
        assertThat(down.state()).isEqualTo(io.aegis.core.ServiceState.UNHEALTHY);
        assertThat(down.holds(601)).isTrue();
        assertThat(down).hasToString("time_in(unhealthy[1h]) > 10m");
    }

    @Test
    void timeInNamesAState() {
        assertThatThrownBy(() -> RuleExpression.parse("time_in(unhealty[1h]) > 10m"))
                .hasMessage("unknown state \"unhealty\" at column 9 of \"time_in(unhealty[1h]) > 10m\"; did you mean"
                        + " \"unhealthy\"? known states: unknown, starting, healthy, degraded, unhealthy, recovering,"
                        + " flapping, isolated, failed, stopped");
        assertThatThrownBy(() -> RuleExpression.parse("time_in(unhealthy[1h]) > 10"))
                .hasMessageContaining("expected a duration such as 10m at column 26");
        assertThatThrownBy(() -> RuleExpression.parse("count(unhealthy[1h]) > 10"))
                .hasMessageStartingWith("unknown series \"unhealthy\"");
    }

    @Test
    void formatsValuesForPeople() {
        assertThat(RuleExpression.parse("p95(check_latency[5m]) > 500ms").format(0.6123456)).isEqualTo("612ms");
        assertThat(RuleExpression.parse("max(check_latency[5m]) > 1s").format(1.25)).isEqualTo("1s250ms");
        assertThat(RuleExpression.parse("failure_ratio(checks[5m]) > 25%").format(1.0 / 3)).isEqualTo("33.3%");
        assertThat(RuleExpression.parse("count(restarts[1h]) > 3").format(4)).isEqualTo("4");
    }

    @Test
    void namesAnUnknownSeriesWithASuggestionAndTheKnownOnes() {
        assertThatThrownBy(() -> RuleExpression.parse("p95(check_latncy[5m]) > 500ms"))
                .hasMessage("unknown series \"check_latncy\" at column 5 of \"p95(check_latncy[5m]) > 500ms\"; did you"
                        + " mean \"check_latency\"? known series: check_latency, checks, failed_checks, restarts,"
                        + " recoveries");
    }

    @Test
    void namesAnUnknownFunction() {
        assertThatThrownBy(() -> RuleExpression.parse("mean(check_latency[5m]) > 500ms"))
                .hasMessageStartingWith("unknown function \"mean\" at column 1 of")
                .hasMessageContaining("known functions: avg, min, max, p50, p90, p95, p99, count, failure_ratio")
                .hasMessageEndingWith("(p<N> is any percentile between 0 and 100, such as p99.9)");
        assertThatThrownBy(() -> RuleExpression.parse("p100(check_latency[5m]) > 500ms"))
                .hasMessageStartingWith("unknown function \"p100\"");
    }

    @Test
    void refusesAFunctionOnASeriesItDoesNotApplyTo() {
        assertThatThrownBy(() -> RuleExpression.parse("p95(restarts[5m]) > 3"))
                .hasMessage("p95() at column 1 of \"p95(restarts[5m]) > 3\" does not apply to restarts: it applies to"
                        + " check_latency");
        assertThatThrownBy(() -> RuleExpression.parse("count(check_latency[5m]) > 3"))
                .hasMessageContaining("it applies to checks, failed_checks, restarts or recoveries");
        assertThatThrownBy(() -> RuleExpression.parse("failure_ratio(restarts[5m]) > 3"))
                .hasMessageContaining("it applies to checks");
    }

    @Test
    void refusesABadWindow() {
        assertThatThrownBy(() -> RuleExpression.parse("p95(check_latency[5 minutes]) > 500ms"))
                .hasMessageStartingWith("bad window at column 19 of \"p95(check_latency[5 minutes]) > 500ms\": expected"
                        + " a duration like 500ms, 5s, 1m or 1h");
        assertThatThrownBy(() -> RuleExpression.parse("count(restarts[2d]) > 3"))
                .hasMessage("the window 2d at column 16 of \"count(restarts[2d]) > 3\" is out of range: expected from 1s"
                        + " to 1d (windows are kept in memory for every service)");
        assertThatThrownBy(() -> RuleExpression.parse("count(restarts[]) > 3"))
                .hasMessageStartingWith("bad window at column 16");
    }

    @Test
    void saysWhatWasExpectedWhereTheExpressionStops() {
        assertThatThrownBy(() -> RuleExpression.parse("p95(check_latency[5m])"))
                .hasMessage("expected a comparison (>, >=, <, <=, == or !=) at column 23 of \"p95(check_latency[5m])\","
                        + " found the end of the expression; a condition looks like p95(check_latency[5m]) > 500ms");
        assertThatThrownBy(() -> RuleExpression.parse("p95(check_latency[5m] > 1s"))
                .hasMessageStartingWith("expected \")\" at column 23");
        assertThatThrownBy(() -> RuleExpression.parse("p95 check_latency[5m] > 1s"))
                .hasMessageStartingWith("expected \"(\" at column 5");
        assertThatThrownBy(() -> RuleExpression.parse("count(restarts[1h]) >"))
                .hasMessageStartingWith("expected a threshold a number such as 3 at column 22");
        assertThatThrownBy(() -> RuleExpression.parse(" "))
                .hasMessage("the expression is empty; expected a condition such as p95(check_latency[5m]) > 500ms");
    }

    @Test
    void comparesLatenciesWithDurationsOnly() {
        assertThatThrownBy(() -> RuleExpression.parse("p95(check_latency[5m]) > 0.5"))
                .hasMessage("expected a duration such as 500ms or 2s at column 26 of \"p95(check_latency[5m]) > 0.5\""
                        + " (latencies compare with durations), found \"0.5\"");
        assertThatThrownBy(() -> RuleExpression.parse("count(restarts[1h]) > 5m"))
                .hasMessageStartingWith("expected a number such as 3 at column 23");
        assertThatThrownBy(() -> RuleExpression.parse("count(restarts[1h]) > 50%"))
                .hasMessageContaining("a percentage at column 23 of \"count(restarts[1h]) > 50%\" only compares with"
                        + " failure_ratio");
        assertThatThrownBy(() -> RuleExpression.parse("failure_ratio(checks[1h]) > 25"))
                .hasMessageContaining("is above 1 (100%); write a ratio such as 0.25 or a percentage such as 25%");
    }
}
