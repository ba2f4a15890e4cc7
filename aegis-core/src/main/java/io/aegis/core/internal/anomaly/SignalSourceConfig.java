package io.aegis.core.internal.anomaly;

import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import io.aegis.core.internal.config.TrackingSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Where a service's own numbers come from, for anomaly detection: its Prometheus endpoint ({@code metrics:}) or a
 * Prometheus server ({@code query:}), both optional keys of a service. Immutable.
 *
 * @param metrics the service's {@code metrics:} block, if any
 * @param query the service's {@code query:} block, if any
 * @param plugin the service's {@code signals:} block (a third-party source), if any
 */
public record SignalSourceConfig(Optional<Metrics> metrics, Optional<Query> query, Optional<Plugin> plugin) {
    /** The longest a scrape or query may take by default. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** Default of {@code metrics.quantile}. */
    public static final double DEFAULT_QUANTILE = 0.95;

    /** Validates the values. */
    public SignalSourceConfig {
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(plugin, "plugin");
    }

    /** A service without any of the three. */
    public static SignalSourceConfig none() {
        return new SignalSourceConfig(Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Whether the service names none of them. */
    public boolean isEmpty() {
        return metrics.isEmpty() && query.isEmpty() && plugin.isEmpty();
    }

    /** The key of the first block the service has, for messages: {@code metrics}, {@code query} or {@code signals}. */
    public String firstKey() {
        return metrics.isPresent() ? "metrics" : query.isPresent() ? "query" : "signals";
    }

    /**
     * {@code signals:}: a third-party source ({@link io.aegis.api.SignalSourceFactory}) of the type it names.
     *
     * @param type the source's type
     * @param settings the block, for the source's factory (its own keys beside {@code type})
     * @param keyPath where the block is, for messages
     */
    public record Plugin(String type, Settings settings, String keyPath) {
    }

    /**
     * {@code metrics:}: the service's own Prometheus endpoint, scraped every {@code interval}.
     *
     * @param url the endpoint
     * @param interval how often it is scraped; empty for the detection interval
     * @param timeout the longest a scrape may take; empty for the smaller of the interval and 10s
     * @param requests the request counter (summed over the series it selects): throughput, and error rate's
     *     denominator
     * @param errors the failed-request counter (summed): error rate
     * @param latency a latency histogram in seconds (its {@code _bucket} series): latency, as {@code quantile}
     * @param quantile which quantile of the latency histogram is the latency signal (0 to 1)
     * @param keyPath where the block is, for messages
     */
    public record Metrics(URI url, Optional<Duration> interval, Optional<Duration> timeout,
            Optional<SeriesSelector> requests, Optional<SeriesSelector> errors, Optional<SeriesSelector> latency,
            double quantile, String keyPath) {
        /** The signals it measures. */
        public Set<Signal> signals() {
            Set<Signal> signals = java.util.EnumSet.noneOf(Signal.class);
            requests.ifPresent(r -> signals.add(Signal.THROUGHPUT));
            errors.ifPresent(e -> signals.add(Signal.ERROR_RATE));
            latency.ifPresent(l -> signals.add(Signal.LATENCY));
            return signals;
        }
    }

    /**
     * {@code query:}: PromQL instant queries against a Prometheus server ({@code GET /api/v1/query}), each
     * evaluation.
     *
     * @param url the server's base URL ({@code http://prometheus:9090})
     * @param timeout the longest a query may take
     * @param queries the query of each signal, in the signal's unit (latency in milliseconds)
     * @param keyPath where the block is, for messages
     */
    public record Query(URI url, Optional<Duration> timeout, Map<Signal, String> queries, String keyPath) {
        /** Validates the values. */
        public Query {
            queries = Map.copyOf(queries);
        }
    }

    /** Reads a service's {@code metrics:} and {@code query:} keys, reporting every problem to {@code problems}. */
    public static SignalSourceConfig parse(TrackingSettings service, Consumer<ConfigProblem> problems) {
        Parser parser = new Parser(problems);
        Optional<Metrics> metrics = parser.metrics(service);
        Optional<Query> query = parser.query(service);
        Optional<Plugin> plugin = parser.plugin(service);
        if (metrics.isPresent() && query.isPresent()) {
            for (Signal signal : metrics.get().signals()) {
                if (query.get().queries().containsKey(signal)) {
                    problems.accept(new ConfigProblem(query.get().keyPath() + "." + signal.key(), "the " + signal.label()
                            + " of this service is read from its metrics: already; give it in one of metrics: and"
                            + " query:"));
                }
            }
        }
        return new SignalSourceConfig(metrics, query, plugin);
    }

    private static final class Parser extends io.aegis.core.internal.config.BlockReads {
        Parser(Consumer<ConfigProblem> problems) {
            super(problems);
        }

        Optional<Metrics> metrics(TrackingSettings service) {
            if (!service.has("metrics")) {
                return Optional.empty();
            }
            Optional<Object> raw = service.raw("metrics");
            if (raw.isPresent() && raw.get() instanceof String) {
                // metrics: http://... is the whole block with its defaults: what a service measures is not known
                problems.accept(new ConfigProblem(service.keyPath("metrics"), "expected a mapping with url: and what"
                        + " to read, such as {url: " + raw.get() + ", requests: http_requests_total, errors:"
                        + " 'http_requests_total{code=~\"5..\"}'}, found " + Settings.describe(raw.get())));
                return Optional.empty();
            }
            Optional<TrackingSettings> section = read(() -> service.trackedSection("metrics"), Optional.empty());
            if (section.isEmpty()) {
                return Optional.empty();
            }
            TrackingSettings block = section.get();
            URI url = url(block, "a Prometheus endpoint such as http://127.0.0.1:8080/metrics");
            Optional<Duration> interval = positive(block, "interval");
            if (interval.isPresent() && interval.get().compareTo(Duration.ofMillis(10)) < 0) {
                problem(block, "interval", "expected a duration of at least 10ms");
                interval = Optional.empty();
            }
            Optional<Duration> timeout = positive(block, "timeout");
            Optional<SeriesSelector> requests = selector(block, "requests");
            Optional<SeriesSelector> errors = selector(block, "errors");
            Optional<SeriesSelector> latency = selector(block, "latency");
            double quantile = DEFAULT_QUANTILE;
            Optional<Double> quantileValue = read(() -> block.number("quantile"), Optional.empty());
            if (quantileValue.isPresent()) {
                if (!(quantileValue.get() > 0 && quantileValue.get() < 1)) {
                    problem(block, "quantile", "expected a quantile between 0 and 1, such as 0.95");
                } else {
                    quantile = quantileValue.get();
                }
            }
            if (errors.isPresent() && requests.isEmpty() && !block.has("requests")) {
                problems.accept(new ConfigProblem(block.keyPath("requests"), "missing: the error rate is errors over"
                        + " requests; give the request counter too, such as requests: http_requests_total"));
            }
            if (!block.has("requests") && !block.has("errors") && !block.has("latency")) {
                problems.accept(new ConfigProblem(block.path(), "expected at least one of requests (a counter:"
                        + " throughput), errors (a counter: error rate, with requests) and latency (a histogram)"));
            }
            if (url == null) {
                return Optional.empty();
            }
            return Optional.of(new Metrics(url, interval, timeout, requests, errors, latency, quantile, block.path()));
        }

        Optional<Query> query(TrackingSettings service) {
            Optional<TrackingSettings> section = read(() -> service.trackedSection("query"), Optional.empty());
            if (section.isEmpty()) {
                return Optional.empty();
            }
            TrackingSettings block = section.get();
            URI url = url(block, "a Prometheus server such as http://127.0.0.1:9090");
            if (url != null && url.getPath() != null && url.getPath().contains("/api/v1")) {
                // the API path is aegis' to add: given here it would be there twice, and every query a 404
                problem(block, "url", "expected the server's base URL, without /api/v1/...: http://"
                        + url.getAuthority() + url.getPath().substring(0, url.getPath().indexOf("/api/v1")));
                url = null;
            }
            Optional<Duration> timeout = positive(block, "timeout");
            Map<Signal, String> queries = new EnumMap<>(Signal.class);
            for (Signal signal : Signal.values()) {
                read(() -> block.string(signal.key()), Optional.<String>empty()).ifPresent(text -> {
                    if (text.isBlank()) {
                        problem(block, signal.key(), "expected a PromQL expression");
                    } else {
                        queries.put(signal, text.trim());
                    }
                });
            }
            if (queries.isEmpty() && !Set.of(Signal.values()).stream().anyMatch(s -> block.has(s.key()))) {
                problems.accept(new ConfigProblem(block.path(), "expected at least one of throughput (requests per"
                        + " second), error_rate (0 to 1) and latency (milliseconds), each a PromQL expression"));
            }
            if (url == null) {
                return Optional.empty();
            }
            return Optional.of(new Query(url, timeout, queries, block.path()));
        }

        Optional<Plugin> plugin(TrackingSettings service) {
            Optional<TrackingSettings> section = read(() -> service.trackedSection("signals"), Optional.empty());
            if (section.isEmpty()) {
                return Optional.empty();
            }
            TrackingSettings block = section.get();
            String type = read(() -> block.requireString("type", "the type of a signal source plugin"), null);
            block.allowAnyKeys(); // the plugin's factory reads (and reports) its own keys
            return type == null ? Optional.empty() : Optional.of(new Plugin(type.trim(), block, block.path()));
        }

        private URI url(TrackingSettings block, String example) {
            String text = read(() -> block.requireString("url", example), null);
            if (text == null) {
                return null;
            }
            try {
                URI uri = new URI(text.trim());
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                    return uri;
                }
            } catch (URISyntaxException e) {
                // said below
            }
            problem(block, "url", "expected an http:// or https:// URL, " + example);
            return null;
        }

        private Optional<SeriesSelector> selector(TrackingSettings block, String key) {
            Optional<String> text = read(() -> block.string(key), Optional.empty());
            if (text.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(SeriesSelector.parse(text.get()));
            } catch (IllegalArgumentException e) {
                problem(block, key, "expected a series selector such as http_requests_total{code=~\"5..\"} ("
                        + e.getMessage() + ")");
                return Optional.empty();
            }
        }

    }
}
