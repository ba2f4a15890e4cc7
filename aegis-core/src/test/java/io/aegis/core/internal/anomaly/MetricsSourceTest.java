package io.aegis.core.internal.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.aegis.core.internal.VirtualScheduler;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What {@link MetricsSource} derives from consecutive scrapes (fed here as the text a scrape would return, at
 * chosen times): rates from counters, resets, new series, error rates and histogram quantiles.
 */
class MetricsSourceTest {
    private static final long SECOND = 1_000_000_000L;

    private final MetricsSource source = new MetricsSource("shop", new SignalSourceConfig.Metrics(
            URI.create("http://127.0.0.1:1/metrics"), Optional.empty(), Optional.empty(),
            Optional.of(SeriesSelector.parse("http_requests_total")),
            Optional.of(SeriesSelector.parse("http_requests_total{code=~\"5..\"}")),
            Optional.empty(), 0.5, "services[0].metrics"),
            java.time.Duration.ofSeconds(1), new ScrapeClient(), new VirtualScheduler(java.time.Instant.EPOCH));

    private void scrape(long atSecond, String text) {
        assertThat(source.take(text.getBytes(StandardCharsets.UTF_8), "text/plain; version=0.0.4", atSecond * SECOND))
                .isNull();
    }

    private double[] drain() {
        double[] values = new double[Signal.values().length];
        Arrays.fill(values, Double.NaN);
        source.drain(values);
        return values;
    }

    private static String requests(long ok, long failed) {
        return "# TYPE http_requests_total counter\n"
                + "http_requests_total{code=\"200\"} " + ok + "\n"
                + (failed >= 0 ? "http_requests_total{code=\"503\"} " + failed + "\n" : "");
    }

    @Test
    void throughputIsTheRequestCountersIncreasePerSecondAndErrorRateTheShareOfFailures() {
        scrape(0, requests(1000, 10));
        scrape(2, requests(1180, 30));

        double[] values = drain();

        assertThat(values[Signal.THROUGHPUT.ordinal()]).isCloseTo(100, within(1e-9)); // (180 + 20) / 2 s
        assertThat(values[Signal.ERROR_RATE.ordinal()]).isCloseTo(0.1, within(1e-9)); // 20 of 200
    }

    @Test
    void aCounterResetByARestartOfTheServiceFakesNoThroughputSpike() {
        scrape(0, requests(100_000, 0));
        scrape(1, requests(100_050, 0));
        scrape(2, requests(40, 0)); // restarted: counting again from zero

        assertThat(drain()[Signal.THROUGHPUT.ordinal()]).isCloseTo(45, within(1e-9)); // (50 + 40) / 2 s
    }

    @Test
    void theFirstFailuresOfACodeCountWholeWhenTheirSeriesAppears() {
        scrape(0, requests(100, -1));
        scrape(1, requests(200, 25));

        assertThat(drain()[Signal.ERROR_RATE.ordinal()]).isCloseTo(0.2, within(1e-9)); // 25 of 125
    }

    @Test
    void theFirstScrapeOnlySetsTheStartingPointAndAnIdleIntervalHasNoErrorRate() {
        scrape(0, requests(100, 5));
        double[] first = drain();
        assertThat(first[Signal.THROUGHPUT.ordinal()]).isNaN();

        scrape(1, requests(100, 5));
        double[] idle = drain();
        assertThat(idle[Signal.THROUGHPUT.ordinal()]).as("no traffic is a throughput of 0").isZero();
        assertThat(idle[Signal.ERROR_RATE.ordinal()]).as("no request, no rate").isNaN();
    }

