package io.aegis.core.testing;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A tiny HTTP service run as a real child process by engine tests: {@code GET /health} answers 200 until
 * {@code GET /fail} is called, then 503; after {@code GET /slow} it answers 150 ms late (until the process ends).
 */
public final class DemoServerMain {
    private DemoServerMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        AtomicBoolean failing = new AtomicBoolean();
        AtomicBoolean slow = new AtomicBoolean();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/health", exchange -> {
            if (slow.get()) {
                try {
                    Thread.sleep(150); // the service being slow, as a leaking one gets
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = (failing.get() ? "DOWN" : "UP").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(failing.get() ? 503 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/fail", exchange -> {
            failing.set(true);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.createContext("/slow", exchange -> {
            slow.set(true);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        System.out.println("listening on " + port + " pid " + ProcessHandle.current().pid());
    }
}
