package io.aegis.core.internal.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** One scrape of a {@link MetricsServer} in the Prometheus text format, as Prometheus itself would do it. */
final class Scrape {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String text;
    private final Map<String, Double> samples = new LinkedHashMap<>();

    private Scrape(String text) {
        this.text = text;
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            // Our label values contain no spaces, so the value is what follows the last space.
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
    }

    static Scrape of(MetricsServer server) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("scrape answered HTTP " + response.statusCode() + ": " + response.body());
        }
        return new Scrape(response.body());
    }

    /** The whole exposition. */
    String text() {
        return text;
    }

    /** The sample lines ({@code name{labels} value}), without comments. */
    List<String> sampleLines() {
        return text.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toList());
    }

    /** Sample values keyed by {@code name{labels}} as they appear in the exposition. */
    Map<String, Double> samples() {
        return samples;
    }

    /** The sample lines of the series whose names start with {@code prefix}. */
    List<String> linesStartingWith(String prefix) {
        return sampleLines().stream().filter(l -> l.startsWith(prefix)).collect(Collectors.toList());
    }
}
