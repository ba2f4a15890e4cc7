package io.aegis.cli;

import io.aegis.testkit.LoopbackPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** Small helpers for talking to the processes under test on 127.0.0.1. */
final class Loopback {
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    private Loopback() {
    }

    /** A port nothing listens on right now, below the kernel's ephemeral range (see {@link LoopbackPorts}). */
    static int freePort() {
        return LoopbackPorts.free();
    }

    /** {@code GET http://127.0.0.1:port/path}; empty if nothing answered. */
    static Optional<HttpResponse<String>> get(int port, String path) {
        return send(HttpRequest.newBuilder(uri(port, path)).GET());
    }

    /** {@code POST http://127.0.0.1:port/path} with an empty body; empty if nothing answered. */
    static Optional<HttpResponse<String>> post(int port, String path) {
        return send(HttpRequest.newBuilder(uri(port, path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** The status of {@code GET path}, or -1 if nothing answered. */
    static int status(int port, String path) {
        return get(port, path).map(HttpResponse::statusCode).orElse(-1);
    }

    /** The body of {@code GET path}, or "" if nothing answered. */
    static String body(int port, String path) {
        return get(port, path).map(HttpResponse::body).orElse("");
    }

    /** True if a TCP connection to the port is refused: nothing listens there any more. */
    static boolean refusesConnections(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static Optional<HttpResponse<String>> send(HttpRequest.Builder request) {
        try {
            return Optional.of(HTTP.send(request.timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
