package io.aegis.httpapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.OperatorAction;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.SilenceChanged;
import io.aegis.httpapi.internal.ApiRoutes;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every route against a real engine checking real loopback services, through a real HTTP client. */
class ApiServerTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    private static final String TOKEN = "0123456789abcdef-test-token";

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private HttpServer backend;
    private int backendPort;
    private Engine engine;
    private ApiServer api;

    @BeforeEach
    void start() throws IOException {
        backend = startBackend(0);
        backendPort = backend.getAddress().getPort();
        engine = Engine.builder().metricsRegistry(registry).listener(events::add)
                .service(ServiceDefinition.builder("web").check("http", "http://127.0.0.1:" + backendPort + "/health")
                        .interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(1)).build())
                .service(ServiceDefinition.builder("worker").check("http", "http://127.0.0.1:" + backendPort
                        + "/worker").interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(1))
                        .runtime("process", Map.of("command", List.of("sleep", "600"),
                                "logFile", dir.resolve("worker.log").toString()))
                        .build())
                .build().start();
    }

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (backend != null) {
            backend.stop(0);
        }
    }

    private static HttpServer startBackend(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        return server;
    }

    private ApiServer api(String token) {
        api = ApiServer.builder(engine).port(0).token(token).metricsRegistry(registry).build().start();
        return api;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + api.port() + path);
    }

    private JsonNode body(HttpResponse<String> response) throws IOException {
        return json.readTree(response.body());
    }

    private void awaitHealthy(String... names) {
        await().atMost(AWAIT).until(() -> {
            for (String name : names) {
                if (engine.service(name).orElseThrow().state() != ServiceState.HEALTHY) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void readsServicesWithTheirStateLastCheckAndLatencies() throws Exception {
        api(null);
        awaitHealthy("web", "worker");
        assertThat(get("/livez").statusCode()).isEqualTo(200);
        assertThat(body(get("/readyz")).get("status").asText()).isEqualTo("ready");

        await().atMost(AWAIT).untilAsserted(() -> {
            JsonNode web = body(get("/api/v1/services/web"));
            assertThat(web.get("state").asText()).isEqualTo("HEALTHY");
            assertThat(web.get("latencies").size()).isGreaterThanOrEqualTo(2);
            assertThat(web.get("lastCheck").get("passing").asBoolean()).isTrue();
            assertThat(web.get("lastCheck").get("at").isTextual()).isTrue();
        });
        JsonNode list = body(get("/api/v1/services"));
        assertThat(list.get("services")).extracting(node -> node.get("name").asText())
                .containsExactly("web", "worker");

        HttpResponse<String> unknown = get("/api/v1/services/api");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(body(unknown).get("error").asText()).isEqualTo("no service named \"api\"; known: web, worker");
        HttpResponse<String> noRoute = get("/api/v2/services");
        assertThat(noRoute.statusCode()).isEqualTo(404);
        assertThat(body(noRoute).get("error").asText()).startsWith("no such route: /api/v2/services");
        HttpResponse<String> wrongMethod = send("DELETE", "/api/v1/services", null, null);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(body(wrongMethod).get("error").asText()).isEqualTo("DELETE is not allowed here; use GET");
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET, HEAD, OPTIONS");
        HttpResponse<String> getOnAnAction = get("/api/v1/services/web/restart");
        assertThat(getOnAnAction.statusCode()).isEqualTo(405);
        assertThat(getOnAnAction.headers().firstValue("Allow")).hasValue("POST, OPTIONS");
        HttpResponse<String> silencesOptions = send("OPTIONS", "/api/v1/silences", null, null);
        assertThat(silencesOptions.statusCode()).isEqualTo(204);
        assertThat(silencesOptions.headers().firstValue("Allow")).hasValue("GET, HEAD, POST, OPTIONS");
        assertThat(silencesOptions.body()).isEmpty();
        // An uptime checker or a load balancer probing with HEAD gets what GET would, without the body.
        for (String path : List.of("/livez", "/readyz", "/api/v1/services", "/api/v1/services/web", "/api/v1/silences",
                "/api/v1/events", "/metrics", "/", "/openapi.json")) {
            HttpResponse<String> head = send("HEAD", path, null, null);
            assertThat(head.statusCode()).as("HEAD %s", path).isEqualTo(200);
            assertThat(head.body()).as("HEAD %s", path).isEmpty();
            assertThat(head.headers().firstValue("Content-Type")).as("HEAD %s", path)
                    .isEqualTo(get(path.equals("/api/v1/events") ? "/api/v1/events?follow=false" : path).headers()
                            .firstValue("Content-Type"));
        }

        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("aegis_health_checks_total{");
    }

    @Test
    void actionsReachTheEngineWithTheirReasonAndBadRequestsGetASentence() throws Exception {
        api(null); // loopback only, no token: allowed
        awaitHealthy("web", "worker");

        HttpResponse<String> restart = send("POST", "/api/v1/services/worker/restart",
                "{\"reason\": \"deploying a fix\"}", null);
        assertThat(restart.statusCode()).as(restart.body()).isIn(200, 202);
        assertThat(body(restart).get("action").asText()).isEqualTo("restart");
        await().atMost(AWAIT).until(() -> events.stream().anyMatch(event -> event instanceof OperatorAction action
                && action.kind() == OperatorAction.Kind.RESTART && action.reason().equals("deploying a fix")));

        assertThat(send("POST", "/api/v1/services/web/pause", null, null).statusCode()).isEqualTo(200);
        await().atMost(AWAIT).untilAsserted(() -> assertThat(events).anyMatch(event ->
                event instanceof OperatorAction action && action.kind() == OperatorAction.Kind.PAUSE
                        && action.serviceName().equals("web") && action.reason().equals("asked through the API")));
        assertThat(send("POST", "/api/v1/services/web/resume", "{}", null).statusCode()).isEqualTo(200);

        assertThat(send("POST", "/api/v1/services/web/pause", "{\"reason\": \"ok\\n2026-01-01 [INFO] forged\\u001b[31m\"}",
                null).statusCode()).isEqualTo(200);
        await().atMost(AWAIT).untilAsserted(() -> assertThat(events).anyMatch(event ->
                event instanceof OperatorAction action && action.reason().equals("ok 2026-01-01 [INFO] forged [31m")));
        assertThat(send("POST", "/api/v1/services/web/resume", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> badAction = send("POST", "/api/v1/services/web/reboot", null, null);
        assertThat(badAction.statusCode()).isEqualTo(404);
        assertThat(body(badAction).get("error").asText())
                .isEqualTo("no action named \"reboot\"; the actions are: restart, reset, pause, resume, isolate");
        HttpResponse<String> badJson = send("POST", "/api/v1/services/web/restart", "{\"reason\": ", null);
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(body(badJson).get("error").asText()).startsWith("the request body is not valid JSON");
        HttpResponse<String> notAnObject = send("POST", "/api/v1/services/web/pause", "[1]", null);
        assertThat(notAnObject.statusCode()).isEqualTo(400);
        assertThat(body(notAnObject).get("error").asText()).contains("expected a JSON object");
        HttpResponse<String> unknown = send("POST", "/api/v1/services/db/restart", null, null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(body(unknown).get("error").asText()).isEqualTo("no service named \"db\"; known: web, worker");
        HttpResponse<String> noRuntime = send("POST", "/api/v1/services/web/restart", null, null);
        assertThat(noRuntime.statusCode()).isEqualTo(409);
        assertThat(body(noRuntime).get("error").asText()).contains("web");
        // none of the refused calls did anything
        assertThat(events).filteredOn(OperatorAction.class::isInstance).hasSize(5);
    }

    @Test
    void withATokenEveryChangeNeedsItAndReadsDoNot() throws Exception {
        api(TOKEN);
        awaitHealthy("web");
        HttpResponse<String> without = send("POST", "/api/v1/services/web/pause", null, null);
        assertThat(without.statusCode()).isEqualTo(401);
        assertThat(without.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(value ->
                assertThat(value).startsWith("Bearer"));
        assertThat(body(without).get("error").asText()).contains("needs the API token");
        HttpResponse<String> wrong = send("POST", "/api/v1/services/web/pause", null, "not-the-token");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(send("POST", "/api/v1/silences", "{\"matchers\":[\"service=web\"],\"duration\":\"1h\","
                + "\"comment\":\"x\"}", null).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/api/v1/reload", null, "nope").statusCode()).isEqualTo(401);
        assertThat(engine.silences()).isEmpty();
        assertThat(events).noneMatch(OperatorAction.class::isInstance);

        assertThat(send("POST", "/api/v1/services/web/pause", null, TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/services/web").statusCode()).isEqualTo(200);
        JsonNode info = body(get("/api/v1/info"));
        assertThat(info.get("tokenRequired").asBoolean()).isTrue();
        assertThat(info.get("actionsAllowed").asBoolean()).isTrue();
    }

    @Test
    void withoutATokenChangesAreRefusedWhenTheApiListensBeyondLoopback() throws Exception {
        api = ApiServer.builder(engine).host("0.0.0.0").port(0).build().start();
        HttpResponse<String> refused = send("POST", "/api/v1/services/web/pause", null, null);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(body(refused).get("error").asText()).contains("beyond loopback").contains("global.api.token");
        assertThat(body(get("/api/v1/info")).get("actionsAllowed").asBoolean()).isFalse();
        assertThat(events).noneMatch(OperatorAction.class::isInstance);
    }

    @Test
    void aWebSiteCannotActThroughTheBrowserOfSomeoneOnThisMachine() throws Exception {
        api(null); // loopback only, no token: the case a malicious page would aim at
        awaitHealthy("web");
        // a page of another site posting to 127.0.0.1 (a "simple" request needs no CORS preflight)
        HttpResponse<String> crossSite = client.send(HttpRequest.newBuilder(uri("/api/v1/services/web/pause"))
                .header("Origin", "http://evil.example").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(body(crossSite).get("error").asText()).contains("another web site");
        // DNS rebinding: the attacker's name resolves to 127.0.0.1, so the browser calls it same-origin
        Raw rebound = rawRequest("GET /api/v1/services HTTP/1.1\r\nHost: evil.example:"
                + api.port() + "\r\nConnection: close\r\n\r\n");
        assertThat(rebound.statusCode()).isEqualTo(403);
        assertThat(rebound.body()).contains("loopback names");
        Raw lookalike = rawRequest("GET /api/v1/config HTTP/1.1\r\nHost: 127.rebind.evil.example:" + api.port()
                + "\r\nConnection: close\r\n\r\n");
        assertThat(lookalike.statusCode()).as("a DNS name that starts like a loopback address").isEqualTo(403);
        assertThat(events).noneMatch(OperatorAction.class::isInstance);
        // the status page itself is same-origin: allowed
        HttpResponse<String> sameOrigin = client.send(HttpRequest.newBuilder(uri("/api/v1/services/web/pause"))
                .header("Origin", "http://127.0.0.1:" + api.port()).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sameOrigin.statusCode()).as(sameOrigin.body()).isEqualTo(200);
    }

    private record Raw(int statusCode, String body) {
    }

    /** One request written by hand (HttpClient will not send another Host): its status and body. */
    private Raw rawRequest(String request) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", api.port())) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Raw(Integer.parseInt(answer.substring(9, 12)), answer.substring(answer.indexOf("\r\n\r\n") + 4));
        }
    }

    @Test
    void silencesAreAddedListedAndExpired() throws Exception {
        api(TOKEN);
        HttpResponse<String> added = send("POST", "/api/v1/silences", "{\"matchers\": [\"service=web\","
                + " {\"name\": \"severity\", \"value\": \"warn.*\", \"isRegex\": true}], \"duration\": \"2h\","
                + " \"createdBy\": \"ops\", \"comment\": \"maintenance\"}", TOKEN);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        String id = body(added).get("id").asText();
        assertThat(body(added).get("matchers")).extracting(JsonNode::asText)
                .containsExactly("service=\"web\"", "severity=~\"warn.*\"");
        assertThat(engine.silences()).extracting(silence -> silence.id()).containsExactly(id);
        assertThat(body(get("/api/v1/silences")).get("silences").get(0).get("active").asBoolean()).isTrue();

        HttpResponse<String> noComment = send("POST", "/api/v1/silences",
                "{\"matchers\": [\"service=web\"], \"duration\": \"2h\"}", TOKEN);
        assertThat(noComment.statusCode()).isEqualTo(400);
        assertThat(body(noComment).get("error").asText()).startsWith("comment:");
        HttpResponse<String> badMatcher = send("POST", "/api/v1/silences",
                "{\"matchers\": [\"service\"], \"duration\": \"2h\", \"comment\": \"x\"}", TOKEN);
        assertThat(badMatcher.statusCode()).isEqualTo(400);
        assertThat(body(badMatcher).get("error").asText()).startsWith("matchers[0]:");
        HttpResponse<String> bothEnds = send("POST", "/api/v1/silences", "{\"matchers\": [\"service=web\"],"
                + " \"duration\": \"2h\", \"endsAt\": \"2030-01-01T00:00:00Z\", \"comment\": \"x\"}", TOKEN);
        assertThat(bothEnds.statusCode()).isEqualTo(400);
        assertThat(engine.silences()).hasSize(1);

        assertThat(send("DELETE", "/api/v1/silences/" + id, null, TOKEN).statusCode()).isEqualTo(200);
        assertThat(engine.silences()).isEmpty();
        await().atMost(AWAIT).untilAsserted(() -> assertThat(events).filteredOn(SilenceChanged.class::isInstance)
                .map(SilenceChanged.class::cast).extracting(SilenceChanged::kind, SilenceChanged::id,
                        SilenceChanged::comment).containsExactly(
                        org.assertj.core.api.Assertions.tuple(SilenceChanged.Kind.ADDED, id, "maintenance"),
                        org.assertj.core.api.Assertions.tuple(SilenceChanged.Kind.EXPIRED, id, "maintenance")));
        HttpResponse<String> again = send("DELETE", "/api/v1/silences/" + id, null, TOKEN);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(body(again).get("error").asText()).contains(id);
    }

    @Test
    void theEventStreamsParametersAreCheckedNotTakenOnTrust() throws Exception {
        api(null);

        HttpResponse<String> misspelt = get("/api/v1/events?types=StateChanged,Nope");
        HttpResponse<String> maybe = get("/api/v1/events?follow=maybe");

        // A misspelt type streamed nothing, for good; follow=maybe followed.
        assertThat(misspelt.statusCode()).isEqualTo(400);
        assertThat(body(misspelt).get("error").asText()).startsWith("types: unknown event type Nope; expected some"
                + " of ").contains("CheckCompleted, ").contains("StateChanged");
        assertThat(maybe.statusCode()).isEqualTo(400);
        assertThat(body(maybe).get("error").asText()).isEqualTo("follow: expected true or false, found \"maybe\"");
    }

    @Test
    void eventsStreamLiveAndResumeAfterTheLastIdSeen() throws Exception {
        api(null);
        awaitHealthy("web");
        List<String[]> seen = new CopyOnWriteArrayList<>(); // {id, type, data}
        try (EventStream stream = EventStream.open(uri("/api/v1/events?types=StateChanged,OperatorAction"), null)) {
            stream.collectInto(seen);
            backend.stop(0); // the web service's endpoint goes away
            await().atMost(AWAIT).until(() -> seen.stream().anyMatch(event -> event[1].equals("StateChanged")
                    && event[2].contains("\"service\":\"web\"") && event[2].contains("\"to\":\"UNHEALTHY\"")));
        }
        assertThat(seen).allMatch(event -> event[1].equals("StateChanged") || event[1].equals("OperatorAction"));
        String lastId = seen.get(seen.size() - 1)[0];

        backend = startBackend(backendPort); // back, while nobody follows
        await().atMost(AWAIT).until(() -> engine.service("web").orElseThrow().state() == ServiceState.HEALTHY);
        List<String[]> resumed = new CopyOnWriteArrayList<>();
        try (EventStream stream = EventStream.open(uri("/api/v1/events?types=StateChanged"), lastId)) {
            stream.collectInto(resumed);
            await().atMost(AWAIT).until(() -> resumed.stream().anyMatch(event -> event[2].contains("\"to\":\"HEALTHY\"")
                    && event[2].contains("\"service\":\"web\"")));
        }
        assertThat(resumed).allMatch(event -> Long.parseLong(event[0]) > Long.parseLong(lastId));
    }

    @Test
    void readinessFollowsTheEngine() throws Exception {
        api(null);
        assertThat(get("/readyz").statusCode()).isEqualTo(200);
        engine.close();
        HttpResponse<String> stopping = get("/readyz");
        assertThat(stopping.statusCode()).isEqualTo(503);
        assertThat(body(stopping).get("error").asText()).contains("not running");
        assertThat(get("/livez").statusCode()).isEqualTo(200);
    }

    @Test
    void theOpenApiDocumentDescribesExactlyTheRoutesServed() throws Exception {
        api(null);
        JsonNode document = body(get("/openapi.json"));
        Set<String> described = new TreeSet<>();
        Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").fields();
        while (paths.hasNext()) {
            Map.Entry<String, JsonNode> path = paths.next();
            path.getValue().fieldNames().forEachRemaining(method ->
                    described.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path.getKey()));
        }
        assertThat(described).containsExactlyInAnyOrderElementsOf(ApiRoutes.ROUTES);
        assertThat(document.get("openapi").asText()).startsWith("3.");
    }

    @Test
    void reloadAppliesTheEditedFileAndABrokenFileChangesNothing() throws Exception {
        engine.close();
        Path file = dir.resolve("aegis.yaml");
        String web = """
                  - name: web
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 100ms
                """.formatted(backendPort);
        java.nio.file.Files.writeString(file, """
                global:
                  metricsEnabled: false
                  api:
                    token: "0123456789abcdef-in-the-file"
                services:
                """ + web);
        engine = Engine.builder().config(file).listener(events::add).build().start();
        api(TOKEN);
        awaitHealthy("web");
        String config = get("/api/v1/config").body();
        assertThat(config).contains("name: web").doesNotContain("0123456789abcdef-in-the-file");

        java.nio.file.Files.writeString(file, """
                global:
                  metricsEnabled: false
                  api:
                    token: "0123456789abcdef-in-the-file"
                    port: 19999
                services:
                """ + web + """
                  - name: extra
                    type: http
                    endpoint: http://127.0.0.1:%d/extra
                    interval: 100ms
                """.formatted(backendPort));
        HttpResponse<String> reloaded = send("POST", "/api/v1/reload", null, TOKEN);
        assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
        assertThat(body(reloaded).get("added")).extracting(JsonNode::asText).containsExactly("extra");
        assertThat(body(reloaded).get("unchanged")).extracting(JsonNode::asText).containsExactly("web");
        assertThat(body(reloaded).get("notApplied")).extracting(JsonNode::asText).singleElement().asString()
                .startsWith("global.api changed").doesNotContain("0123456789abcdef");
        awaitHealthy("extra");

        java.nio.file.Files.writeString(file, "services:\n  - name: web\n    type: htp\n    endpoint: x\n"
                + "  - name: extra\n    interval: fast\n");
        HttpResponse<String> broken = send("POST", "/api/v1/reload", null, TOKEN);
        assertThat(broken.statusCode()).isEqualTo(422);
        assertThat(body(broken).get("error").asText()).endsWith("; nothing changed");
        assertThat(body(broken).get("problems").size()).isGreaterThanOrEqualTo(2);
        assertThat(body(broken).get("problems").get(0).asText()).startsWith(file.toString() + ":");
        assertThat(engine.services()).extracting(snapshot -> snapshot.name()).containsExactly("web", "extra");
    }

    /** A Server-Sent Events reader on a thread of its own: {id, event, data} per event. */
    private static final class EventStream implements AutoCloseable {
        private final InputStream body;
        private Thread reader;

        private EventStream(InputStream body) {
            this.body = body;
        }

        static EventStream open(URI uri, String lastEventId) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type).startsWith("text/event-stream"));
            return new EventStream(response.body());
        }

        void collectInto(List<String[]> events) {
            reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                    String id = null;
                    String type = null;
                    String line;
                    while ((line = lines.readLine()) != null) {
                        if (line.startsWith("id: ")) {
                            id = line.substring(4);
                        } else if (line.startsWith("event: ")) {
                            type = line.substring(7);
                        } else if (line.startsWith("data: ")) {
                            events.add(new String[] {id, type, line.substring(6)});
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "test-sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        @Override
        public void close() throws Exception {
            body.close();
            if (reader != null) {
                reader.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
    }
}
