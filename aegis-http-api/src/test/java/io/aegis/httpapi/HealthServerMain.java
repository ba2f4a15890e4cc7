package io.aegis.httpapi;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A tiny service run as a real child process under the process runtime by the status page's tests:
 * {@code GET /health} answers 200 "UP" on port {@code args[0]}, {@code args[2]} ms plus a random 0 to {@code args[1]} ms
 * late (so a sparkline has a shape; both optional).
 */
public final class HealthServerMain {
    private HealthServerMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int jitterMs = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        int delayMs = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/health", exchange -> {
            if (jitterMs > 0 || delayMs > 0) {
                try {
                    Thread.sleep(delayMs + ThreadLocalRandom.current().nextInt(jitterMs + 1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = "UP".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }
}
