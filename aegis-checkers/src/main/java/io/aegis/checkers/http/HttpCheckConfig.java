package io.aegis.checkers.http;

import io.aegis.api.CheckerSpec;
import io.aegis.api.Durations;
import io.aegis.api.HeaderValues;
import io.aegis.api.Settings;
import io.aegis.api.UrlCredentials;
import io.aegis.plugin.support.ConfigProblems;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The validated settings of one HTTP check, with the request built once because it is immutable. */
final class HttpCheckConfig {
    static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private static final Pattern ANY_VALUE = Pattern.compile("");

    // A header name is an RFC 9110 token; anything else can never be in an answer.
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private final HttpRequest request;
    private final String requestBody;
    private final String shownUri;
    private final StatusCodes expectedStatus;
    private final Pattern expectedBody;
    private final List<String> bodyNotContains;
    private final JsonConditions json;
    private final Duration maxResponseTime;
    private final Map<String, Pattern> requiredHeaders;
    private final TlsSettings tls;
    private final boolean http2;
    private final List<String> httpVersions;

    private HttpCheckConfig(Builder built) {
        this.request = built.request;
        this.requestBody = built.requestBody;
        this.shownUri = built.request == null ? "" : UrlCredentials.mask(built.request.uri());
        this.expectedStatus = built.expectedStatus;
        this.expectedBody = built.expectedBody;
        this.bodyNotContains = built.bodyNotContains;
        this.json = built.json;
        this.maxResponseTime = built.maxResponseTime;
        this.requiredHeaders = built.requiredHeaders;
        this.tls = built.tls;
        this.http2 = built.http2;
        this.httpVersions = built.httpVersions;
    }

    /** The validated parts, gathered while reading so the constructor does not take eight arguments. */
    private static final class Builder {
        HttpRequest request;
        String requestBody;
        StatusCodes expectedStatus;
        Pattern expectedBody;
        List<String> bodyNotContains;
        JsonConditions json;
        Duration maxResponseTime;
        Map<String, Pattern> requiredHeaders;
        TlsSettings tls;
        boolean http2 = true;
        List<String> httpVersions = List.of();
    }

    /**
     * Validates {@code spec} and builds the request.
     *
     * @throws io.aegis.api.ConfigException naming every invalid key
     */
    static HttpCheckConfig from(CheckerSpec spec) {
        Settings settings = spec.settings();
        ConfigProblems problems = new ConfigProblems();
        Builder built = new Builder();

        URI uri = endpoint(spec.endpoint(), settings.keyPath("endpoint"), problems);
        String configuredMethod = problems.read(() -> settings.string("method", "GET")).orElse("GET");
        // a lower-case method is an obvious intent, not a mistake worth stopping for
        String method = configuredMethod.trim().toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            problems.add(settings.keyPath("method"), "expected one of " + String.join(", ", METHODS) + ", found \""
                    + configuredMethod + "\"");
        }
        Map<String, String> headers = problems.read(() -> settings.stringMap("headers")).orElse(Map.of());
        Optional<String> basicAuthorization = uri == null ? Optional.empty() : basicAuthorization(uri, headers,
                settings, problems);
        Optional<String> body = problems.read(() -> settings.string("body").orElse(null));

        Settings expect = problems.read(() -> settings.section("expect").orElse(null))
                .orElse(Settings.empty(settings.keyPath("expect")));
        built.expectedStatus = StatusCodes.read(expect, "status", problems);
        built.expectedBody = problems.regex(expect, "body").orElse(null);
        if (built.expectedBody != null && method.equals("HEAD")) {
            problems.add(expect.keyPath("body"), "expected no body pattern with method HEAD, whose answer has no"
                    + " body; use GET or remove expect.body");
        }
        built.bodyNotContains = bodyNotContains(expect, "bodyNotContains", problems);
        // only a config with expect.json loads JsonConditions, and with it jackson-databind (start-up time)
        built.json = expect.raw("json").isPresent() ? JsonConditions.read(expect, "json", problems) : null;
        if (method.equals("HEAD")) {
            for (String key : List.of("bodyNotContains", "json")) {
                if (expect.has(key)) {
                    problems.add(expect.keyPath(key), "expected no body condition with method HEAD, whose answer"
                            + " has no body; use GET or remove expect." + key);
                }
            }
        }
        built.maxResponseTime = maxResponseTime(expect, "maxResponseTime", spec.timeout(), problems);
        built.requiredHeaders = requiredHeaders(expect, "headers", problems);
        built.tls = TlsSettings.read(settings, problems);
        built.http2 = problems.read(() -> settings.bool("http2", true)).orElse(true);
        built.httpVersions = httpVersions(expect, "httpVersion", problems);
        if (built.httpVersions.equals(List.of("2")) && uri != null
                && (!uri.getScheme().equalsIgnoreCase("https") || !built.http2)) {
            // the check could never pass: aegis speaks HTTP/2 only over https with http2 on (no h2c)
            problems.add(expect.keyPath("httpVersion"), "expected a version this service can be checked over:"
                    + (built.http2 ? " aegis speaks HTTP/2 only with https:// endpoints (no h2c)"
                    : " http2 is false, so only HTTP/1.1 is offered") + "; add \"1.1\" or remove expect.httpVersion");
        }

