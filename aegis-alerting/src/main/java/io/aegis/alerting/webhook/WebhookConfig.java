package io.aegis.alerting.webhook;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
import io.aegis.api.Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** The validated settings of one webhook notifier. */
final class WebhookConfig {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final String JSON = "application/json";

    private final URI endpoint;
    private final Map<String, String> headers;
    private final Duration timeout;

    private WebhookConfig(URI endpoint, Map<String, String> headers, Duration timeout) {
        this.endpoint = endpoint;
        this.headers = headers;
        this.timeout = timeout;
    }

    /**
     * Validates the {@code notifications.<name>} block.
     *
     * @throws ConfigException naming every invalid key
     */
    static WebhookConfig from(Settings settings) {
        List<ConfigProblem> problems = new ArrayList<>();
        // read so that it is not reported as unknown; the engine skips disabled notifiers before this
        read(problems, () -> settings.bool("enabled", true), true);

        URI endpoint = read(problems, () -> endpoint(settings), null);
        Map<String, String> configured = read(problems, () -> settings.stringMap("headers"), Map.of());
        Duration timeout = read(problems, () -> settings.duration("timeout", DEFAULT_TIMEOUT), DEFAULT_TIMEOUT);
        if (timeout.isNegative() || timeout.isZero()) {
            problems.add(new ConfigProblem(settings.keyPath("timeout"),
                    "expected a positive duration like 10s, found " + Durations.format(timeout)));
        }

        Map<String, String> headers = new LinkedHashMap<>();
        if (configured.keySet().stream().noneMatch(name -> name.equalsIgnoreCase("Content-Type"))) {
            headers.put("Content-Type", JSON);
        }
        configured.forEach((name, value) -> {
            String keyPath = settings.keyPath("headers") + "." + name;
            String problem = headerProblem(name, value);
            if (problem == null) {
                headers.put(name, value);
            } else {
                problems.add(new ConfigProblem(keyPath, problem));
            }
        });
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new WebhookConfig(endpoint, Collections.unmodifiableMap(headers), timeout);
    }

    private static URI endpoint(Settings settings) {
        String expected = "an http:// or https:// URL";
        String text = settings.requireString("endpoint", expected);
        String keyPath = settings.keyPath("endpoint");
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new ConfigException(keyPath, "expected " + expected + ", found \"" + text + "\" (" + e.getReason()
                    + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.isOpaque()) {
            throw new ConfigException(keyPath, "expected " + expected + ", found \"" + text + "\"");
        }
        if (uri.getHost() == null) {
            // java.net.URI rejects host names with underscores, and so does the HTTP client
            throw new ConfigException(keyPath, "expected " + expected + " with a valid host name, found \"" + text
                    + "\"");
        }
        return uri;
    }

    /** What is wrong with a header, as the rest of a sentence; null when the HTTP client accepts it. */
    private static String headerProblem(String name, String value) {
        try {
            HttpRequest.newBuilder().header(name, value);
            return null;
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            if (message.startsWith("restricted header name")) {
                return "the HTTP client sets the header \"" + name + "\" itself; remove it";
            }
            return "expected a valid HTTP header name and value, found \"" + name + ": " + value + "\" (" + message
                    + ")";
        }
    }

    private static <T> T read(List<ConfigProblem> problems, Supplier<T> reader, T fallback) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            return fallback;
        }
    }

    /** The request that delivers {@code json}. */
    HttpRequest request(String json) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint)
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        headers.forEach(builder::header);
        return builder.build();
    }

    URI endpoint() {
        return endpoint;
    }

    /** The headers sent with every request, Content-Type included. */
    Map<String, String> headers() {
        return headers;
    }

    Duration timeout() {
        return timeout;
    }
}
