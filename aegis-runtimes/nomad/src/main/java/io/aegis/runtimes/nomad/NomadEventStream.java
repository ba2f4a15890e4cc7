package io.aegis.runtimes.nomad;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Follows {@code GET /v1/event/stream?topic=Allocation:<job>}, so that an allocation that fails is seen the moment
 * Nomad records it, not at the next poll.
 *
 * <p>The body is newline-delimited JSON, one frame per line ({@code {"Index":51,"Events":[...]}}), with a heartbeat
 * {@code {}} when the stream opens and every 30 seconds. The JDK's line subscriber reassembles lines split across
 * chunks. The stream is asynchronous: no thread blocks on it. When it ends, breaks or is refused, it is opened again
 * from the last index seen plus one (Nomad replays what it still buffers), at once after a connection that delivered
 * frames and with a doubling backoff otherwise; when nothing, not even a heartbeat, arrives for the idle timeout the
 * connection is presumed dead (a silent network partition) and replaced.
 *
 * <p>Callbacks of a replaced connection are told apart by a generation number and ignored.
 */
final class NomadEventStream implements AutoCloseable {

    /** Receives the events of one frame, on an HTTP client thread, in order. */
    interface FrameHandler {
        void events(long index, JsonNode events);
    }

    private static final System.Logger LOG = System.getLogger(NomadEventStream.class.getName());

    private final String serviceName;
    private final NomadApi api;
    private final HttpClient client;
    private final ScheduledExecutorService scheduler;
    private final Duration idleTimeout;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final FrameHandler handler;

    // guarded by this
    private boolean started;
    private boolean closed;
    private int generation;
    private long lastIndex;
    private long lastActivityNanos;
    private int framesThisConnection;
    private Duration backoff;
    private Lines lines;
    private CompletableFuture<HttpResponse<Void>> exchange;
    private ScheduledFuture<?> watchdog;
    private String lastProblem;
    private String loggedProblem;
    /** Whether the current connection is open and delivering (a line, a heartbeat at least, came through it). */
    private volatile boolean live;

    NomadEventStream(String serviceName, NomadApi api, HttpClient client, ScheduledExecutorService scheduler,
            Duration idleTimeout, Duration firstBackoff, Duration maxBackoff, FrameHandler handler) {
        this.serviceName = serviceName;
        this.api = api;
        this.client = client;
        this.scheduler = scheduler;
        this.idleTimeout = idleTimeout;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
        this.handler = handler;
        this.backoff = firstBackoff;
    }

    /**
     * Opens the stream from {@code fromIndex} (exclusive: the index of a listing already read), unless it is open;
     * 0 for Nomad's newest events.
     */
    synchronized void start(long fromIndex) {
        if (started || closed) {
            return;
        }
        started = true;
        lastIndex = Math.max(lastIndex, fromIndex);
        long period = Math.max(10, idleTimeout.toMillis() / 4);
        watchdog = scheduler.scheduleWithFixedDelay(this::checkIdle, period, period, TimeUnit.MILLISECONDS);
        connect();
    }

    /** The index of the last frame received (or the index the stream started from). */
    synchronized long lastIndex() {
        return lastIndex;
    }

    /**
     * Whether the stream is open and has delivered something: while it is, every allocation change of the job
     * arrives through it, so what was read from Nomad since the last event is still current.
     */
    boolean live() {
        return live;
    }

    /** Why the stream last failed, for status descriptions; null while it is fine. */
    synchronized String lastProblem() {
        return lastProblem;
    }

    @Override
    public synchronized void close() {
        closed = true;
        live = false;
        generation++;
        if (watchdog != null) {
            watchdog.cancel(false);
        }
        abandonConnection();
    }

