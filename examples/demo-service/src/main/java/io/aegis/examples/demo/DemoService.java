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
 * java -jar demo-service.jar --port=18081
 *
 * GET  /              200 "hello from demo-service"
 * GET  /health        200 {"status":"UP"}, or 503 {"status":"DOWN"} once failed
 * POST /health/fail   makes /health answer 503 from now on (until this process ends)
 * </pre>
 *
 * <p>The failure flag lives in memory only, so a restarted process is healthy again. The JDK's
 * default SIGTERM handling runs the shutdown hook, which stops the server at once.
 */
public final class DemoService {

    private final AtomicBoolean failing = new AtomicBoolean();
    private final HttpServer server;
    private final ExecutorService executor;

    private DemoService(int port) throws IOException {
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
        int port = 18081;
        for (String arg : args) {
            if (arg.startsWith("--port=")) {
                port = parsePort(arg.substring("--port=".length()));
            } else {
                usage("unknown argument: " + arg);
            }
        }
        DemoService service = new DemoService(port);
        service.server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(service::stop, "demo-shutdown"));
        PrintStream out = System.out;
        out.println("demo-service listening on port " + service.server.getAddress().getPort());
        out.flush();
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
        usage("--port: expected a number from 0 to 65535, found '" + value + "'");
        return -1;
    }

    private static void usage(String problem) {
        System.err.println("demo-service: " + problem);
        System.err.println("usage: java -jar demo-service.jar [--port=18081]");
        System.exit(2);
    }

    private void stop() {
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
                        respond(exchange, 503, "application/json", "{\"status\":\"DOWN\"}");
                    } else {
                        respond(exchange, 200, "application/json", "{\"status\":\"UP\"}");
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
                case "/" -> respond(exchange, 200, "text/plain", "hello from demo-service\n");
                default -> respond(exchange, 404, "text/plain", "not found\n");
            }
        }
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
