package io.aegis.alerting.webhook;

import io.aegis.alerting.internal.HttpSettings;
import io.aegis.alerting.internal.Signatures;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
import io.aegis.api.Settings;
import io.aegis.api.UrlCredentials;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The validated settings of one webhook notifier. */
final class WebhookConfig {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final String JSON = "application/json";

    /** The header that carries the body's HMAC-SHA256 signature when {@code signingSecret} is set. */
    static final String SIGNATURE_HEADER = "X-Aegis-Signature-256";

    /** What a request's body looks like. */
    enum Format {
        /** Alertmanager's webhook payload (version 4): one request per notification. */
        ALERTMANAGER,
        /** aegis' own flat JSON object: one request per alert. */
        AEGIS
    }

    private final URI endpoint;
    private final String shownEndpoint;
    private final Map<String, String> headers;
    private final Duration timeout;
    private final Format format;
    private final String signingSecret;

    private WebhookConfig(URI endpoint, Map<String, String> headers, Duration timeout, Format format,
            String signingSecret) {
        this.endpoint = endpoint;
        this.shownEndpoint = endpoint == null ? "" : UrlCredentials.mask(endpoint);
        this.headers = headers;
        this.timeout = timeout;
        this.format = format;
        this.signingSecret = signingSecret;
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

        Format format = read(problems, () -> format(settings), Format.ALERTMANAGER);
        String signingSecret = read(problems, () -> signingSecret(settings), null);

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
            String problem = HttpSettings.headerProblem(name, value);
            if (problem == null) {
                headers.put(name, value);
            } else {
                problems.add(new ConfigProblem(keyPath, problem));
            }
        });
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new WebhookConfig(endpoint, Collections.unmodifiableMap(headers), timeout, format, signingSecret);
    }

    private static Format format(Settings settings) {
        String text = settings.string("format", "alertmanager").trim();
        switch (text.toLowerCase(Locale.ROOT)) {
            case "alertmanager":
                return Format.ALERTMANAGER;
            case "aegis":
                return Format.AEGIS;
            default:
                throw new ConfigException(settings.keyPath("format"), "expected alertmanager (Alertmanager's"
                        + " webhook payload, one request per notification; the default) or aegis (one flat JSON"
                        + " object per alert), found \"" + text + "\"");
        }
    }

    private static String signingSecret(Settings settings) {
        Optional<String> secret = settings.string("signingSecret");
        if (secret.isPresent() && secret.get().isEmpty()) {
            // the value itself is never quoted in a message
            throw new ConfigException(settings.keyPath("signingSecret"), "the signing secret is empty; set it to"
                    + " a long random string the receiver knows (for example \"${WEBHOOK_SIGNING_SECRET}\"), or"
                    + " remove the key to send unsigned requests");
        }
        return secret.orElse(null);
    }

    private static URI endpoint(Settings settings) {
        return HttpSettings.httpUrl(settings.requireString("endpoint", "an http:// or https:// URL"),
                settings.keyPath("endpoint"));
    }

    private static <T> T read(List<ConfigProblem> problems, Supplier<T> reader, T fallback) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            return fallback;
        }
    }

    /** The request that delivers {@code json}, signed when a signing secret is set. */
    HttpRequest request(String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint)
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(builder::header);
        if (signingSecret != null) {
            builder.header(SIGNATURE_HEADER, Signatures.sha256(signingSecret, body));
        }
        return builder.build();
    }

    /** What must never appear in a message: every header value but Content-Type's, and the signing secret. */
    List<String> secrets() {
        List<String> secrets = new ArrayList<>();
        headers.forEach((name, value) -> {
            if (!name.equalsIgnoreCase("Content-Type")) {
                secrets.add(value);
                // a Bearer or Basic credential may come back without its scheme
                int space = value.indexOf(' ');
                if (space > 0 && space < value.length() - 1) {
                    secrets.add(value.substring(space + 1).trim());
                }
            }
        });
        if (signingSecret != null) {
            secrets.add(signingSecret);
        }
        return List.copyOf(secrets);
    }

    Format format() {
        return format;
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