        if (uri != null) {
            // No HttpRequest timeout: the checker's own deadline covers headers and body and cancels the
            // exchange; a second timer per request in the client's selector only cost CPU (JFR, 10k services).
            // the client ignores user info in the URL: it becomes the Authorization header it stands for
            HttpRequest.Builder builder = HttpRequest.newBuilder(UrlCredentials.withoutUserInfo(uri))
                    .method(method, body.map(HttpRequest.BodyPublishers::ofString)
                            .orElseGet(HttpRequest.BodyPublishers::noBody));
            headers.forEach((name, value) -> header(builder, name, value, settings.keyPath("headers") + "." + name,
                    problems));
            basicAuthorization.ifPresent(value -> builder.header("Authorization", value));
            built.request = builder.build();
            built.requestBody = body.orElse(null);
        }
        problems.throwIfAny();
        return new HttpCheckConfig(built);
    }

    /**
     * The HTTP versions an answer may come over ({@code "1.1"}, {@code "2"}): one value or a list; empty
     * means any. {@code HTTP/2}, {@code 2.0} and {@code HTTP/1.1} are read as the same versions.
     */
    private static List<String> httpVersions(Settings expect, String key, ConfigProblems problems) {
        if (!expect.has(key)) {
            return List.of();
        }
        boolean isList = expect.raw(key).orElseThrow() instanceof List;
        List<String> values = problems.read(() -> expect.stringList(key)).orElse(null);
        if (values == null) {
            return List.of();
        }
        if (values.isEmpty()) {
            problems.add(expect.keyPath(key), "expected \"1.1\", \"2\" or a list of them, found an empty list");
            return List.of();
        }
        List<String> versions = new java.util.ArrayList<>(2);
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i).trim();
            String version = value.toUpperCase(Locale.ROOT).startsWith("HTTP/") ? value.substring(5) : value;
            version = version.equals("2.0") ? "2" : version;
            if (!version.equals("1.1") && !version.equals("2")) {
                problems.add(expect.keyPath(isList ? key + "[" + i + "]" : key), "expected \"1.1\" or \"2\""
                        + " (HTTP/1.0 is spoken by no client of aegis), found \"" + values.get(i) + "\"");
            } else if (!versions.contains(version)) {
                versions.add(version);
            }
        }
        return List.copyOf(versions);
    }

    /** Texts that must not be in the body: one string or a list of them. */
    private static List<String> bodyNotContains(Settings expect, String key, ConfigProblems problems) {
        if (!expect.has(key)) {
            return List.of();
        }
        boolean isList = expect.raw(key).orElseThrow() instanceof List;
        List<String> texts = problems.read(() -> expect.stringList(key)).orElse(null);
        if (texts == null) {
            return List.of();
        }
        if (texts.isEmpty()) {
            problems.add(expect.keyPath(key), "expected at least one text, found an empty list");
        }
        for (int i = 0; i < texts.size(); i++) {
            // an empty text is in every body, so the check could never pass
            if (texts.get(i).isEmpty()) {
                problems.add(expect.keyPath(isList ? key + "[" + i + "]" : key),
                        "expected a text that must not appear in the body, found an empty value");
            }
        }
        return texts;
    }

    /** The answer time above which a check is DEGRADED; null when there is no limit. */
    private static Duration maxResponseTime(Settings expect, String key, Duration timeout, ConfigProblems problems) {
        Duration limit = problems.read(() -> expect.duration(key).orElse(null)).orElse(null);
        if (limit == null) {
            return null;
        }
        String found = ", found \"" + expect.string(key).orElse("") + "\"";
        if (limit.isZero()) {
            problems.add(expect.keyPath(key), "expected a duration above zero like 500ms" + found);
            return null;
        }
        if (limit.compareTo(timeout) >= 0) {
            // the check times out (UNHEALTHY) before it could ever be slow (DEGRADED)
            problems.add(expect.keyPath(key), "expected a limit below the check timeout ("
                    + Durations.format(timeout) + "), which ends a slower answer first" + found);
            return null;
        }
        return limit;
    }

    /** Response header name to the pattern one of its values must contain; empty pattern = only present. */
    private static Map<String, Pattern> requiredHeaders(Settings expect, String key, ConfigProblems problems) {
        Settings headers = problems.read(() -> expect.section(key).orElse(null)).orElse(null);
        if (headers == null) {
            return Map.of();
        }
        Map<String, Pattern> patterns = new LinkedHashMap<>();
        for (String name : headers.keys()) {
            if (!HEADER_NAME.matcher(name).matches()) {
                problems.add(headers.keyPath(name), "expected a header name (letters, digits and -), found \""
                        + name + "\"");
            }
            // "X-Version:" with no value (null in YAML) asks only that the header is there
            Pattern pattern = headers.has(name) ? problems.regex(headers, name).orElse(null) : ANY_VALUE;
            if (pattern != null) {
                patterns.put(name, pattern);
            }
        }
        return Collections.unmodifiableMap(patterns);
    }

    private static URI endpoint(String endpoint, String keyPath, ConfigProblems problems) {
        String expected = "expected an http:// or https:// URL";
        String shown = UrlCredentials.mask(endpoint); // a message must not carry the URL's credentials
        URI uri;
        try {
            uri = new URI(endpoint.trim());
        } catch (URISyntaxException e) {
            problems.add(keyPath, expected + ", found \"" + shown + "\" (" + e.getReason() + ")");
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.isOpaque()) {
            problems.add(keyPath, expected + ", found \"" + shown + "\"");
            return null;
        }
        if (uri.getHost() == null) {
            // java.net.URI rejects host names with underscores, and so does the HTTP client
            problems.add(keyPath, expected + " with a valid host name, found \"" + shown + "\"");
            return null;
        }
        return uri;
    }

    /**
     * The Authorization header that the URL's user info ({@code https://user:pass@host/}) stands for, as curl
     * sends it; a problem when {@code headers} sets Authorization too, as the two cannot both be meant.
     */
    private static Optional<String> basicAuthorization(URI uri, Map<String, String> headers, Settings settings,
            ConfigProblems problems) {
        Optional<String> authorization = UrlCredentials.basicAuthorization(uri);
        if (authorization.isPresent() && headers.keySet().stream().anyMatch("Authorization"::equalsIgnoreCase)) {
            problems.add(settings.keyPath("endpoint"), "the URL has credentials (" + UrlCredentials.mask(uri)
                    + "), which are sent as an Authorization: Basic header, and headers sets Authorization too;"
                    + " keep only one of them");
            return Optional.empty();
        }
        return authorization;
    }

    private static void header(HttpRequest.Builder builder, String name, String value, String keyPath,
            ConfigProblems problems) {
        String control = HeaderValues.controlCharacterProblem(value);
        if (control != null) {
            problems.add(keyPath, control);
            return;
        }
        try {
            builder.header(name, value);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            if (message.startsWith("restricted header name")) {
                problems.add(keyPath, "the HTTP client sets the header \"" + name + "\" itself; remove it"
                        + " (the JVM option -Djdk.httpclient.allowRestrictedHeaders="
                        + name.toLowerCase(Locale.ROOT) + " allows it)");
            } else {
                // the value is never quoted: it is often a secret (Authorization: Bearer ${TOKEN})
                problems.add(keyPath, message.startsWith("invalid header name")
                        ? "expected a header name (letters, digits and -), found \"" + name + "\""
                        : HeaderValues.INVALID);
            }
        }
    }

    /** A timeout the HTTP client accepts: it rejects zero and negative ones. */
    static Duration positive(Duration timeout) {
        return timeout.isNegative() || timeout.isZero() ? Duration.ofMillis(1) : timeout;
    }

    /** The request, built once and sent by every check; timeouts are the checker's deadline. */
    HttpRequest request() {
        return request;
    }

    /** The request body as configured (sent as UTF-8), or null when there is none. */
    String requestBody() {
        return requestBody;
    }

    /** The request's URL as messages show it: credentials in its query masked. */
    String shownUri() {
        return shownUri;
    }

    StatusCodes expectedStatus() {
        return expectedStatus;
    }

    /** The pattern the body must contain, or null when the body is not looked at. */
    Pattern expectedBody() {
        return expectedBody;
    }

    /** Texts the body must not contain; empty when there are none. */
    List<String> bodyNotContains() {
        return bodyNotContains;
    }

    /** The JSON pointer conditions, or null when there are none. */
    JsonConditions json() {
        return json;
    }

    /** Whether any condition looks at the body, so it is worth keeping. */
    boolean readsBody() {
        return expectedBody != null || !bodyNotContains.isEmpty() || json != null;
    }

    /** The answer time above which the check is DEGRADED, or null. */
    Duration maxResponseTime() {
        return maxResponseTime;
    }

    /** Response headers that must be present, each with a pattern one of its values must contain. */
    Map<String, Pattern> requiredHeaders() {
        return requiredHeaders;
    }

    /** Whether an https:// request offers HTTP/2 ({@code h2} through ALPN) as well as HTTP/1.1. */
    boolean http2() {
        return http2;
    }

    /** The HTTP versions an answer may come over ({@code "1.1"}, {@code "2"}); empty means any. */
    List<String> httpVersions() {
        return httpVersions;
    }

    /** The TLS settings; {@link TlsSettings#DEFAULT} without a {@code tls:} block. */
    TlsSettings tls() {
        return tls;
    }
}
