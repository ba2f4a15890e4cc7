package io.aegis.httpapi.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.aegis.core.Engine;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/events}: the engine's events as Server-Sent Events, to every follower at once.
 *
 * <p>Each event gets the next id. The last {@link #KEPT} events other than check results are kept, so a follower
 * that reconnects with {@code Last-Event-ID} (a browser's EventSource does by itself) gets what it missed; check
 * results are not kept (thousands a second at scale; the next one supersedes them), and a follower that missed
 * more than was kept gets an {@code event: gap} first, to re-read the state. Each follower has a thread and a
 * bounded queue of its own: one that reads too slowly is disconnected (it can resume by id) and never holds up
 * the engine or the other followers.
 */
public final class EventHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("io.aegis.httpapi");
    /** What {@code ?types=} may name: every kind of event, by its class' simple name, in order. */
    private static final List<String> EVENT_TYPES = Arrays.stream(ServiceEvent.class.getPermittedSubclasses())
            .map(Class::getSimpleName).sorted().toList();
    /** Events kept for followers that reconnect. */
    public static final int KEPT = 1000;
    /** Followers at once; more are refused with 503 (each holds a thread and a connection). */
    public static final int MAX_FOLLOWERS = 32;
    /** Frames queued for one follower before it counts as too slow. */
    static final int FOLLOWER_QUEUE = 10_000;
    /** A comment line this often keeps proxies and browsers from closing an idle stream. */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private record Frame(long id, String type, String text) {
    }

    private final Engine engine;
    private final ServiceHistory history;
    private final ObjectMapper json;
    private final ArrayDeque<Frame> kept = new ArrayDeque<>(KEPT); // guarded by this
    private final List<Follower> followers = new CopyOnWriteArrayList<>();
    private final AtomicInteger followerNames = new AtomicInteger();
    private long lastId; // guarded by this
    private volatile boolean closed;
    private AutoCloseable subscription;

    public EventHub(Engine engine, ServiceHistory history, ObjectMapper json) {
        this.engine = engine;
        this.history = history;
        this.json = json;
    }

    /** Starts following the engine's events. */
    public void start() {
        subscription = engine.subscribe(this::onEvent);
    }

    private void onEvent(ServiceEvent event) {
        history.accept(event);
        boolean check = event instanceof CheckCompleted;
        String type = event.getClass().getSimpleName();
        synchronized (this) {
            long id = ++lastId;
            if (check && followers.isEmpty()) {
                return; // nobody to send it to and it is not kept: no JSON made for nothing
            }
            String text;
            try {
                text = "id: " + id + "\nevent: " + type + "\ndata: "
                        + json.writeValueAsString(JsonViews.event(event)) + "\n\n";
            } catch (JsonProcessingException e) {
                log.warn("api: could not write event {} as JSON: {}", type, e.getOriginalMessage());
                return;
            }
            Frame frame = new Frame(id, type, text);
            if (!check) {
                if (kept.size() == KEPT) {
                    kept.removeFirst();
                }
                kept.addLast(frame);
            }
            for (Follower follower : followers) {
                follower.offer(frame);
            }
        }
    }

    /**
     * Streams events to {@code exchange} on a thread of its own, from after {@code Last-Event-ID} (header) or
     * {@code ?lastEventId=}, filtered by {@code ?types=A,B}. Returns true: the exchange is the stream's now.
     */
    boolean follow(HttpExchange exchange) throws IOException {
        if (closed) {
            throw new HttpError(503, "aegis is stopping");
        }
        if (followers.size() >= MAX_FOLLOWERS) {
            throw new HttpError(503, "already " + MAX_FOLLOWERS + " event streams are open; close one first");
        }
        String query = exchange.getRequestURI().getRawQuery();
        Set<String> types = Set.copyOf(Arrays.stream(parameter(query, "types").orElse("").split(","))
                .map(String::trim).filter(t -> !t.isEmpty()).toList());
        // Checked, not taken on trust: a misspelt type streamed nothing, and follow=maybe followed.
        List<String> unknown = types.stream().filter(type -> !EVENT_TYPES.contains(type)).sorted().toList();
        if (!unknown.isEmpty()) {
            throw HttpError.badRequest("types: unknown event type" + (unknown.size() == 1 ? " " : "s ")
                    + String.join(", ", unknown) + "; expected some of " + String.join(", ", EVENT_TYPES));
        }
        Optional<String> followParameter = parameter(query, "follow");
        if (followParameter.filter(value -> !value.equals("true") && !value.equals("false")).isPresent()) {
            throw HttpError.badRequest("follow: expected true or false, found \"" + followParameter.get() + "\"");
        }
        String lastHeader = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        String last = lastHeader != null ? lastHeader : parameter(query, "lastEventId").orElse(null);
        long after = -1;
        if (last != null && !last.isBlank()) {
            try {
                after = Long.parseLong(last.trim());
            } catch (NumberFormatException e) {
                throw HttpError.badRequest("Last-Event-ID: expected the id of an event (a number), found \"" + last
                        + "\"");
            }
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no"); // nginx in front: do not buffer the stream
        Follower follower = new Follower(exchange, types);
        List<Frame> replay = new ArrayList<>();
        synchronized (this) {
            if (after >= 0) {
                long oldestKept = kept.isEmpty() ? lastId + 1 : kept.getFirst().id();
                if (after + 1 < oldestKept && after < lastId) {
                    replay.add(new Frame(lastId, "gap", "event: gap\ndata: {\"missedAfter\":" + after
                            + ",\"oldestKept\":" + oldestKept + "}\n\n"));
                }
                for (Frame frame : kept) {
                    if (frame.id() > after) {
                        replay.add(frame);
                    }
                }
            }
            replay.forEach(follower::offer);
            followers.add(follower);
        }
        exchange.sendResponseHeaders(200, 0);
        if (followParameter.filter("false"::equals).isPresent()) {
            // the kept events after the id, then the end: `aegis events` without --follow
            synchronized (this) {
                followers.remove(follower);
            }
            try (OutputStream out = exchange.getResponseBody()) {
                for (Frame frame : replay) {
                    if (types.isEmpty() || types.contains(frame.type())) {
                        out.write(frame.text().getBytes(StandardCharsets.UTF_8));
                    }
                }
            } finally {
                exchange.close();
            }
            return true;
        }
        Thread thread = new Thread(follower::run, "aegis-api-events-" + followerNames.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
        return true;
    }

    private static Optional<String> parameter(String query, String name) {
        if (query == null) {
            return Optional.empty();
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (key.equals(name)) {
                return Optional.of(java.net.URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1),
                        StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    /** Followers connected now. */
    public int followers() {
        return followers.size();
    }

    @Override
    public void close() {
        closed = true;
        if (subscription != null) {
            try {
                subscription.close();
            } catch (Exception e) {
                // the engine is closing too
            }
        }
        for (Follower follower : followers) {
            follower.stop();
        }
    }

    /** One open stream: its queue, drained to the connection by its own thread. */
    private final class Follower {
        private final HttpExchange exchange;
        private final Set<String> types;
        private final BlockingQueue<Frame> queue = new ArrayBlockingQueue<>(FOLLOWER_QUEUE);
        private volatile boolean stopped;
        private volatile Thread thread;

        Follower(HttpExchange exchange, Set<String> types) {
            this.exchange = exchange;
            this.types = types;
        }

        void offer(Frame frame) {
            if (stopped || (!types.isEmpty() && !types.contains(frame.type()) && !frame.type().equals("gap"))) {
                return;
            }
            if (!queue.offer(frame)) {
                log.warn("api: an event stream to {} fell {} events behind and was closed (it can resume with"
                        + " Last-Event-ID)", exchange.getRemoteAddress(), FOLLOWER_QUEUE);
                stop();
            }
        }

        void stop() {
            stopped = true;
            followers.remove(this); // its slot is free at once
            queue.clear(); // nothing more for it; the marker below wakes a thread waiting for frames
            queue.offer(new Frame(-1, "", ""));
            // A thread blocked writing to a client that does not read (its socket buffer full) never sees the
            // marker, and closing the exchange from here would block too (it writes the last chunk). The connection
            // is a SocketChannel, an interruptible channel: interrupting its writer closes it, and the write fails.
            Thread writer = thread;
            if (writer != null) {
                writer.interrupt();
            }
        }

        void run() {
            thread = Thread.currentThread();
            try (OutputStream out = exchange.getResponseBody()) {
                out.write((": aegis events\nretry: 2000\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                while (!stopped && !closed) {
                    Frame frame = queue.poll(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
                    if (frame == null) {
                        out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    } else if (frame.id() < 0 && frame.text().isEmpty()) {
                        break;
                    } else {
                        out.write(frame.text().getBytes(StandardCharsets.UTF_8));
                        // whatever else is already queued goes in the same write
                        Frame more;
                        while ((more = queue.poll()) != null && !(more.id() < 0 && more.text().isEmpty())) {
                            out.write(more.text().getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    out.flush();
                }
            } catch (IOException e) {
                // the follower went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                followers.remove(this);
                if (stopped) {
                    // closed by us: no last chunk for a client that may not read it (with the flag set, a blocked
                    // write on the interruptible channel closes the connection instead of waiting)
                    Thread.currentThread().interrupt();
                }
                exchange.close();
            }
        }
    }
}
