package io.aegis.core.internal.anomaly;

import io.aegis.core.internal.Scheduler;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's own Prometheus endpoint ({@code metrics:}), scraped every interval. From one scrape to the next it
 * derives what the counters and the histogram did: throughput is the requests counter's increase per second, error
 * rate the errors counter's increase over the requests counter's, latency a quantile of the histogram's buckets'
 * increases (as PromQL's {@code histogram_quantile} over {@code rate}). Increases are summed over every scrape
 * since the detector's last evaluation.
 *
 * <p>Counters are compared series by series, as PromQL's {@code rate} does: a series that went down was reset (the
 * service restarted) and its whole new value is its increase, so a restart never fakes a spike; a series that
 * appears counts whole (client libraries create a labelled series at its first increment, so the first 5xx of a
 * code counts); the first scrape only sets the starting point.
 */
public final class MetricsSource implements SignalSource {
    private static final Logger log = LoggerFactory.getLogger(MetricsSource.class);
    private static final String ACCEPT = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

    private final String service;
    private final SignalSourceConfig.Metrics spec;
    private final Duration interval;
    private final Duration timeout;
    private final ScrapeClient client;
    private final Scheduler scheduler;
    private final String bucketName;
    /** Latency histograms are in seconds by Prometheus' convention; the signal is in milliseconds. */
    private final double toMillis;

    // Guarded by this.
    private Map<PrometheusText.Labels, Double> lastRequests;
    private Map<PrometheusText.Labels, Double> lastErrors;
    private Map<PrometheusText.Labels, Double> lastBuckets;
    private long lastScrapeNanos;
    private double requestsIncrease;
    private double errorsIncrease;
    private double seconds;
    private final TreeMap<Double, Double> bucketIncreases = new TreeMap<>();
    private boolean inFlight;
    private boolean failing;
    private boolean closed;
    private Scheduler.Task polls;

    MetricsSource(String service, SignalSourceConfig.Metrics spec, Duration detectionInterval, ScrapeClient client,
            Scheduler scheduler) {
        this.service = service;
        this.spec = spec;
        this.interval = spec.interval().orElse(detectionInterval);
        this.timeout = spec.timeout().orElse(interval.compareTo(SignalSourceConfig.DEFAULT_TIMEOUT) < 0 ? interval
                : SignalSourceConfig.DEFAULT_TIMEOUT);
        this.client = client;
        this.scheduler = scheduler;
        String latencyName = spec.latency().map(SeriesSelector::metricName).orElse(null);
        this.bucketName = latencyName == null ? null : latencyName.endsWith("_bucket") ? latencyName
                : latencyName + "_bucket";
        String base = latencyName == null ? "" : latencyName.replaceAll("_bucket$", "");
        this.toMillis = base.endsWith("_milliseconds") || base.endsWith("_ms") ? 1 : 1000;
    }

    /**
     * A source of {@code spec} that polls nothing: what it measures comes from {@link #take} (the benchmark harness
     * feeds it scrapes it made itself).
     */
    public static MetricsSource standalone(String service, SignalSourceConfig.Metrics spec) {
        return new MetricsSource(service, spec, Duration.ofSeconds(1), null, null);
    }

    @Override
    public Set<Signal> signals() {
        return spec.signals();
    }

    @Override
    public String kind() {
        return "metrics";
    }

    @Override
    public synchronized void start() {
        if (closed) {
            return;
        }
        try {
            // spread over the interval, as the first checks are: a thousand endpoints are not scraped at once
            polls = scheduler.scheduleAtFixedRate(this::scrape, Duration.ofMillis(Math.floorMod(service.hashCode(),
                    Math.max(1, interval.toMillis()))), interval);
        } catch (RejectedExecutionException e) {
            log.debug("{}: metrics not scraped: the engine is shutting down", service);
        }
    }

