package io.aegis.core.testing;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A tiny HTTP service that needs another one, run as a real child process by engine tests: {@code GET /health}
 * answers 200 while the {@link DemoServerMain} on the upstream port answers its own {@code /health} with 200 (as
 * an API that checks its database), 503 otherwise, and 503 for good once {@code GET /fail} was called.
 * Arguments: its port, the upstream port.
 */
public final class DependentServerMain {
    private DependentServerMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        URI upstream = URI.create("http://127.0.0.1:" + Integer.parseInt(args[1]) + "/health");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        AtomicBoolean failing = new AtomicBoolean();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/health", exchange -> {
            boolean up = !failing.get();
            if (up) {
                try {
                    up = client.send(HttpRequest.newBuilder(upstream).timeout(Duration.ofMillis(500)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (Exception e) {
                    up = false;
                }
            }
            byte[] body = (up ? "UP" : "DOWN").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(up ? 200 : 503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/fail", exchange -> {
            failing.set(true);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        System.out.println("listening on " + port + " pid " + ProcessHandle.current().pid());
    }
}
