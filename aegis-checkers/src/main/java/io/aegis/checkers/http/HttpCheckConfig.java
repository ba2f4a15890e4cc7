package io.aegis.checkers.http;

import io.aegis.api.CheckerSpec;
import io.aegis.api.Settings;
import io.aegis.checkers.internal.ConfigProblems;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The validated settings of one HTTP check, with the request built once because it is immutable. */
final class HttpCheckConfig {
    static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private final HttpRequest request;
    private final StatusCodes expectedStatus;
    private final Pattern expectedBody;

    private HttpCheckConfig(HttpRequest request, StatusCodes expectedStatus, Pattern expectedBody) {
        this.request = request;
        this.expectedStatus = expectedStatus;
        this.expectedBody = expectedBody;
    }

    /**
     * Validates {@code spec} and builds the request.
     *
     * @throws io.aegis.api.ConfigException naming every invalid key
     */
    static HttpCheckConfig from(CheckerSpec spec) {
        Settings settings = spec.settings();
        ConfigProblems problems = new ConfigProblems();

        URI uri = endpoint(spec.endpoint(), settings.keyPath("endpoint"), problems);
        String configuredMethod = problems.read(() -> settings.string("method", "GET")).orElse("GET");
        // a lower-case method is an obvious intent, not a mistake worth stopping for
        String method = configuredMethod.trim().toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            problems.add(settings.keyPath("method"), "expected one of " + String.join(", ", METHODS) + ", found \""
                    + configuredMethod + "\"");
        }
        Map<String, String> headers = problems.read(() -> settings.stringMap("headers")).orElse(Map.of());
        Optional<String> body = problems.read(() -> settings.string("body").orElse(null));

        Settings expect = problems.read(() -> settings.section("expect").orElse(null))
                .orElse(Settings.empty(settings.keyPath("expect")));
        StatusCodes expectedStatus = StatusCodes.read(expect, "status", problems);
        Pattern expectedBody = problems.regex(expect, "body").orElse(null);
        if (expectedBody != null && method.equals("HEAD")) {
            problems.add(expect.keyPath("body"), "expected no body pattern with method HEAD, whose answer has no"
                    + " body; use GET or remove expect.body");
        }

        HttpRequest request = null;
        if (uri != null) {
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                    .timeout(positive(spec.timeout()))
                    .method(method, body.map(HttpRequest.BodyPublishers::ofString)
                            .orElseGet(HttpRequest.BodyPublishers::noBody));
            headers.forEach((name, value) -> header(builder, name, value, settings.keyPath("headers") + "." + name,
                    problems));
            request = builder.build();
        }
        problems.throwIfAny();
        return new HttpCheckConfig(request, expectedStatus, expectedBody);
    }

    private static URI endpoint(String endpoint, String keyPath, ConfigProblems problems) {
        String expected = "expected an http:// or https:// URL";
        URI uri;
        try {
            uri = new URI(endpoint.trim());
        } catch (URISyntaxException e) {
            problems.add(keyPath, expected + ", found \"" + endpoint + "\" (" + e.getReason() + ")");
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.isOpaque()) {
            problems.add(keyPath, expected + ", found \"" + endpoint + "\"");
            return null;
        }
        if (uri.getHost() == null) {
            // java.net.URI rejects host names with underscores, and so does the HTTP client
            problems.add(keyPath, expected + " with a valid host name, found \"" + endpoint + "\"");
            return null;
        }
        return uri;
    }

    private static void header(HttpRequest.Builder builder, String name, String value, String keyPath,
            ConfigProblems problems) {
        try {
            builder.header(name, value);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            if (message.startsWith("restricted header name")) {
                problems.add(keyPath, "the HTTP client sets the header \"" + name + "\" itself; remove it"
                        + " (the JVM option -Djdk.httpclient.allowRestrictedHeaders="
                        + name.toLowerCase(Locale.ROOT) + " allows it)");
            } else {
                problems.add(keyPath, "expected a valid HTTP header name and value, found \"" + name + ": " + value
                        + "\" (" + message + ")");
            }
        }
    }

    /** A timeout the HTTP client accepts: it rejects zero and negative ones. */
    static Duration positive(Duration timeout) {
        return timeout.isNegative() || timeout.isZero() ? Duration.ofMillis(1) : timeout;
    }

    /** The request, with the spec's timeout. */
    HttpRequest request() {
        return request;
    }

    /** The request with another timeout; only built when an attempt's timeout differs from the spec's. */
    HttpRequest request(Duration timeout) {
        if (request.timeout().orElseThrow().equals(timeout)) {
            return request;
        }
        return HttpRequest.newBuilder(request, (name, value) -> true).timeout(timeout).build();
    }

    StatusCodes expectedStatus() {
        return expectedStatus;
    }

    /** The pattern the body must contain, or null when the body is not looked at. */
    Pattern expectedBody() {
        return expectedBody;
    }
}
