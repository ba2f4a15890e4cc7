package io.aegis.core.internal.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.core.internal.anomaly.PrometheusText.Format;
import io.aegis.core.internal.anomaly.PrometheusText.Labels;
import io.aegis.core.internal.anomaly.PrometheusText.MetricType;
import io.aegis.core.internal.anomaly.PrometheusText.ParseException;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    /** The label value client_java has to escape: a quote, a backslash and a newline. */
    private static final String AWKWARD_PATH = "a \"q\" \\ b\nc";
    private static final String PROMETHEUS_METRICS = "/prometheus/prometheus-2.42-metrics.txt";

    private record Sample(String name, Labels labels, double value, long timestamp) {}

    /** Keeps everything it is given, in order. */
    private static final class Recorder implements PrometheusText.Visitor {
        final List<Sample> samples = new ArrayList<>();
        final Map<String, MetricType> types = new LinkedHashMap<>();
        final List<String> asked = new ArrayList<>();
        private final Predicate<String> wanted;

        Recorder() {
            this(name -> true);
        }

        Recorder(Predicate<String> wanted) {
            this.wanted = wanted;
        }

        @Override
        public boolean wants(String metricName) {
            asked.add(metricName);
            return wanted.test(metricName);
        }

        @Override
        public void type(String family, MetricType type) {
            types.put(family, type);
        }

        @Override
        public void sample(String name, Labels labels, double value, long timestampMillis) {
            samples.add(new Sample(name, labels, value, timestampMillis));
        }

        Sample only(String name, Labels labels) {
            List<Sample> found = samples.stream()
                    .filter(s -> s.name.equals(name) && s.labels.equals(labels))
                    .toList();
            assertThat(found).as("samples %s%s among %s", name, labels, samples).hasSize(1);
            return found.get(0);
        }

        double value(String name, String... labels) {
            return only(name, Labels.of(labels)).value;
        }
    }

    private static Recorder parse(String text) throws ParseException {
        return parse(text, Format.PROMETHEUS_TEXT);
    }

    private static Recorder parse(String text, Format format) throws ParseException {
        Recorder recorder = new Recorder();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        PrometheusText.parse(bytes, 0, bytes.length, format, recorder);
        return recorder;
    }

    /** Counter with an awkward label value, gauge, classic histogram and summary, as client_java 1.x has them. */
    private static PrometheusRegistry clientJavaRegistry() {
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter requests = Counter.builder().name("requests").help("Requests served.")
                .labelNames("path", "code").register(registry);
        requests.labelValues(AWKWARD_PATH, "200").inc(3);
        requests.labelValues("/", "500").incWithExemplar(1.5,
                io.prometheus.metrics.model.snapshots.Labels.of("trace_id", "abc"));
        Gauge.builder().name("temperature_celsius").help("Temperature.").register(registry).set(-12.5);
        Histogram latency = Histogram.builder().name("latency_seconds").help("Latency.")
                .classicOnly().classicUpperBounds(0.1, 1, 10).register(registry);
        latency.observe(0.05);
        latency.observe(0.5);
        latency.observeWithExemplar(5, io.prometheus.metrics.model.snapshots.Labels.of("trace_id", "def"));
        latency.observe(50);
        // One repeated observation, so every quantile is exactly that value whatever the estimator does.
        Summary payload = Summary.builder().name("payload_bytes").help("Payload size.")
                .quantile(0.5, 0.01).quantile(0.99, 0.001).register(registry);
        payload.observe(512);
        payload.observe(512);
        return registry;
    }

    @Test
    void readsEverySampleAndTypeThatClientJavasTextFormatWriterWrites() throws Exception {
        long before = System.currentTimeMillis();
        PrometheusRegistry registry = clientJavaRegistry();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.builder().setIncludeCreatedTimestamps(true).build()
                .write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        long after = System.currentTimeMillis();

        Recorder parsed = parse(out.toString(StandardCharsets.UTF_8));

        assertThat(parsed.types).containsExactlyInAnyOrderEntriesOf(Map.of(
                "requests_total", MetricType.COUNTER,
                "temperature_celsius", MetricType.GAUGE,
                "latency_seconds", MetricType.HISTOGRAM,
                "payload_bytes", MetricType.SUMMARY,
                "requests_created", MetricType.GAUGE,
                "latency_seconds_created", MetricType.GAUGE,
                "payload_bytes_created", MetricType.GAUGE));
        assertThat(parsed.value("requests_total", "code", "200", "path", AWKWARD_PATH)).isEqualTo(3.0);
        assertThat(parsed.value("requests_total", "code", "500", "path", "/")).isEqualTo(1.5);
        assertThat(parsed.value("temperature_celsius")).isEqualTo(-12.5);
        assertThat(parsed.value("latency_seconds_bucket", "le", "0.1")).isEqualTo(1);
        assertThat(parsed.value("latency_seconds_bucket", "le", "1.0")).isEqualTo(2);
        assertThat(parsed.value("latency_seconds_bucket", "le", "10.0")).isEqualTo(3);
        assertThat(parsed.value("latency_seconds_bucket", "le", "+Inf")).isEqualTo(4);
        assertThat(parsed.value("latency_seconds_count")).isEqualTo(4);
        assertThat(parsed.value("latency_seconds_sum")).isEqualTo(55.55);
        assertThat(parsed.value("payload_bytes", "quantile", "0.5")).isEqualTo(512);
        assertThat(parsed.value("payload_bytes", "quantile", "0.99")).isEqualTo(512);
        assertThat(parsed.value("payload_bytes_count")).isEqualTo(2);
        assertThat(parsed.value("payload_bytes_sum")).isEqualTo(1024);
        // The 0.0.4 writer gives creation times as millisecond values.
        assertThat(parsed.value("requests_created", "code", "200", "path", AWKWARD_PATH)).isBetween(
                (double) before, (double) after);
        assertThat(parsed.samples).hasSize(17).allSatisfy(s -> assertThat(s.timestamp).isEqualTo(
                PrometheusText.NO_TIMESTAMP));
    }

    @Test
    void readsClientJavasOpenMetricsWithCreatedSecondsAndSkipsExemplars() throws Exception {
        long before = System.currentTimeMillis();
        PrometheusRegistry registry = clientJavaRegistry();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenMetricsTextFormatWriter.builder().setCreatedTimestampsEnabled(true).build()
                .write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        long after = System.currentTimeMillis();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).as("the writer still writes exemplars")
                .contains(" # {trace_id=\"abc\"} 1.5 ")
                .endsWith("# EOF\n");

        Recorder parsed = parse(text, Format.OPENMETRICS);

        assertThat(parsed.types).containsEntry("requests", MetricType.COUNTER)
                .containsEntry("latency_seconds", MetricType.HISTOGRAM).hasSize(4);
        assertThat(parsed.value("requests_total", "code", "500", "path", "/")).isEqualTo(1.5);
        assertThat(parsed.value("latency_seconds_bucket", "le", "10.0")).isEqualTo(3);
        assertThat(parsed.value("requests_created", "code", "200", "path", AWKWARD_PATH) * 1000)
                .isBetween(before - 1.0, after + 1.0);
        assertThat(parsed.samples).hasSize(17);
    }

    @Test
    void readsPrometheusServersOwnMetrics() throws Exception {
        byte[] exposition = resource(PROMETHEUS_METRICS);

        Recorder parsed = new Recorder();
        PrometheusText.parse(exposition, parsed);

        Sample build = parsed.samples.stream().filter(s -> s.name.equals("prometheus_build_info")).findFirst()
                .orElseThrow();
        assertThat(build.labels.get("version")).isEqualTo("2.42.0+ds");
        assertThat(build.labels.get("goversion")).isEqualTo("go1.19.8");
        assertThat(build.labels.get("goarch")).isEqualTo("amd64");
        assertThat(build.value).isEqualTo(1);

        assertThat(parsed.types).containsEntry("go_gc_duration_seconds", MetricType.SUMMARY)
                .containsEntry("prometheus_http_request_duration_seconds", MetricType.HISTOGRAM)
                .containsEntry("go_goroutines", MetricType.GAUGE)
                .containsEntry("prometheus_http_requests_total", MetricType.COUNTER);
        assertThat(parsed.samples.stream().filter(s -> s.name.equals("go_gc_duration_seconds"))
                .map(s -> s.labels.get("quantile")))
                .containsExactly("0", "0.25", "0.5", "0.75", "1");

        Labels ready = Labels.of("handler", "/-/ready", "le", "+Inf");
        assertThat(parsed.only("prometheus_http_request_duration_seconds_bucket", ready).value)
                .isEqualTo(parsed.value("prometheus_http_request_duration_seconds_count", "handler", "/-/ready"))
                .isPositive();
    }

    @Test
    void producesOneSampleForEveryLineOfPrometheusMetricsThatIsNotACommentAndOneTypePerTypeLine() throws Exception {
        byte[] exposition = resource(PROMETHEUS_METRICS);
        List<String> lines = new String(exposition, StandardCharsets.UTF_8).lines().toList();
        long sampleLines = lines.stream().filter(l -> !l.isBlank() && !l.startsWith("#")).count();
        long typeLines = lines.stream().filter(l -> l.startsWith("# TYPE ")).count();

        Recorder parsed = new Recorder();
        PrometheusText.parse(exposition, parsed);

        assertThat(sampleLines).as("the captured exposition is not trivially small").isGreaterThan(200);
        assertThat(parsed.samples).hasSize((int) sampleLines);
        assertThat(parsed.types).hasSize((int) typeLines);
    }

    @Test
    void asksOncePerMetricNameAndDeliversOnlyWantedSamples() throws Exception {
        Recorder parsed = new Recorder(name -> name.equals("b"));
        byte[] text = "a{x=\"1\"} 1\nb{x=\"2\"} 2\na{x=\"3\"} 3\nb 4\n".getBytes(StandardCharsets.UTF_8);

        PrometheusText.parse(text, parsed);

        assertThat(parsed.asked).containsExactly("a", "b");
        assertThat(parsed.samples).extracting(Sample::value).containsExactly(2.0, 4.0);
    }

    @Test
    void rejectsMalformedLabelsOfAMetricNobodyWants() {
        Recorder nothing = new Recorder(name -> false);
        byte[] text = "ok 1\nskipped{code\"200\"} 1\n".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> PrometheusText.parse(text, nothing))
                .hasMessage("line 2: expected '=' after label name \"code\", found '\"'");
    }

    @Test
    void givesEverySampleOfANameTheSameStringInstance() throws Exception {
        Recorder parsed = parse("http_requests_total{code=\"200\"} 1\nhttp_requests_total{code=\"500\"} 2\n");

        assertThat(parsed.samples.get(1).name).isSameAs(parsed.samples.get(0).name);
        assertThat(parsed.samples.get(1).labels.name(0)).isSameAs(parsed.samples.get(0).labels.name(0));
    }

    @Test
    void readsSpecialValuesIntegersAndExponents() throws Exception {
        Recorder parsed = parse("""
                a +Inf
                b -Inf
                c NaN
                d 42
                e -1.5E-3
                f 8.140208e+06
                g 12345678901234567890
                h 1.7976931348623157e308
                i 4.9e-324
                j -0
                k .5
                l Infinity
                """);

        assertThat(parsed.samples).extracting(Sample::value).containsExactly(
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 42.0, -0.0015, 8140208.0,
                12345678901234567890.0, Double.MAX_VALUE, Double.MIN_VALUE, -0.0, 0.5, Double.POSITIVE_INFINITY);
        assertThat(Double.doubleToRawLongBits(parsed.samples.get(9).value))
                .as("-0 keeps its sign").isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    /** The fast path computes short decimals itself; it must agree with Double.parseDouble to the last bit. */
    @Test
    void agreesWithDoubleParseDoubleOnManyDecimalForms() throws Exception {
        Random random = new Random(20240601);
        StringBuilder text = new StringBuilder();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            double magnitude = Math.pow(10, random.nextInt(40) - 20) * random.nextDouble();
            String token = switch (i % 6) {
                case 0 -> Double.toString(magnitude);
                case 1 -> String.format(Locale.ROOT, "%.3f", magnitude);
                case 2 -> String.format(Locale.ROOT, "%e", -magnitude);
                case 3 -> String.format(Locale.ROOT, "%.15g", magnitude);
                case 4 -> Long.toString(random.nextLong() >>> random.nextInt(64));
                default -> String.format(Locale.ROOT, "%.17g", magnitude);
            };
            tokens.add(token);
            text.append("m ").append(token).append('\n');
        }

        Recorder parsed = parse(text.toString());

        for (int i = 0; i < tokens.size(); i++) {
            assertThat(Double.doubleToRawLongBits(parsed.samples.get(i).value))
                    .as("value %s", tokens.get(i))
                    .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(tokens.get(i))));
        }
    }

    @Test
    void readsMillisecondTimestampsInTheTextFormatAndSecondsInOpenMetrics() throws Exception {
        Recorder text = parse("a 1 1712345678123\nb 2 -5\n");
        Recorder openMetrics = parse("a 1 1712345678.123\nb 2 17\n# EOF\n", Format.OPENMETRICS);

        assertThat(text.samples).extracting(Sample::timestamp).containsExactly(1712345678123L, -5L);
        assertThat(openMetrics.samples).extracting(Sample::timestamp).containsExactly(1712345678123L, 17_000L);
    }

    @Test
    void unescapesLabelValuesAndDecodesUtf8() throws Exception {
        Recorder parsed = parse("m{a=\"x\\\\y\\\"z\\nw\",b=\"\u00e9\u65e5\\n\u672c\",c=\"\"} 1\n");

        Labels labels = parsed.samples.get(0).labels;
        assertThat(labels.get("a")).isEqualTo("x\\y\"z\nw");
        assertThat(labels.get("b")).isEqualTo("\u00e9\u65e5\n\u672c");
        assertThat(labels.get("c")).isEmpty();
        assertThat(labels.get("d")).isNull();
        assertThat(labels.toString()).isEqualTo("{a=\"x\\\\y\\\"z\\nw\",b=\"\u00e9\u65e5\\n\u672c\",c=\"\"}");
    }

    @Test
    void allowsBlankLinesCommentsTabsSpacesInBracesAndATrailingComma() throws Exception {
        Recorder parsed = parse("""

                # a free comment
                #no space at all
                # HELP m Help with "quotes" and \\\\ escapes.
                # TYPE m gauge
                \t m { a = "1" , b="2", } \t 7 \t
                m{} 8
                m{a="3"}9
                """);

        assertThat(parsed.samples).extracting(Sample::value).containsExactly(7.0, 8.0, 9.0);
        assertThat(parsed.samples.get(0).labels).isEqualTo(Labels.of("a", "1", "b", "2"));
        assertThat(parsed.samples.get(1).labels).isSameAs(Labels.EMPTY);
    }

    @Test
    void parsesOnlyTheGivenSliceOfTheArray() throws Exception {
        byte[] data = "garbage{{{\na 1\nb 2\nmore garbage".getBytes(StandardCharsets.UTF_8);
        Recorder parsed = new Recorder();

        PrometheusText.parse(data, 11, 8, parsed);

        assertThat(parsed.samples).extracting(Sample::name).containsExactly("a", "b");
    }

    // One test per kind of malformed line; each names the line, counted from 1.

    @Test
    void reportsAMissingValue() {
        assertThatThrownBy(() -> parse("a 1\n\nrequests_total\n"))
                .isInstanceOf(ParseException.class)
                .hasMessage("line 3: expected a value after the metric name \"requests_total\"")
                .satisfies(e -> assertThat(((ParseException) e).line()).isEqualTo(3));
        assertThatThrownBy(() -> parse("a 1\nrequests_total{code=\"200\"}   \n"))
                .hasMessage("line 2: expected a value after the labels of \"requests_total\"");
    }

    @Test
    void reportsAValueThatIsNotAFloat() {
        assertThatThrownBy(() -> parse("a 1\nb 1.5x\n"))
                .hasMessage("line 2: expected a number, +Inf, -Inf or NaN as the value of \"b\", found \"1.5x\"");
        assertThatThrownBy(() -> parse("a 1\nb 1.0d\n")).hasMessageStartingWith("line 2: expected a number");
        assertThatThrownBy(() -> parse("b 0x1p3\n")).hasMessageStartingWith("line 1: expected a number");
        assertThatThrownBy(() -> parse("b +NaN\n")).hasMessageStartingWith("line 1: expected a number");
        assertThatThrownBy(() -> parse("b 1e\n")).hasMessageStartingWith("line 1: expected a number");
    }

    @Test
    void reportsAnUnterminatedLabelValue() {
        assertThatThrownBy(() -> parse("a 1\nb 2\nc{path=\"/x} 3\nd 4\n"))
                .hasMessage("line 3: expected a closing '\"' after the value of label \"path\"");
        assertThatThrownBy(() -> parse("c{path=\"/x\\\"} 3\n"))
                .as("an escaped quote does not close the value")
                .hasMessage("line 1: expected a closing '\"' after the value of label \"path\"");
    }

    @Test
    void reportsAnEscapeOtherThanBackslashQuoteAndNewline() {
        assertThatThrownBy(() -> parse("a 1\nb{path=\"a\\tb\"} 1\n"))
                .hasMessage("line 2: bad escape '\\t' in the value of label \"path\":"
                        + " only \\\\, \\\" and \\n are allowed");
    }

    @Test
    void reportsAMissingEqualsAfterALabelName() {
        assertThatThrownBy(() -> parse("# TYPE x counter\nx_total 1\nx_total{code \"500\"} 1\n"))
                .hasMessage("line 3: expected '=' after label name \"code\", found '\"'");
    }

    @Test
    void reportsGarbageAfterTheValue() {
        assertThatThrownBy(() -> parse("a 1\nb 1 abc\n")).hasMessage(
                "line 2: expected an integer timestamp in milliseconds or the end of the line after the value of"
                        + " \"b\", found \"abc\"");
        assertThatThrownBy(() -> parse("a 1\nb 1 2 3\n")).hasMessage(
                "line 2: expected the end of the line or an exemplar after the timestamp of \"b\", found '3'");
        assertThatThrownBy(() -> parse("a 1 # trace\n")).hasMessage(
                "line 1: expected ' {' to start an exemplar after the value of \"a\", found 't'");
    }

    @Test
    void reportsAnUnknownType() {
        assertThatThrownBy(() -> parse("# TYPE a counter\n# TYPE b countr\n")).hasMessage(
                "line 2: expected counter, gauge, histogram, summary, untyped (or an OpenMetrics type) after"
                        + " '# TYPE b', found \"countr\"");
    }

    @Test
    void reportsALabelGivenTwice() {
        assertThatThrownBy(() -> parse("a{x=\"1\",x=\"2\"} 1\n"))
                .hasMessage("line 1: label \"x\" appears twice in the labels of \"a\"");
    }

    @Test
    void reportsALabelValueThatIsNotUtf8() {
        byte[] text = {'a', '{', 'x', '=', '"', (byte) 0xC3, '"', '}', ' ', '1', '\n'};
        assertThatThrownBy(() -> PrometheusText.parse(text, new Recorder()))
                .hasMessage("line 1: the value of label \"x\" is not valid UTF-8");
    }

    @Test
    void reportsAMetricNameThatIsNotOne() {
        assertThatThrownBy(() -> parse("a 1\n9lives 1\n"))
                .hasMessage("line 2: expected a metric name at the start of the line, found '9'");
        assertThatThrownBy(() -> parse("a.b 1\n"))
                .hasMessage("line 1: expected '{' or a space after the metric name \"a\", found '.'");
    }

    @Test
    void reportsSamplesAfterEofAndOpenMetricsWithoutEof() {
        assertThatThrownBy(() -> parse("a 1\n# EOF\nb 2\n"))
                .hasMessage("line 3: expected nothing after '# EOF', found 'b'");
        assertThatThrownBy(() -> parse("a 1\nb 2\n", Format.OPENMETRICS)).hasMessage(
                "line 2: expected '# EOF' as the last line of an OpenMetrics exposition (was it cut short?)");
    }

    @Test
    void choosesTheFormatFromTheContentType() {
        assertThat(Format.ofContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"))
                .isEqualTo(Format.OPENMETRICS);
        assertThat(Format.ofContentType("text/plain; version=0.0.4; charset=utf-8"))
                .isEqualTo(Format.PROMETHEUS_TEXT);
    }

    @Test
    void labelsOfRejectsAnOddCount() {
        assertThatThrownBy(() -> Labels.of("a", "1", "b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 strings");
    }

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = PrometheusTextTest.class.getResourceAsStream(path)) {
            return Objects.requireNonNull(in, path).readAllBytes();
        }
    }
}
