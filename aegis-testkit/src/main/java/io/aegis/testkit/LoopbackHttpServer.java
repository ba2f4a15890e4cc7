package io.aegis.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 server on loopback (the JDK's), on a free port: a health endpoint to check, or a receiver to
 * deliver alerts to. Every request is answered with the status and body last set (200 "ok" at first), or with
 * statuses in turn ({@link #respondInTurn}), after a delay if one is set ({@link #delayAnswers}), and recorded; a
 * path can be given a handler of its own instead ({@link #handle}). Each request is answered on a thread of its own,
 * taken from a pool that grows as needed (a handler that hangs on purpose holds up no other request); the threads are
 * daemons named {@code aegis-testkit-http-*}, ended by {@link #close}.
 */
public final class LoopbackHttpServer implements AutoCloseable {
    /**
     * One request as the server received it, and the status it answers it with.
     *
     * @param method  the request method
     * @param path    the path and query
     * @param headers the headers, names as sent
     * @param body    the body, as UTF-8
     * @param status  the status it was answered with (chosen when it came, before any {@link #delayAnswers delay}):
     *     a receiver that refused a delivery with {@code 500} and accepted its retry shows both
     */
    public record Request(String method, String path, Map<String, List<String>> headers, String body, int status) {
    }

    private final HttpServer server;
    private final ExecutorService handlers;
    private final List<Request> requests = new ArrayList<>();
    private volatile int[] statuses = {200};
    private final AtomicInteger turn = new AtomicInteger();
    private final AtomicInteger threads = new AtomicInteger();
    private volatile String body = "ok";
    private volatile Duration delay = Duration.ZERO;

    static {
        // The JDK's HTTP server leaves Nagle's algorithm on by default, and reads this once, at its first use: a body
        // written after the headers then waits ~40 ms for the client's delayed ACK. Measured with the engine
        // harness on virtual time: an hour of 30 s HTTP checks took 5.4 s with it, 0.2 s without. A value set by
        // the test's own build is kept.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private LoopbackHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        handlers = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "aegis-testkit-http-" + port() + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(handlers);
        server.createContext("/", this::answer);
        server.start();
    }

    /**
     * Starts one on 127.0.0.1.
     *
     * @return the server, listening and answering 200 "ok"; close it to stop it
     * @throws UncheckedIOException when it cannot listen on loopback
     */
    public static LoopbackHttpServer start() {
        try {
            return new LoopbackHttpServer();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on loopback", e);
        }
    }

    /** {@return the port it listens on} */
    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * {@return {@code http://127.0.0.1:<port><path>}}
     *
     * @param path the path (and query, if any) on this server, such as {@code /alerts}; a missing leading {@code /}
     *     is added
     */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + (path.startsWith("/") ? path : "/" + path));
    }

    /**
     * From now on every request is answered with {@code status} and {@code body}.
     *
     * <p>A body leaves in a second write after the headers. The server turns Nagle's algorithm off so that it is not
     * held back until the client's delayed ACK (some 40 ms on Linux), unless another JDK HTTP server was started in
     * this JVM before the first of these (the JDK reads its setting once): then give a check whose timeout is under
     * 100 ms an empty body, which leaves with the headers.
     *
     * @param status the HTTP status code, such as {@code 503}
     * @param body the response body, sent as UTF-8; empty for none
     */
    public void respondWith(int status, String body) {
        this.body = body;
        this.statuses = new int[] {status};
    }

    /**
     * From now on the requests are answered with {@code statuses} in turn, starting again with the first after the
     * last (a service that flaps), each with the body last set.
     *
     * @param statuses the HTTP status codes, such as {@code 200, 503}: the next request gets the first
     * @throws IllegalArgumentException when there is none
     */
    public void respondInTurn(int... statuses) {
        if (statuses.length == 0) {
            throw new IllegalArgumentException("respondInTurn needs at least one status");
        }
        turn.set(0);
        this.statuses = statuses.clone();
    }

    /**
     * From now on every answer is sent {@code delay} after its request was read (a slow service); {@link
     * Duration#ZERO} answers at once again.
     *
     * @param delay how long each answer waits
     * @throws IllegalArgumentException when {@code delay} is negative
     */
    public void delayAnswers(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, found " + delay);
        }
        this.delay = delay;
    }

    /**
     * From now on the requests whose path starts with {@code path} are given to {@code handler} instead of the
     * answer set with {@link #respondWith} or {@link #respondInTurn}, as the JDK's
     * {@link HttpServer#createContext(String, HttpHandler)} does: the longest path given that matches a request
     * wins, and {@code /} keeps the server's own answer for every path no handler matches. A request given to a
     * handler is neither recorded in {@link #requests} nor delayed by {@link #delayAnswers}; the handler answers and
     * closes the exchange itself. Handlers run at the same time on threads of their own: one may wait as long as it
     * likes (until {@link #close}, which interrupts it).
     *
     * @param path the path prefix, such as {@code /hook}; as the JDK matches it, {@code /hook} matches
     *     {@code /hook/a} and {@code /hooks} too; a path given before gets the new handler
     * @param handler what answers those requests
     * @throws IllegalArgumentException when {@code path} does not start with {@code /}, or is {@code /} itself
     *     (the server's own answer, set with {@link #respondWith})
     * @throws NullPointerException when {@code path} or {@code handler} is null
     */
    public void handle(String path, HttpHandler handler) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(handler, "handler");
        if (!path.startsWith("/") || path.equals("/")) {
            throw new IllegalArgumentException("a handler's path must start with / and not be / itself (the"
                    + " server's own answer, see respondWith), found \"" + path + "\"");
        }
        synchronized (server) {
            try {
                server.removeContext(path);
            } catch (IllegalArgumentException none) {
                // no handler had this path yet
            }
            server.createContext(path, handler);
        }
    }

    /** {@return the requests received so far, oldest first, but for those given to a {@linkplain #handle handler}} */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /**
     * Waits until {@code count} requests have come; false when {@code timeout} passed first.
     *
     * @param count how many requests, counted since the server started (as {@link #requests} counts them)
     * @param timeout how long to wait at most
     * @return whether {@code count} requests had come within {@code timeout}
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public boolean awaitRequests(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (requests) {
            while (requests.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(requests, left);
            }
            return true;
        }
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            String received = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int[] answers = statuses;
            int code = answers[Math.floorMod(turn.getAndIncrement(), answers.length)];
            byte[] answer = body.getBytes(StandardCharsets.UTF_8);
            synchronized (requests) {
                requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                        Map.copyOf(exchange.getRequestHeaders()), received, code));
                requests.notifyAll();
            }
            Duration wait = delay;
            if (!wait.isZero()) {
                try {
                    Thread.sleep(wait.toMillis(), wait.toNanosPart() % 1_000_000);
                } catch (InterruptedException closing) {
                    Thread.currentThread().interrupt();
                    return; // close() stopped the threads: the answer is not sent
                }
            }
            exchange.sendResponseHeaders(code, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                exchange.getResponseBody().write(answer);
            }
        }
    }

    /** Stops listening and ends its threads. */
    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }
}
