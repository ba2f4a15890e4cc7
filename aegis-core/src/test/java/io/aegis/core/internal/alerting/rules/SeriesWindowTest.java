package io.aegis.core.internal.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.aegis.core.ServiceState;
import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** Each series and aggregate over a window of time buckets, and the window's fixed memory. */
class SeriesWindowTest {
    private static final long T0 = 1_800_000_000_000L; // epoch ms
    private static final long MS = 1_000_000L;

    private static double value(String expression, SeriesWindow window, long nowMillis) {
        OptionalDouble value = RuleExpression.parse(expression).value(window.at(nowMillis));
        assertThat(value).as(expression).isPresent();
        return value.getAsDouble();
    }

    private static SeriesWindow window(String expression) {
        RuleExpression e = RuleExpression.parse(expression);
        return new SeriesWindow(e.window(), e.needsHistogram());
    }

    @Test
    void latencyAverageMinimumAndMaximumAreExact() {
        SeriesWindow w = window("avg(check_latency[1m]) > 1s");
        w.check(T0, 100 * MS, true, false);
        w.check(T0 + 1000, 300 * MS, false, false);
        w.check(T0 + 2000, 200 * MS, true, false);

        assertThat(value("avg(check_latency[1m]) > 1s", w, T0 + 3000)).isCloseTo(0.2, within(1e-9));
        assertThat(value("min(check_latency[1m]) > 1s", w, T0 + 3000)).isEqualTo(0.1);
        assertThat(value("max(check_latency[1m]) > 1s", w, T0 + 3000)).isEqualTo(0.3);
    }

    @Test
    void latencyQuantilesAreWithinFivePercentAndExactWhenAllLatenciesAreEqual() {
        SeriesWindow w = window("p95(check_latency[5m]) > 1s");
        for (int i = 1; i <= 1000; i++) {
            w.check(T0 + i, i * MS, true, false); // 1ms .. 1000ms
        }
        assertThat(value("p95(check_latency[5m]) > 1s", w, T0 + 2000)).isCloseTo(0.950, within(0.950 * 0.05));
        assertThat(value("p50(check_latency[5m]) > 1s", w, T0 + 2000)).isCloseTo(0.500, within(0.500 * 0.05));
        assertThat(value("p99.9(check_latency[5m]) > 1s", w, T0 + 2000)).isCloseTo(0.999, within(0.999 * 0.05));

        SeriesWindow same = window("p95(check_latency[5m]) > 1s");
        for (int i = 0; i < 50; i++) {
            same.check(T0 + i, 250 * MS, true, false);
        }
        assertThat(value("p95(check_latency[5m]) > 1s", same, T0 + 100)).isEqualTo(0.25);
    }

    @Test
    void checksFailedChecksAndTheFailureRatioCountFinalAttemptsOnly() {
        SeriesWindow w = window("failure_ratio(checks[1m]) > 0.5");
        w.check(T0, 1, false, true); // a failed attempt that a retry then passed: not a failed check
        w.check(T0 + 10, 1, true, false);
        w.check(T0 + 20, 1, true, true);
        w.check(T0 + 30, 1, true, true);
        w.check(T0 + 40, 1, true, false);

        assertThat(value("count(checks[1m]) > 0", w, T0 + 50)).isEqualTo(4);
        assertThat(value("count(failed_checks[1m]) > 0", w, T0 + 50)).isEqualTo(2);
        assertThat(value("failure_ratio(checks[1m]) > 0.5", w, T0 + 50)).isEqualTo(0.5);
    }

    @Test
    void restartsAndRecoveriesAreCounted() {
        SeriesWindow w = window("count(restarts[1h]) > 3");
        w.restart(T0);
        w.restart(T0 + 60_000);
        w.recovery(T0);

        assertThat(value("count(restarts[1h]) > 3", w, T0 + 120_000)).isEqualTo(2);
        assertThat(value("count(recoveries[1h]) > 3", w, T0 + 120_000)).isEqualTo(1);
    }