    private void scrape() {
        synchronized (this) {
            if (closed || inFlight) {
                return; // the last scrape has not answered yet: its timeout ends it
            }
            inFlight = true;
        }
        java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<byte[]>> answer;
        try {
            answer = client.get(spec.url(), ACCEPT, timeout);
        } catch (RuntimeException e) {
            answer = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((response, error) -> {
            long now = scheduler.nanoTime();
            String problem;
            try {
                problem = error != null ? describe(error) : response.statusCode() != 200
                        ? "HTTP " + response.statusCode() : take(response.body(),
                        response.headers().firstValue("Content-Type").orElse(""), now);
            } catch (RuntimeException e) {
                problem = describe(e); // never left in flight for good: the next scrape must run
            }
            synchronized (this) {
                inFlight = false;
                if (closed) {
                    return;
                }
                if (problem != null && !failing) {
                    failing = true;
                    log.warn("{}: scraping its metrics from {} failed: {}; its throughput, error rate and latency are"
                            + " not judged until a scrape works again", service, spec.url(), problem);
                } else if (problem == null && failing) {
                    failing = false;
                    log.info("{}: scraping its metrics from {} works again", service, spec.url());
                }
            }
        });
    }

    /**
     * Parses one scrape ({@code body} as served with {@code contentType}, at {@code nanos} of a monotonic clock) and
     * adds what changed since the last; null, or a sentence saying why it could not.
     */
    public String take(byte[] body, String contentType, long nanos) {
        Map<PrometheusText.Labels, Double> requests = new HashMap<>();
        Map<PrometheusText.Labels, Double> errors = new HashMap<>();
        Map<PrometheusText.Labels, Double> buckets = new HashMap<>();
        PrometheusText.Format format = PrometheusText.Format.ofContentType(contentType);
        try {
            PrometheusText.parse(body, 0, body.length, format, new PrometheusText.Visitor() {
                @Override
                public boolean wants(String name) {
                    return spec.requests().map(s -> s.matchesName(name)).orElse(false)
                            || spec.errors().map(s -> s.matchesName(name)).orElse(false)
                            || name.equals(bucketName);
                }

                @Override
                public void sample(String name, PrometheusText.Labels labels, double value, long timestamp) {
                    if (spec.requests().isPresent() && spec.requests().get().matches(name, labels)) {
                        requests.put(labels, value);
                    }
                    if (spec.errors().isPresent() && spec.errors().get().matches(name, labels)) {
                        errors.put(labels, value);
                    }
                    if (name.equals(bucketName) && labels.get("le") != null
                            && spec.latency().get().matches(spec.latency().get().metricName() == null ? name
                                    : spec.latency().get().metricName(), labels)) {
                        buckets.put(labels, value);
                    }
                }
            });
        } catch (PrometheusText.ParseException e) {
            return "its answer is not the Prometheus text format: " + e.getMessage();
        }
        // A selector that matches nothing (a typo, a series not exported yet) gives nothing for its signals, not 0: 0
        // req/s would be a false "no traffic" anomaly, or a baseline of 0. The other signals are still measured.
        boolean requestsSeen = spec.requests().isEmpty() || !requests.isEmpty();
        boolean latencySeen = spec.latency().isEmpty() || !buckets.isEmpty();
        String unmatched = !requestsSeen ? "requests " + spec.requests().get()
                : !latencySeen ? "latency " + spec.latency().get() : null;
        synchronized (this) {
            double elapsed = (nanos - lastScrapeNanos) / 1e9;
            if (lastRequests != null && requestsSeen) {
                requestsIncrease += increase(lastRequests, requests);
                errorsIncrease += increase(lastErrors, errors);
                seconds += elapsed;
            }
            if (lastBuckets != null && latencySeen) {
                for (Map.Entry<PrometheusText.Labels, Double> bucket : buckets.entrySet()) {
                    double le = parseBound(bucket.getKey().get("le"));
                    if (!Double.isNaN(le)) {
                        double was = lastBuckets.getOrDefault(bucket.getKey(), 0.0);
                        double grew = bucket.getValue() >= was ? bucket.getValue() - was : bucket.getValue();
                        bucketIncreases.merge(le, grew, Double::sum);
                    }
                }
            }
            lastRequests = requestsSeen ? requests : null; // the next scrape that has them starts over from there
            lastErrors = errors;
            lastBuckets = latencySeen ? buckets : null;
            lastScrapeNanos = nanos;
        }
        return unmatched == null ? null : "no series matches " + unmatched;
    }

    /** The summed increase of the series of {@code now} since {@code before}, resets and new series counted whole. */
    private static double increase(Map<PrometheusText.Labels, Double> before, Map<PrometheusText.Labels, Double> now) {
        double sum = 0;
        for (Map.Entry<PrometheusText.Labels, Double> series : now.entrySet()) {
            Double was = before.get(series.getKey());
            double value = series.getValue();
            if (Double.isNaN(value)) {
                continue;
            }
            sum += was == null || value < was ? value : value - was;
        }
        return sum;
    }

    private static double parseBound(String le) {
        if (le == null) {
            return Double.NaN;
        }
        try {
            return le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    @Override
    public synchronized void drain(double[] values) {
        if (spec.requests().isPresent()) {
            values[Signal.THROUGHPUT.ordinal()] = seconds > 0 ? requestsIncrease / seconds : Double.NaN;
        }
        if (spec.errors().isPresent()) {
            values[Signal.ERROR_RATE.ordinal()] = requestsIncrease > 0
                    ? Math.min(1, errorsIncrease / requestsIncrease) : Double.NaN;
        }
        if (spec.latency().isPresent()) {
            values[Signal.LATENCY.ordinal()] = Histograms.quantile(spec.quantile(), bucketIncreases) * toMillis;
        }
        requestsIncrease = 0;
        errorsIncrease = 0;
        seconds = 0;
        bucketIncreases.clear();
    }

    @Override
    public synchronized void close() {
        closed = true;
        Scheduler.cancel(polls);
    }

    static String describe(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        if (cause instanceof java.net.http.HttpTimeoutException) {
            return "no answer in time";
        }
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return "no complete answer in time";
        }
        if (cause instanceof java.net.ConnectException) {
            return "connection refused";
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
