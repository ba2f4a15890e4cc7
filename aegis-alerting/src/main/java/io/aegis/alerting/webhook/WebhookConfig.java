package io.aegis.alerting.webhook;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
import io.aegis.api.HeaderValues;
import io.aegis.api.Settings;
import io.aegis.api.UrlCredentials;
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
    private final String shownEndpoint;
    private final Map<String, String> headers;
    private final Duration timeout;

    private WebhookConfig(URI endpoint, Map<String, String> headers, Duration timeout) {
        this.endpoint = endpoint;
        this.shownEndpoint = endpoint == null ? "" : UrlCredentials.mask(endpoint);
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
        // user info in the URL stands for an Authorization header, which the HTTP client would not send
        if (endpoint != null && endpoint.getRawUserInfo() != null) {
            if (configured.keySet().stream().anyMatch("Authorization"::equalsIgnoreCase)) {
                problems.add(new ConfigProblem(settings.keyPath("endpoint"), "the URL has credentials ("
                        + UrlCredentials.mask(endpoint) + "), which are sent as an Authorization: Basic header, and"
                        + " headers sets Authorization too; keep only one of them"));
            } else {
                headers.put("Authorization", UrlCredentials.basicAuthorization(endpoint).orElseThrow());
            }
            endpoint = UrlCredentials.withoutUserInfo(endpoint);
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
        String shown = UrlCredentials.mask(text); // a message must not carry the URL's credentials
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new ConfigException(keyPath, "expected " + expected + ", found \"" + shown + "\" (" + e.getReason()
                    + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.isOpaque()) {
            throw new ConfigException(keyPath, "expected " + expected + ", found \"" + shown + "\"");
        }
        if (uri.getHost() == null) {
            // java.net.URI rejects host names with underscores, and so does the HTTP client
            throw new ConfigException(keyPath, "expected " + expected + " with a valid host name, found \"" + shown
                    + "\"");
        }
        return uri;
    }

    /** What is wrong with a header, as the rest of a sentence; null when the HTTP client accepts it. */
    private static String headerProblem(String name, String value) {
        String control = HeaderValues.controlCharacterProblem(value);
        if (control != null) {
            return control;
        }
        try {
            HttpRequest.newBuilder().header(name, value);
            return null;
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            if (message.startsWith("restricted header name")) {
                return "the HTTP client sets the header \"" + name + "\" itself; remove it";
            }
            // the value is never quoted: it is often a secret (Authorization: Bearer ${TOKEN})
            return message.startsWith("invalid header name")
                    ? "expected a header name (letters, digits and -), found \"" + name + "\""
                    : HeaderValues.INVALID;
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

    /** The endpoint as messages show it: credentials in its query masked. */
    String shownEndpoint() {
        return shownEndpoint;
    }

    /** The headers sent with every request, Content-Type included. */
    Map<String, String> headers() {
        return headers;
    }

    Duration timeout() {
        return timeout;
    }
}