    @Test
    void eventsLeaveTheWindowOnceItHasPassedThem() {
        SeriesWindow w = window("count(restarts[10m]) > 3");
        w.restart(T0);

        assertThat(value("count(restarts[10m]) > 3", w, T0 + Duration.ofMinutes(10).toMillis())).isEqualTo(1);
        assertThat(value("count(restarts[10m]) > 3", w, T0 + Duration.ofMinutes(10).plusSeconds(11).toMillis()))
                .isEqualTo(0);
        w.restart(T0 + 1000); // late, older than the window: ignored rather than counted in a newer bucket
        assertThat(value("count(restarts[10m]) > 3", w, T0 + Duration.ofMinutes(10).plusSeconds(11).toMillis()))
                .isEqualTo(0);
    }

    @Test
    void aWindowWithoutChecksHasNoLatencyOrRatioButCountsZero() {
        SeriesWindow w = window("p95(check_latency[1m]) > 1s");

        assertThat(RuleExpression.parse("p95(check_latency[1m]) > 1s").value(w.at(T0))).isEmpty();
        assertThat(RuleExpression.parse("avg(check_latency[1m]) > 1s").value(w.at(T0))).isEmpty();
        assertThat(RuleExpression.parse("failure_ratio(checks[1m]) > 1%").value(w.at(T0))).isEmpty();
        assertThat(value("count(checks[1m]) < 1", w, T0)).isEqualTo(0);
    }

    @Test
    void timeInAStateCountsFinishedStaysAndTheCurrentOneWithinTheWindow() {
        SeriesWindow w = new SeriesWindow(Duration.ofMinutes(10), false, true);
        w.stayed(ServiceState.UNHEALTHY, T0 - Duration.ofHours(2).toMillis(), T0 + 60_000); // mostly long ago
        w.stayed(ServiceState.HEALTHY, T0 + 60_000, T0 + 120_000);
        long now = T0 + Duration.ofMinutes(9).toMillis();

        WindowAggregate data = w.at(now, ServiceState.UNHEALTHY, T0 + 120_000); // down again since 2m, still
        assertThat(data.millisIn(ServiceState.UNHEALTHY)).as("from the window's start (T0-1m) to T0+1m, and the"
                + " last seven minutes").isEqualTo(Duration.ofMinutes(9).toMillis());
        assertThat(data.millisIn(ServiceState.HEALTHY)).isEqualTo(60_000);
        assertThat(RuleExpression.parse("time_in(unhealthy[10m]) > 5m").value(data)).hasValue(540);
        assertThat(RuleExpression.parse("time_in(unhealthy[10m]) > 5m").format(540)).isEqualTo("9m");

        WindowAggregate later = w.at(now + Duration.ofMinutes(10).toMillis(), ServiceState.UNHEALTHY, T0 + 120_000);
        assertThat(later.millisIn(ServiceState.UNHEALTHY)).as("the whole window, about; exact to a bucket")
                .isBetween(Duration.ofMinutes(10).toMillis(), Duration.ofMinutes(10).plusSeconds(10).toMillis());
        assertThat(later.millisIn(ServiceState.HEALTHY)).isZero();
    }

    @Test
    void memoryDoesNotGrowWithTheNumberOfChecks() {
        SeriesWindow slow = window("p95(check_latency[5m]) > 1s");
        SeriesWindow busy = window("p95(check_latency[5m]) > 1s");
        long hour = Duration.ofHours(1).toMillis();
        for (long t = 0; t < hour; t += 10_000) {
            slow.check(T0 + t, 5 * MS, true, false); // one check every 10s
        }
        for (long t = 0; t < hour; t += 2) {
            busy.check(T0 + t, (t % 997) * MS, true, t % 3 == 0); // 500 checks a second: 1.8 million
        }

        assertThat(busy.allocatedBuckets()).isEqualTo(slow.allocatedBuckets()).isEqualTo(SeriesWindow.BUCKETS + 1);
        assertThat(slow.allocatedHistogramBins()).as("one latency: the smallest histograms")
                .isEqualTo(8 * (SeriesWindow.BUCKETS + 1));
        assertThat(busy.allocatedHistogramBins()).as("latencies from 0 to 996ms: 81 bins at most in each bucket")
                .isLessThanOrEqualTo(128 * (SeriesWindow.BUCKETS + 1));
        assertThat(value("count(checks[5m]) > 1", busy, T0 + hour)).isCloseTo(150_000, within(2_600.0));
    }
}
