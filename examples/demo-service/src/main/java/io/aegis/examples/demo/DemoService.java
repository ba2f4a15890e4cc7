package io.aegis.examples.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A tiny HTTP service for Aegis to supervise: the quickstart and the CLI's end-to-end tests start it
 * through the {@code process} runtime.
 *
 * <pre>
 * java -jar demo-service.jar --port=18081 [--version=1.4] [--unhealthy]
 *
 * GET  /              200 "hello from demo-service" (+ " version 1.4" with --version)
 * GET  /health        200 {"status":"UP"}, or 503 {"status":"DOWN"} once failed ("version" added with --version)
 * POST /health/fail   makes /health answer 503 from now on (until this process ends)
 * </pre>
 *
 * <p>The failure flag lives in memory only, so a restarted process is healthy again, unless it was
 * started with {@code --unhealthy}: then /health answers 503 from the start, as a bad release would,
 * restart after restart. {@code --version} lets a test tell which release runs (after a rollback).
 * The JDK's default SIGTERM handling runs the shutdown hook, which stops the server at once.
 */
public final class DemoService {

    /** The port it listens on when {@code --port} is not given. */
    static final int DEFAULT_PORT = 18081;

    private final AtomicBoolean failing = new AtomicBoolean();
    private final Options options;
    private final HttpServer server;
    private final ExecutorService executor;

    /**
     * The command line, parsed.
     *
     * @param port the port to listen on (0: any free one)
     * @param version the release to report, or null to report none
     * @param unhealthy whether /health answers 503 from the start
     */
    record Options(int port, String version, boolean unhealthy) {

        /** Parses {@code args}; throws IllegalArgumentException saying what is wrong with them. */
        static Options parse(String... args) {
            int port = DEFAULT_PORT;
            String version = null;
            boolean unhealthy = false;
            for (String arg : args) {
                if (arg.startsWith("--port=")) {
                    port = parsePort(arg.substring("--port=".length()));
                } else if (arg.startsWith("--version=")) {
                    version = arg.substring("--version=".length());
                    if (version.isBlank() || !version.chars().allMatch(c -> c > ' ' && c != '"' && c != '\\' && c < 127)) {
                        throw new IllegalArgumentException("--version: expected printable text without spaces,"
                                + " quotes or backslashes, found '" + version + "'");
                    }
                } else if (arg.equals("--unhealthy")) {
                    unhealthy = true;
                } else {
                    throw new IllegalArgumentException("unknown argument: " + arg);
                }
            }
            return new Options(port, version, unhealthy);
        }
    }

    private DemoService(Options options) throws IOException {
        this.options = options;
        failing.set(options.unhealthy());
        int port = options.port();
        server = HttpServer.create(new InetSocketAddress(port), 50);
        executor = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "demo-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    public static void main(String[] args) throws IOException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("demo-service: " + e.getMessage());
            System.err.println("usage: java -jar demo-service.jar [--port=18081] [--version=<text>] [--unhealthy]");
            System.exit(2);
            return;
        }
        DemoService service = start(options);
        Runtime.getRuntime().addShutdownHook(new Thread(service::stop, "demo-shutdown"));
        PrintStream out = System.out;
        out.println("demo-service" + (options.version() == null ? "" : " version " + options.version())
                + " listening on port " + service.port()
                + (options.unhealthy() ? "; /health answers 503 (--unhealthy)" : ""));
        out.flush();
    }

    /** Starts serving; {@link #stop()} ends it. */
    static DemoService start(Options options) throws IOException {
        DemoService service = new DemoService(options);
        service.server.start();
        return service;
    }

    /** The port it listens on. */
    int port() {
        return server.getAddress().getPort();
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--port: expected a number from 0 to 65535, found '" + value + "'");
    }

    void stop() {
        server.stop(0);
        executor.shutdownNow();
        System.out.println("demo-service stopped");
        System.out.flush();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            switch (path) {
                case "/health" -> {
                    if (!method.equals("GET") && !method.equals("HEAD")) {
                        respond(exchange, 405, "text/plain", "use GET\n");
                    } else if (failing.get()) {
                        respond(exchange, 503, "application/json", health("DOWN"));
                    } else {
                        respond(exchange, 200, "application/json", health("UP"));
                    }
                }
                case "/health/fail" -> {
                    if (!method.equals("POST")) {
                        respond(exchange, 405, "text/plain", "use POST\n");
                    } else {
                        if (!failing.getAndSet(true)) {
                            System.out.println("demo-service: /health now answers 503");
                            System.out.flush();
                        }
                        respond(exchange, 200, "text/plain", "/health now answers 503\n");
                    }
                }
                case "/" -> respond(exchange, 200, "text/plain", "hello from demo-service"
                        + (options.version() == null ? "" : " version " + options.version()) + "\n");
                default -> respond(exchange, 404, "text/plain", "not found\n");
            }
        }
    }

    /** The /health body; the version only when one was given, so the plain body stays as it always was. */
    private String health(String status) {
        return options.version() == null ? "{\"status\":\"" + status + "\"}"
                : "{\"status\":\"" + status + "\",\"version\":\"" + options.version() + "\"}";
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
