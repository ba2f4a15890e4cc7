package io.aegis.httpapi.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.aegis.api.Durations;
import io.aegis.core.Engine;
import io.aegis.core.ServiceSnapshot;
import io.aegis.core.alerting.ActiveAlert;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.alerting.Silence;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every route of the API, dispatched by method and path. {@link #ROUTES} lists them; the OpenAPI document
 * ({@code openapi.json}) describes the same set, and a test keeps the two in step.
 */
public final class ApiRoutes implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger("io.aegis.httpapi");

    /** Every route, as {@code METHOD /path/{param}}: what the OpenAPI document must describe, no more, no less. */
    public static final List<String> ROUTES = List.of(
            "GET /livez",
            "GET /readyz",
            "GET /metrics",
            "GET /openapi.json",
            "GET /api/v1/info",
            "GET /api/v1/services",
            "GET /api/v1/services/{name}",
            "POST /api/v1/services/{name}/{action}",
            "GET /api/v1/alerts",
            "GET /api/v1/silences",
            "POST /api/v1/silences",
            "DELETE /api/v1/silences/{id}",
            "POST /api/v1/reload",
            "GET /api/v1/config",
            "GET /api/v1/events");

    /** The actions on a service, by the word in its route. */
    public static final List<String> ACTIONS = List.of("restart", "reset", "pause", "resume", "isolate");

    /** The most a request body may hold: every body of this API is a few hundred bytes. */
    static final int MAX_BODY = 64 * 1024;
    /** How long an action is waited for before the answer is 202 (still running) rather than its outcome. */
    private static final Duration ACTION_WAIT = Duration.ofSeconds(2);
    private static final String UI = "/io/aegis/httpapi/ui/";
    private static final java.util.regex.Pattern LOOPBACK_IPV4 =
            java.util.regex.Pattern.compile("127\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){2}");
    /** The longest reason, comment or name kept from a request: a sentence, not a document. */
    private static final int MAX_TEXT = 500;

    private final Engine engine;
    private final ServiceHistory history;
    private final EventHub events;
    private final ObjectMapper json;
    private final Optional<String> token;
    private final boolean actionsAllowed;
    private final boolean loopbackOnly;
    private final String listening;
    private final PrometheusRegistry registry;
    private final Supplier<ReloadOutcome> reload;
    private final Clock clock;
    private final String version;

    /** What a reload did, or why it changed nothing: the body of {@code POST /api/v1/reload}. */
    public record ReloadOutcome(int status, Map<String, Object> body) {
    }

    public ApiRoutes(Engine engine, ServiceHistory history, EventHub events, ObjectMapper json, Optional<String> token,
            boolean loopbackOnly, String listening, PrometheusRegistry registry, Supplier<ReloadOutcome> reload,
            Clock clock, String version) {
        this.engine = engine;
        this.history = history;
        this.events = events;
        this.json = json;
        this.token = token;
        this.actionsAllowed = token.isPresent() || loopbackOnly;
        this.loopbackOnly = loopbackOnly;
        this.listening = listening;
        this.registry = registry;
        this.reload = reload;
        this.clock = clock;
        this.version = version;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        boolean handedOff = false;
        try {
            handedOff = route(exchange);
        } catch (Options options) {
            exchange.getResponseHeaders().set("Allow", options.allow);
            exchange.sendResponseHeaders(204, -1);
        } catch (HttpError e) {
            e.allow().ifPresent(allow -> exchange.getResponseHeaders().set("Allow", allow));
            sendError(exchange, e.status(), e.getMessage());
        } catch (RuntimeException e) {
            log.warn("api: {} {} failed: {}", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    e.toString());
            sendError(exchange, 500, "the request failed inside aegis: " + e);
        } finally {
            if (!handedOff) {
                exchange.close();
            }
        }
    }

    /** Answers the request; true when the exchange was handed to the event stream, which closes it. */
    private boolean route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        checkHost(exchange);
        List<String> parts = segments(path);
        if (parts.isEmpty()) {
            requireMethod(method, "GET");
            sendResource(exchange, "index.html");
            return false;
        }
        switch (parts.get(0)) {
            case "livez" -> {
                exact(parts, 1, path);
                requireMethod(method, "GET");
                sendJson(exchange, 200, Map.of("status", "ok"));
            }
            case "readyz" -> {
                exact(parts, 1, path);
                requireMethod(method, "GET");
                if (engine.isRunning()) {
                    sendJson(exchange, 200, Map.of("status", "ready"));
                } else {
                    sendJson(exchange, 503, Map.of("status", "not ready",
                            "error", "the engine is not running (starting or stopping)"));
                }
            }
            case "metrics" -> {
                exact(parts, 1, path);
                requireMethod(method, "GET");
                sendMetrics(exchange);
            }
            case "openapi.json" -> {
                exact(parts, 1, path);
                requireMethod(method, "GET");
                sendClasspath(exchange, "/io/aegis/httpapi/openapi.json", "application/json");
            }
            case "ui" -> {
                exact(parts, 2, path);
                requireMethod(method, "GET");
                sendResource(exchange, parts.get(1));
            }
            case "api" -> {
                if (parts.size() < 3 || !parts.get(1).equals("v1")) {
                    throw notFound(path);
                }
                return api(exchange, method, path, parts.subList(2, parts.size()));
            }
            default -> throw notFound(path);
        }
        return false;
    }

    private boolean api(HttpExchange exchange, String method, String path, List<String> parts) throws IOException {
        switch (parts.get(0)) {
            case "info" -> {
                exact(parts, 1, path);
                requireMethod(method, "GET");
                Map<String, Object> info = new LinkedHashMap<>();
                info.put("version", version);
                info.put("running", engine.isRunning());
                info.put("actionsAllowed", actionsAllowed);
                info.put("tokenRequired", token.isPresent());
                info.put("services", engine.services().size());
                sendJson(exchange, 200, info);
            }
            case "services" -> services(exchange, method, path, parts);
            case "alerts" -> {
                exact(parts, 1, path);
                requireMethod(method, "GET");
                sendJson(exchange, 200, Map.of("alerts", engine.alerts().stream().map(JsonViews::alert).toList()));
            }
            case "silences" -> silences(exchange, method, path, parts);
            case "reload" -> {
                exact(parts, 1, path);
                requireMethod(method, "POST");
                authorize(exchange);
                ReloadOutcome outcome = reload.get();
                sendJson(exchange, outcome.status(), outcome.body());
            }
            case "config" -> {
                exact(parts, 1, path);
                requireMethod(method, "GET");
                sendText(exchange, 200, "text/yaml; charset=utf-8", RunningConfig.text(engine));
            }
            case "events" -> {
                exact(parts, 1, path);
                requireMethod(method, "GET");
                if (method.equals("HEAD")) {
                    // what a GET would start with, and no stream to hold open
                    send(exchange, 200, "text/event-stream; charset=utf-8", new byte[0]);
                    return false;
                }
                return events.follow(exchange);
            }
            default -> throw notFound(path);
        }
        return false;
    }

    private void services(HttpExchange exchange, String method, String path, List<String> parts) throws IOException {
        Instant now = clock.instant();
        if (parts.size() == 1) {
            requireMethod(method, "GET");
            List<ActiveAlert> alerts = engine.alerts();
            List<Map<String, Object>> services = new ArrayList<>();
            for (ServiceSnapshot snapshot : engine.services()) {
                services.add(JsonViews.service(snapshot, history, alerts, now));
            }
            sendJson(exchange, 200, Map.of("services", services));
            return;
        }
        String name = decode(parts.get(1));
        if (parts.size() == 2) {
            requireMethod(method, "GET");
            ServiceSnapshot snapshot = snapshot(name);
            sendJson(exchange, 200, JsonViews.service(snapshot, history, engine.alerts(), now));
            return;
        }
        exact(parts, 3, path);
        requireMethod(method, "POST");
        String action = parts.get(2);
        if (!ACTIONS.contains(action)) {
            throw HttpError.notFound("no action named \"" + action + "\"; the actions are: "
                    + String.join(", ", ACTIONS));
        }
        authorize(exchange);
        snapshot(name); // an unknown service is a 404 with the known ones, before anything is done
        JsonNode body = readJson(exchange, false);
        String reason = text(body, "reason").orElse("asked through the API");
        String who = exchange.getRemoteAddress() == null ? "?" : exchange.getRemoteAddress().getAddress()
                .getHostAddress();
        log.info("api: {} {} asked by {}: {}", action, name, who, reason);
        CompletableFuture<Void> done;
        try {
            done = switch (action) {
                case "restart" -> engine.restart(name, reason);
                case "reset" -> engine.reset(name, reason);
                case "pause" -> engine.pause(name, reason);
                case "resume" -> engine.resume(name, reason);
                default -> engine.isolate(name, reason);
            };
        } catch (IllegalArgumentException e) {
            throw new HttpError(409, e.getMessage());
        } catch (IllegalStateException e) {
            throw new HttpError(409, e.getMessage());
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("service", name);
        answer.put("action", action);
        answer.put("reason", reason);
        try {
            done.get(ACTION_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            answer.put("done", true);
            sendJson(exchange, 200, answer);
        } catch (TimeoutException e) {
            answer.put("done", false); // still going (a restart waits out a grace period): follow the events
            sendJson(exchange, 202, answer);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new HttpError(409, "could not " + action + " " + name + ": " + (cause.getMessage() == null
                    ? cause.toString() : cause.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "aegis is stopping");
        }
    }

    private void silences(HttpExchange exchange, String method, String path, List<String> parts) throws IOException {
        Instant now = clock.instant();
        if (parts.size() == 1) {
            if (method.equals("GET") || method.equals("HEAD")) {
                sendJson(exchange, 200, Map.of("silences", engine.silences().stream()
                        .map(silence -> JsonViews.silence(silence, now)).toList()));
                return;
            }
            requireMethod(method, "GET", "POST");
            authorize(exchange);
            JsonNode body = readJson(exchange, true);
            Silence silence = addSilence(body, now);
            sendJson(exchange, 201, JsonViews.silence(silence, now));
            return;
        }
        exact(parts, 2, path);
        requireMethod(method, "DELETE");
        authorize(exchange);
        String id = decode(parts.get(1));
        boolean expired;
        try {
            expired = engine.expireSilence(id);
        } catch (IllegalArgumentException e) {
            throw new HttpError(409, e.getMessage());
        }
        if (!expired) {
            throw HttpError.notFound("no silence with id \"" + id + "\" is in effect or waiting (it may have ended);"
                    + " GET /api/v1/silences lists them");
        }
        sendJson(exchange, 200, Map.of("expired", id));
    }

    private Silence addSilence(JsonNode body, Instant now) {
        JsonNode matchersNode = body.get("matchers");
        if (matchersNode == null || !matchersNode.isArray() || matchersNode.isEmpty()) {
            throw HttpError.badRequest("matchers: expected a list of label matchers such as [\"service=web\"],"
                    + " found " + (matchersNode == null ? "none" : matchersNode.toString()));
        }
        List<Matcher> matchers = new ArrayList<>();
        for (int i = 0; i < matchersNode.size(); i++) {
            JsonNode node = matchersNode.get(i);
            try {
                matchers.add(matcher(node));
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("matchers[" + i + "]: " + e.getMessage());
            }
        }
        Instant startsAt = instant(body, "startsAt").orElse(now);
        Optional<Instant> endsAt = instant(body, "endsAt");
        Optional<String> duration = text(body, "duration");
        if (endsAt.isPresent() == duration.isPresent()) {
            throw HttpError.badRequest("expected either duration (such as \"2h\") or endsAt (such as"
                    + " \"2026-12-02T18:00:00Z\"), " + (endsAt.isPresent() ? "not both" : "found neither"));
        }
        Instant end;
        if (duration.isPresent()) {
            Duration length;
            try {
                length = Durations.parse(duration.get());
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("duration: " + e.getMessage());
            }
            if (length.isNegative() || length.isZero()) {
                throw HttpError.badRequest("duration: expected a positive duration such as 30m or 2h, found \""
                        + duration.get() + "\"");
            }
            end = startsAt.plus(length);
        } else {
            end = endsAt.get();
        }
        String comment = text(body, "comment").filter(c -> !c.isBlank()).orElseThrow(() -> HttpError.badRequest(
                "comment: expected why the alerts are silenced (Alertmanager asks for one too), found none"));
        String createdBy = text(body, "createdBy").filter(c -> !c.isBlank()).orElse("api");
        try {
            return engine.addSilence(matchers, startsAt, end, createdBy, comment);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(e.getMessage());
        }
    }

    /** {@code "service=web"}, or Alertmanager's {@code {"name","value","isRegex","isEqual"}}. */
    private static Matcher matcher(JsonNode node) {
        if (node.isTextual()) {
            return Matcher.parse(node.asText());
        }
        if (node.isObject() && node.hasNonNull("name") && node.hasNonNull("value")) {
            boolean regex = node.path("isRegex").asBoolean(false);
            boolean equal = node.path("isEqual").asBoolean(true);
            Matcher.Type type = regex ? (equal ? Matcher.Type.REGEX : Matcher.Type.NOT_REGEX)
                    : (equal ? Matcher.Type.EQUAL : Matcher.Type.NOT_EQUAL);
            return new Matcher(node.get("name").asText(), type, node.get("value").asText());
        }
        throw new IllegalArgumentException("expected a matcher such as \"service=web\" or {\"name\": \"service\","
                + " \"value\": \"web\"}, found " + node);
    }

    private static Optional<Instant> instant(JsonNode body, String field) {
        Optional<String> text = text(body, field);
        try {
            return text.map(Instant::parse);
        } catch (DateTimeParseException e) {
            throw HttpError.badRequest(field + ": expected a time such as \"2026-12-02T18:00:00Z\", found \""
                    + text.get() + "\"");
        }
    }

    /**
     * A text field, as one line: control characters (a newline would forge a log line, an escape sequence would
     * reach the terminal of whoever reads `aegis events`) become spaces, and it is cut at {@value #MAX_TEXT}.
     */
    private static Optional<String> text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw HttpError.badRequest(field + ": expected text, found " + node.getNodeType().name()
                    .toLowerCase(java.util.Locale.ROOT));
        }
        String line = node.asText().replaceAll("[\\p{Cntrl}\\u2028\\u2029\\u0085]", " ").strip();
        return Optional.of(line.length() > MAX_TEXT ? line.substring(0, MAX_TEXT) + "…" : line);
    }

    private ServiceSnapshot snapshot(String name) {
        return engine.service(name).orElseThrow(() -> HttpError.notFound("no service named \"" + name
                + "\"; known: " + String.join(", ", engine.services().stream().map(ServiceSnapshot::name).toList())));
    }

    // ---- the token rule ----------------------------------------------------------------------------------------

    /**
     * On a loopback-only API, only loopback names in {@code Host}: a web page whose name an attacker points at
     * 127.0.0.1 (DNS rebinding) would otherwise be same-origin with the API in the browser of someone on this
     * machine, and could read it and act without a token.
     */
    private void checkHost(HttpExchange exchange) {
        if (!loopbackOnly) {
            return;
        }
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host == null) {
            return; // HTTP/1.0 without Host: no browser
        }
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                : host.contains(":") ? host.substring(0, host.indexOf(':')) : host;
        name = name.toLowerCase(java.util.Locale.ROOT);
        // literal loopback addresses only: a name that merely starts with "127." is anybody's DNS name
        if (!(LOOPBACK_IPV4.matcher(name).matches() || name.equals("localhost") || name.equals("[::1]")
                || name.endsWith(".localhost"))) {
            throw new HttpError(403, "the API listens on loopback only and answers requests for loopback names"
                    + " (127.0.0.1, localhost, [::1]), not for \"" + host + "\"");
        }
    }

    /**
     * A browser that sends a change from another web site (a page posting to 127.0.0.1 behind the user's back)
     * says so in {@code Origin}: refused, token or not. The status page, served from here, is same-origin.
     */
    private static void checkOrigin(HttpExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (origin == null) {
            return; // not a browser, or a same-origin GET
        }
        String originHost = origin.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
        if (host == null || !originHost.equalsIgnoreCase(host)) {
            throw new HttpError(403, "a change asked from another web site (Origin: " + origin + ") is refused;"
                    + " use the status page served by aegis, the aegis command or a client that sends no Origin");
        }
    }

    /** Mutating calls: the bearer token when one is configured; without one, only on a loopback-only API. */
    private void authorize(HttpExchange exchange) {
        checkOrigin(exchange);
        if (token.isEmpty()) {
            if (!actionsAllowed) {
                throw new HttpError(403, "this call changes aegis, and the API listens on " + listening
                        + " beyond loopback without a token: set global.api.token (for example \"${AEGIS_TOKEN}\")"
                        + " to allow it");
            }
            return;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String presented = header == null ? null : bearerToken(header);
        if (presented == null || !MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                token.get().getBytes(StandardCharsets.UTF_8))) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"aegis\"");
            throw new HttpError(401, header == null
                    ? "this call changes aegis and needs the API token: send Authorization: Bearer <token>"
                    + " (global.api.token; the aegis command reads AEGIS_TOKEN)"
                    : "the token in Authorization is not aegis' API token (global.api.token)");
        }
    }

    /** The token of {@code Bearer <token>} (the scheme in any case, RFC 7235), or null for another scheme. */
    private static String bearerToken(String header) {
        String value = header.strip();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Bearer")) {
            return null;
        }
        return value.substring(space + 1).strip();
    }

    // ---- requests ----------------------------------------------------------------------------------------------

    private JsonNode readJson(HttpExchange exchange, boolean required) throws IOException {
        byte[] body = readBody(exchange);
        if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
            if (required) {
                throw HttpError.badRequest("expected a JSON object in the request body, found an empty body");
            }
            return json.createObjectNode();
        }
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new HttpError(415, "expected a JSON body (Content-Type: application/json), found Content-Type: "
                    + type);
        }
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            String what = e.getOriginalMessage() == null ? e.getClass().getSimpleName()
                    : e.getOriginalMessage().split("\n")[0];
            throw HttpError.badRequest("the request body is not valid JSON: " + what + where);
        }
        if (node == null || !node.isObject()) {
            throw HttpError.badRequest("expected a JSON object in the request body, found " + (node == null ? "nothing"
                    : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        return node;
    }

    private static byte[] readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                throw new HttpError(413, "the request body is larger than " + MAX_BODY / 1024 + " KB; the API's"
                        + " bodies are a few hundred bytes");
            }
            return body;
        }
    }

    /**
     * Refuses a method the route does not take, saying which it does. A route that answers GET answers HEAD too (the
     * same headers, no body: uptime checkers and load balancers probe with it), and OPTIONS on any route is answered
     * with its methods and no body.
     */
    private static void requireMethod(String method, String... allowed) {
        List<String> methods = new ArrayList<>(List.of(allowed));
        if (methods.contains("GET")) {
            methods.add(methods.indexOf("GET") + 1, "HEAD");
        }
        if (methods.contains(method)) {
            return;
        }
        methods.add("OPTIONS");
        String allow = String.join(", ", methods);
        if (method.equals("OPTIONS")) {
            throw new Options(allow);
        }
        throw HttpError.methodNotAllowed(method + " is not allowed here; use " + String.join(" or ", allowed), allow);
    }

    /** The answer to OPTIONS: 204 and the route's methods, thrown from where the route is known. */
    private static final class Options extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String allow;

        Options(String allow) {
            super(null, null, false, false);
            this.allow = allow;
        }
    }

    private static void exact(List<String> parts, int size, String path) {
        if (parts.size() != size) {
            throw notFound(path);
        }
    }

    private static HttpError notFound(String path) {
        return HttpError.notFound("no such route: " + path + " (GET /openapi.json describes the API)");
    }

    private static List<String> segments(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        return parts;
    }

    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("the path holds a malformed escape: " + segment);
        }
    }

    // ---- responses ---------------------------------------------------------------------------------------------

    private void sendMetrics(HttpExchange exchange) throws IOException {
        if (registry == null) {
            throw HttpError.notFound("no metrics registry was given to the API; /metrics is on the metrics port");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        writer.write(out, registry.scrape());
        send(exchange, 200, writer.getContentType(), out.toByteArray());
    }

    private void sendResource(HttpExchange exchange, String file) throws IOException {
        if (!file.matches("[a-z0-9][a-z0-9._-]*") || file.contains("..")) {
            throw notFound("/ui/" + file);
        }
        String type = file.endsWith(".html") ? "text/html; charset=utf-8"
                : file.endsWith(".js") ? "text/javascript; charset=utf-8"
                : file.endsWith(".css") ? "text/css; charset=utf-8"
                : file.endsWith(".svg") ? "image/svg+xml"
                : file.endsWith(".png") ? "image/png" : "application/octet-stream";
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        // the page fetches nothing from elsewhere: say so to the browser too
        exchange.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:;"
                + " style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        sendClasspath(exchange, UI + file, type);
    }

    private void sendClasspath(HttpExchange exchange, String resource, String type) throws IOException {
        try (InputStream in = ApiRoutes.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw notFound(exchange.getRequestURI().getRawPath());
            }
            send(exchange, 200, type, in.readAllBytes());
        }
    }

    void sendJson(HttpExchange exchange, int status, Object body) throws IOException {
        send(exchange, status, "application/json", json.writeValueAsBytes(body));
    }

    private void sendError(HttpExchange exchange, int status, String sentence) {
        try {
            sendJson(exchange, status, Map.of("error", sentence));
        } catch (IOException | RuntimeException e) {
            // the client is gone, or the headers went out already: nothing more to tell it
        }
    }

    private static void sendText(HttpExchange exchange, int status, String type, String text) throws IOException {
        send(exchange, status, type, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
