package io.aegis.testkit;

import com.sun.net.httpserver.HttpExchange;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP/1.1 server on loopback (the JDK's), on a free port: a health endpoint to check, or a receiver to
 * deliver alerts to. Every path answers with the status and body last set (200 "ok" at first); every request is
 * recorded. Its threads are named {@code aegis-testkit-http-*}.
 */
public final class LoopbackHttpServer implements AutoCloseable {
    /**
     * One request as the server received it.
     *
     * @param method  the request method
     * @param path    the path and query
     * @param headers the headers, names as sent
     * @param body    the body, as UTF-8
     */
    public record Request(String method, String path, Map<String, List<String>> headers, String body) {
    }

    private final HttpServer server;
    private final ExecutorService handlers;
    private final List<Request> requests = new ArrayList<>();
    private volatile int status = 200;
    private volatile String body = "ok";

    private LoopbackHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        handlers = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "aegis-testkit-http-" + port());
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
     * @param status the HTTP status code, such as {@code 503}
     * @param body the response body, sent as UTF-8; empty for none
     */
    public void respondWith(int status, String body) {
        this.status = status;
        this.body = body;
    }

    /** {@return the requests received so far, oldest first} */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /**
     * Waits until {@code count} requests have come; false when {@code timeout} passed first.
     *
     * @param count how many requests, counted since the server started
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
            synchronized (requests) {
                requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                        Map.copyOf(exchange.getRequestHeaders()), received));
                requests.notifyAll();
            }
            byte[] answer = body.getBytes(StandardCharsets.UTF_8);
            int code = status;
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
