package io.aegis.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A webhook endpoint on 127.0.0.1 for the end-to-end tests: {@code POST /hook} answers 200 and keeps the body, in
 * the order received. Configure aegis with {@code endpoint: http://127.0.0.1:<port()>/hook}.
 */
final class WebhookReceiver implements AutoCloseable {
    private final HttpServer server;
    private final List<String> payloads = new CopyOnWriteArrayList<>();

    private WebhookReceiver(HttpServer server) {
        this.server = server;
    }

    static WebhookReceiver start() {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        WebhookReceiver receiver = new WebhookReceiver(server);
        server.createContext("/hook", exchange -> {
            receiver.payloads.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        return receiver;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The bodies received so far (a live, thread-safe view). */
    List<String> payloads() {
        return payloads;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
