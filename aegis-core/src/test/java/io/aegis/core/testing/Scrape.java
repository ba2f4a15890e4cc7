package io.aegis.core.testing;

import io.aegis.core.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** What an engine's {@code /metrics} endpoint serves now, as Prometheus would scrape it over loopback. */
public final class Scrape {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private Scrape() {
    }

    /** The exposition text of {@code engine}, which was built with metrics on. */
    public static String metricsOf(Engine engine) {
        return metricsAt(engine.metricsPort().orElseThrow(() -> new IllegalStateException("metrics are off")));
    }

    /** The exposition text served on {@code port} of 127.0.0.1. */
    public static String metricsAt(int port) {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while scraping port " + port, e);
        }
    }
}