    private void connect() {
        assert Thread.holdsLock(this);
        if (closed) {
            return;
        }
        int connection = ++generation;
        live = false;
        framesThisConnection = 0;
        lastActivityNanos = System.nanoTime();
        Map<String, String> query = new LinkedHashMap<>();
        query.put("topic", "Allocation:" + api.settings().job());
        if (lastIndex > 0) {
            query.put("index", Long.toString(lastIndex + 1));
        }
        URI uri = api.uri("/v1/event/stream", query);
        HttpRequest request = api.request(uri).GET().build();
        Lines subscriber = new Lines(connection);
        lines = subscriber;
        exchange = client.sendAsync(request, info -> {
            if (info.statusCode() == 200) {
                return HttpResponse.BodySubscribers.fromLineSubscriber(subscriber);
            }
            int status = info.statusCode();
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8),
                    body -> {
                        refused(connection, status, body);
                        return null;
                    });
        });
        exchange.whenComplete((response, error) -> ended(connection, error));
    }

    private synchronized void refused(int connection, int status, String body) {
        if (connection == generation) {
            live = false;
            lastProblem = api.refusal("GET", "/v1/event/stream", status, body, "the read-job capability").getMessage();
        }
    }

    private synchronized void ended(int connection, Throwable error) {
        if (connection != generation || closed) {
            return;
        }
        live = false;
        if (error != null) {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            lastProblem = cause instanceof java.io.IOException
                    ? api.unreachable("GET", "/v1/event/stream", (java.io.IOException) cause).getMessage()
                    : String.valueOf(cause);
        }
        reconnectLater(framesThisConnection > 0 ? Duration.ZERO : nextBackoff());
    }

    private void checkIdle() {
        synchronized (this) {
            if (closed || System.nanoTime() - lastActivityNanos < idleTimeout.toNanos()) {
                return;
            }
            LOG.log(Level.WARNING, "{0}: nothing from the Nomad event stream at {1} for {2}s, not even a heartbeat;"
                    + " opening it again from index {3}", serviceName, api.settings().addressText(),
                    idleTimeout.toSeconds(), Long.toString(lastIndex + 1));
            generation++;
            live = false;
            abandonConnection();
            // counted from now, so the replacement gets a whole idle timeout before it is judged
            lastActivityNanos = System.nanoTime();
            reconnectLater(Duration.ZERO);
        }
    }

    private void abandonConnection() {
        assert Thread.holdsLock(this);
        if (lines != null) {
            lines.cancel();
            lines = null;
        }
        if (exchange != null) {
            exchange.cancel(true);
            exchange = null;
        }
    }

    private void reconnectLater(Duration delay) {
        assert Thread.holdsLock(this);
        if (closed) {
            return;
        }
        if (lastProblem != null && !delay.isZero()) {
            // a warning when the problem is new, not at every retry of the same one
            LOG.log(lastProblem.equals(loggedProblem) ? Level.DEBUG : Level.WARNING,
                    "{0}: the Nomad event stream failed: {1}; retrying in {2} ms, then less and less often",
                    serviceName, lastProblem, Long.toString(delay.toMillis()));
            loggedProblem = lastProblem;
        }
        int expected = generation;
        try {
            scheduler.schedule(() -> {
                synchronized (this) {
                    if (expected == generation && !closed) {
                        connect();
                    }
                }
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the runtime is closing
        }
    }

    private Duration nextBackoff() {
        Duration delay = backoff;
        backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
        return delay;
    }

    private void line(int connection, String text) {
        String line = text.strip();
        JsonNode frame;
        synchronized (this) {
            if (connection != generation || closed) {
                return;
            }
            lastActivityNanos = System.nanoTime();
            live = true;
            if (line.isEmpty()) {
                return;
            }
            try {
                frame = api.mapper().readTree(line);
            } catch (JsonProcessingException e) {
                LOG.log(Level.WARNING, "{0}: ignoring a line of the Nomad event stream that is not JSON: {1}",
                        serviceName, e.getOriginalMessage());
                return;
            }
            long index = frame.path("Index").asLong(0);
            JsonNode events = frame.path("Events");
            if (index == 0 && events.size() == 0) {
                // the heartbeat, "{}": proof of life only
                return;
            }
            lastIndex = Math.max(lastIndex, index);
            framesThisConnection++;
            backoff = firstBackoff;
            if (loggedProblem != null) {
                LOG.log(Level.INFO, "{0}: the Nomad event stream works again", serviceName);
            }
            lastProblem = null;
            loggedProblem = null;
        }
        // outside the lock: the handler tells the engine, which must never wait for the stream's lock
        handler.events(frame.path("Index").asLong(0), frame.path("Events"));
    }

    /** Receives the lines of one connection. */
    private final class Lines implements Flow.Subscriber<String> {
        private final int connection;
        private Flow.Subscription subscription;
        private boolean cancelled;

        Lines(int connection) {
            this.connection = connection;
        }

        @Override
        public void onSubscribe(Flow.Subscription given) {
            boolean cancelNow;
            synchronized (this) {
                subscription = given;
                cancelNow = cancelled;
            }
            if (cancelNow) {
                given.cancel();
            } else {
                given.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(String item) {
            try {
                line(connection, item);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, serviceName + ": a Nomad event could not be handled", e);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            // the exchange's future completes exceptionally too: ended() handles it
        }

        @Override
        public void onComplete() {
            // the exchange's future completes too: ended() handles it
        }

        void cancel() {
            Flow.Subscription current;
            synchronized (this) {
                cancelled = true;
                current = subscription;
            }
            if (current != null) {
                current.cancel();
            }
        }
    }
}