    @Test
    void latencyIsTheQuantileOfTheHistogramsIncreaseInMilliseconds() {
        String before = """
                http_request_duration_seconds_bucket{le="0.1"} 100
                http_request_duration_seconds_bucket{le="0.5"} 100
                http_request_duration_seconds_bucket{le="+Inf"} 100
                """;
        String after = """
                http_request_duration_seconds_bucket{le="0.1"} 100
                http_request_duration_seconds_bucket{le="0.5"} 200
                http_request_duration_seconds_bucket{le="+Inf"} 200
                """;
        MetricsSource histogram = MetricsSource.standalone("shop", new SignalSourceConfig.Metrics(
                URI.create("http://127.0.0.1:1/metrics"), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(SeriesSelector.parse("http_request_duration_seconds")), 0.5,
                "services[0].metrics"));
        assertThat(histogram.take(before.getBytes(StandardCharsets.UTF_8), "", 0)).isNull();
        assertThat(histogram.take(after.getBytes(StandardCharsets.UTF_8), "", SECOND)).isNull();
        double[] values = new double[Signal.values().length];
        histogram.drain(values);

        // all 100 new observations fall between 0.1 s and 0.5 s: the median is halfway, as histogram_quantile says
        assertThat(values[Signal.LATENCY.ordinal()]).isCloseTo(300, within(1e-9));
    }

    @Test
    void histogramQuantileFollowsPrometheus() {
        TreeMap<Double, Double> buckets = new TreeMap<>();
        buckets.put(0.05, 10.0);
        buckets.put(0.1, 20.0);
        buckets.put(Double.POSITIVE_INFINITY, 40.0);

        assertThat(Histograms.quantile(0.25, buckets)).isCloseTo(0.05, within(1e-12));
        assertThat(Histograms.quantile(0.375, buckets)).isCloseTo(0.075, within(1e-12));
        assertThat(Histograms.quantile(0.9, buckets)).as("in the +Inf bucket: the highest finite bound").isEqualTo(0.1);
        assertThat(Histograms.quantile(0.5, new TreeMap<>())).isNaN();
        buckets.remove(Double.POSITIVE_INFINITY);
        assertThat(Histograms.quantile(0.25, buckets)).as("no +Inf bucket: no total, as in PromQL").isNaN();
    }

    @Test
    void aHistogramInMillisecondsIsTakenAsIsAndOnlyItsSuffixSaysSo() {
        for (String name : new String[] {"rpc_latency_milliseconds", "app_msg_duration_seconds", "db_query_ms"}) {
            MetricsSource histogram = MetricsSource.standalone("shop", new SignalSourceConfig.Metrics(
                    URI.create("http://127.0.0.1:1/metrics"), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.of(SeriesSelector.parse(name)), 0.5, "services[0].metrics"));
            String text = name + "_bucket{le=\"1\"} %d\n" + name + "_bucket{le=\"+Inf\"} %d\n";
            assertThat(histogram.take(text.formatted(0, 0).getBytes(StandardCharsets.UTF_8), "", 0)).isNull();
            assertThat(histogram.take(text.formatted(10, 10).getBytes(StandardCharsets.UTF_8), "", SECOND)).isNull();
            double[] values = new double[Signal.values().length];
            histogram.drain(values);

            assertThat(values[Signal.LATENCY.ordinal()]).as(name).isEqualTo(name.endsWith("_seconds") ? 500 : 0.5);
        }
    }

    @Test
    void aRequestsSelectorThatMatchesNothingIsAProblemNotZeroTraffic() {
        scrape(0, requests(100, 5));

        String problem = source.take("http_requests{code=\"200\"} 7\n".getBytes(StandardCharsets.UTF_8), "",
                SECOND);

        assertThat(problem).isEqualTo("no series matches requests http_requests_total");
        assertThat(drain()[Signal.THROUGHPUT.ordinal()]).as("nothing measured").isNaN();
        scrape(2, requests(300, 5));
        assertThat(drain()[Signal.THROUGHPUT.ordinal()]).as("starts over from the next scrape that has it").isNaN();
        scrape(3, requests(400, 5));
        assertThat(drain()[Signal.THROUGHPUT.ordinal()]).isCloseTo(100, within(1e-9));
    }

    @Test
    void anAnswerThatIsNotTheTextFormatIsASentenceNotACrash() {
        String problem = source.take("<html>login</html>".getBytes(StandardCharsets.UTF_8), "text/html", 0);

        assertThat(problem).startsWith("its answer is not the Prometheus text format: line 1");
    }
}
