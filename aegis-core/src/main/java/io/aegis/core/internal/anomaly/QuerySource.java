package io.aegis.core.internal.anomaly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.core.internal.Scheduler;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PromQL instant queries against a Prometheus server ({@code query:}), for teams whose numbers live there already:
 * each signal's query every detection interval ({@code GET /api/v1/query}), its one value taken as the signal (a
 * scalar, or a vector of exactly one series; wrap a query in {@code sum(...)} to make one). The latest answer is
 * what the next evaluation judges; an empty vector is no sample (a rate of a series nobody wrote yet).
 */
final class QuerySource implements SignalSource {
    private static final Logger log = LoggerFactory.getLogger(QuerySource.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String service;
    private final SignalSourceConfig.Query spec;
    private final Duration interval;
    private final Duration timeout;
    private final ScrapeClient client;
    private final Scheduler scheduler;
    /** The query URL of each signal, built once. */
    private final Map<Signal, URI> uris = new EnumMap<>(Signal.class);

    // Guarded by this.
    private final double[] latest = new double[Signal.values().length];
    private final Map<Signal, String> problems = new EnumMap<>(Signal.class);
    private final boolean[] inFlight = new boolean[Signal.values().length];
    private boolean closed;
    private Scheduler.Task polls;

    QuerySource(String service, SignalSourceConfig.Query spec, Duration detectionInterval, ScrapeClient client,
            Scheduler scheduler) {
        this.service = service;
        this.spec = spec;
        this.interval = detectionInterval;
        this.timeout = spec.timeout().orElse(interval.compareTo(SignalSourceConfig.DEFAULT_TIMEOUT) < 0 ? interval
                : SignalSourceConfig.DEFAULT_TIMEOUT);
        this.client = client;
        this.scheduler = scheduler;
        String base = spec.url().toString().replaceAll("/+$", "");
        spec.queries().forEach((signal, query) -> uris.put(signal, URI.create(base + "/api/v1/query?query="
                + URLEncoder.encode(query, StandardCharsets.UTF_8))));
        Arrays.fill(latest, Double.NaN);
    }

    @Override
    public Set<Signal> signals() {
        return spec.queries().keySet();
    }

    @Override
    public String kind() {
        return "query";
    }

    @Override
    public synchronized void start() {
        if (closed) {
            return;
        }
        try {
            polls = scheduler.scheduleAtFixedRate(this::queryAll, Duration.ofMillis(Math.floorMod(service.hashCode(),
                    Math.max(1, interval.toMillis()))), interval);
        } catch (RejectedExecutionException e) {
            log.debug("{}: not queried: the engine is shutting down", service);
        }
    }

    private void queryAll() {
        uris.forEach(this::query);
    }

    private void query(Signal signal, URI uri) {
        synchronized (this) {
            if (closed || inFlight[signal.ordinal()]) {
                return;
            }
            inFlight[signal.ordinal()] = true;
        }
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> reply;
        try {
            reply = client.get(uri, "application/json", timeout);
        } catch (RuntimeException e) {
            reply = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((response, error) -> {
            double value = Double.NaN;
            String problem;
            try {
                if (error != null) {
                    problem = MetricsSource.describe(error);
                } else {
                    Answer answer = answer(response);
                    value = answer.value();
                    problem = answer.problem();
                    if (problem == null && !Double.isNaN(value) && !(value >= 0 && value < Double.POSITIVE_INFINITY
                            && (signal != Signal.ERROR_RATE || value <= 1))) {
                        // not a sample a baseline may learn (hostile L3: an error rate of 5 was learned as normal)
                        problem = "it returned " + value + ", not " + (signal == Signal.ERROR_RATE
                                ? "a fraction from 0 to 1" : "a number of at least 0");
                        value = Double.NaN;
                    }
                }
            } catch (RuntimeException e) {
                problem = MetricsSource.describe(e); // never left in flight for good
            }
            synchronized (this) {
                inFlight[signal.ordinal()] = false;
                if (closed) {
                    return;
                }
                if (problem == null) {
                    latest[signal.ordinal()] = value;
                }
                String before = problem == null ? problems.remove(signal) : problems.put(signal, problem);
                if (problem != null && before == null) {
                    log.warn("{}: the {} query to {} failed: {}; its {} is not judged until it works again",
                            service, signal.label(), spec.url(), problem, signal.label());
                } else if (problem == null && before != null) {
                    log.info("{}: the {} query to {} works again", service, signal.label(), spec.url());
                }
            }
        });
    }

    /** A query's value (NaN: no sample), or why there is none that is worth saying. */
    private record Answer(double value, String problem) {
    }

    /** Reads an answer of {@code /api/v1/query} (https://prometheus.io/docs/prometheus/latest/querying/api/). */
    static Answer answer(HttpResponse<byte[]> response) {
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            return new Answer(Double.NaN, "HTTP " + response.statusCode() + ", not a Prometheus API answer");
        }
        if (body == null || !"success".equals(body.path("status").asText())) {
            String error = body == null ? "" : body.path("error").asText("");
            return new Answer(Double.NaN, "HTTP " + response.statusCode() + (error.isEmpty() ? "" : ": " + error));
        }
        JsonNode data = body.path("data");
        String type = data.path("resultType").asText();
        JsonNode result = data.path("result");
        switch (type) {
            case "scalar":
                return new Answer(number(result.path(1).asText()), null);
            case "vector":
                if (result.size() == 0) {
                    return new Answer(Double.NaN, null); // nothing to judge this time, not a failure
                }
                if (result.size() > 1) {
                    return new Answer(Double.NaN, "it returned " + result.size() + " series, not one; aggregate it,"
                            + " for example with sum(...)");
                }
                return new Answer(number(result.path(0).path("value").path(1).asText()), null);
            default:
                return new Answer(Double.NaN, "it returned a " + type + ", not a scalar or an instant vector");
        }
    }

    private static double number(String text) {
        try {
            return switch (text) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                default -> Double.parseDouble(text);
            };
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    @Override
    public synchronized void drain(double[] values) {
        for (Signal signal : spec.queries().keySet()) {
            values[signal.ordinal()] = latest[signal.ordinal()];
            latest[signal.ordinal()] = Double.NaN;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        Scheduler.cancel(polls);
    }
}
