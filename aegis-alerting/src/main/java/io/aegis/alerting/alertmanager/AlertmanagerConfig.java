package io.aegis.alerting.alertmanager;

import io.aegis.alerting.internal.HttpSettings;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
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
import java.util.Map;
import java.util.function.Supplier;

/** The validated settings of one alertmanager notifier. */
final class AlertmanagerConfig {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_RESEND_INTERVAL = Duration.ofMinutes(1);
    static final String ALERTS_PATH = "/api/v2/alerts";

    /** One Alertmanager: where its API is, how messages show it, and its headers (Basic auth from its URL). */
    record Target(URI alertsUrl, String shown, Map<String, String> headers) {
        HttpRequest request(String json, Duration timeout) {
            HttpRequest.Builder builder = HttpRequest.newBuilder(alertsUrl)
                    .timeout(timeout)
                    .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
            headers.forEach(builder::header);
            return builder.build();
        }

        /** Header values but Content-Type's: never in a message. */
        List<String> secrets() {
            List<String> secrets = new ArrayList<>();
            headers.forEach((name, value) -> {
                if (!name.equalsIgnoreCase("Content-Type")) {
                    secrets.add(value);
                    int space = value.indexOf(' ');
                    if (space > 0 && space < value.length() - 1) {
                        secrets.add(value.substring(space + 1).trim());
                    }
                }
            });
            return List.copyOf(secrets);
        }
    }

    private final List<Target> targets;
    private final Duration timeout;
    private final Duration resendInterval;

    private AlertmanagerConfig(List<Target> targets, Duration timeout, Duration resendInterval) {
        this.targets = targets;
        this.timeout = timeout;
        this.resendInterval = resendInterval;
    }

    /**
     * Validates the {@code notifications.<name>} block.
     *
     * @throws ConfigException naming every invalid key
     */
    static AlertmanagerConfig from(Settings settings) {
        List<ConfigProblem> problems = new ArrayList<>();
        // read so that it is not reported as unknown; the engine skips disabled notifiers before this
        read(problems, () -> settings.bool("enabled", true), true);
        List<String> urls = read(problems, () -> settings.stringList("urls"), List.of());
        Map<String, String> configured = read(problems, () -> settings.stringMap("headers"), Map.of());
        Duration timeout = positive(problems, settings, "timeout", DEFAULT_TIMEOUT);
        Duration resendInterval = positive(problems, settings, "resendInterval", DEFAULT_RESEND_INTERVAL);

        Map<String, String> headers = new LinkedHashMap<>();
        if (configured.keySet().stream().noneMatch(name -> name.equalsIgnoreCase("Content-Type"))) {
            headers.put("Content-Type", "application/json");
        }
        configured.forEach((name, value) -> {
            String problem = HttpSettings.headerProblem(name, value);
            if (problem == null) {
                headers.put(name, value);
            } else {
                problems.add(new ConfigProblem(settings.keyPath("headers") + "." + name, problem));
            }
        });
        boolean authorizationHeader = configured.keySet().stream().anyMatch("Authorization"::equalsIgnoreCase);

        if (urls.isEmpty() && !settings.has("urls")) {
            problems.add(new ConfigProblem(settings.keyPath("urls"), "is required: the Alertmanager base URLs, for"
                    + " example [http://am-1:9093, http://am-2:9093] (every one gets every alert)"));
        } else if (urls.isEmpty()) {
            problems.add(new ConfigProblem(settings.keyPath("urls"), "expected at least one Alertmanager base URL,"
                    + " for example [http://am-1:9093]"));
        }
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            String keyPath = settings.keyPath("urls") + "[" + i + "]";
            try {
                targets.add(target(HttpSettings.httpUrl(urls.get(i), keyPath), keyPath, headers,
                        authorizationHeader));
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new AlertmanagerConfig(List.copyOf(targets), timeout, resendInterval);
    }

    private static Target target(URI base, String keyPath, Map<String, String> headers, boolean authorizationHeader) {
        Map<String, String> own = new LinkedHashMap<>(headers);
        // user info in the URL stands for an Authorization header, which the HTTP client would not send
        if (base.getRawUserInfo() != null) {
            if (authorizationHeader) {
                throw new ConfigException(keyPath, "the URL has credentials (" + UrlCredentials.mask(base) + "), which"
                        + " are sent as an Authorization: Basic header, and headers sets Authorization too; keep only"
                        + " one of them");
            }
            own.put("Authorization", UrlCredentials.basicAuthorization(base).orElseThrow());
        }
        URI plain = UrlCredentials.withoutUserInfo(base);
        String path = plain.getRawPath() == null ? "" : plain.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        URI alertsUrl;
        try {
            // a path in the URL is Alertmanager's --web.route-prefix (behind a reverse proxy)
            alertsUrl = new URI(plain.getScheme() + "://" + plain.getRawAuthority() + path + ALERTS_PATH);
        } catch (URISyntaxException e) {
            throw new ConfigException(keyPath, "expected an http:// or https:// URL, found \"" + UrlCredentials.mask(base)
                    + "\" (" + e.getReason() + ")");
        }
        if (plain.getRawQuery() != null || plain.getRawFragment() != null) {
            throw new ConfigException(keyPath, "expected an Alertmanager base URL without ?query or #fragment, found \""
                    + UrlCredentials.mask(base) + "\"");
        }
        return new Target(alertsUrl, UrlCredentials.mask(alertsUrl), Collections.unmodifiableMap(own));
    }

    private static Duration positive(List<ConfigProblem> problems, Settings settings, String key, Duration fallback) {
        Duration value = read(problems, () -> settings.duration(key, fallback), fallback);
        if (value.isNegative() || value.isZero()) {
            problems.add(new ConfigProblem(settings.keyPath(key), "expected a positive duration like "
                    + Durations.format(fallback) + ", found " + Durations.format(value)));
            return fallback;
        }
        return value;
    }

    private static <T> T read(List<ConfigProblem> problems, Supplier<T> reader, T fallback) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            return fallback;
        }
    }

    /** Every Alertmanager, in the configured order. */
    List<Target> targets() {
        return targets;
    }

    Duration timeout() {
        return timeout;
    }

    Duration resendInterval() {
        return resendInterval;
    }
}
