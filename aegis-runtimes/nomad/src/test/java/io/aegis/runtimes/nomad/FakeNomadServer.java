package io.aegis.runtimes.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A fake Nomad agent on 127.0.0.1, port 0, built from Nomad's HTTP API documentation and handlers (no Nomad binary
 * can be installed here): the job, versions, allocations, restart, revert, service registration and event stream
 * endpoints, with Nomad's rules (namespaces, ACL token answers as bare {@code text/plain} 403s, revert's
 * {@code EnforcePriorVersion}, NDJSON event frames with {@code {}} heartbeats). Records every request.
 */
final class FakeNomadServer implements AutoCloseable {

    /** One request as the agent saw it. */
    record Request(String method, String path, Map<String, String> query, String token, String body) {
        JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** One open event stream: what the test writes goes out as is, flushed, so a frame can be split anywhere. */
    static final class StreamConnection {
        private static final String END = "\u0000end";
        private final BlockingQueue<String> outgoing = new LinkedBlockingQueue<>();
        final Request request;
        volatile boolean closedByClient;

        StreamConnection(Request request) {
            this.request = request;
        }

        /** Writes raw text (a whole line, part of one, several). */
        void write(String text) {
            outgoing.add(text);
        }

        /** Writes one frame and its newline. */
        void frame(String json) {
            write(json + "\n");
        }

        /** Ends the response, as an agent whose stream broke. */
        void end() {
            outgoing.add(END);
        }
    }

    static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "fake-nomad");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final BlockingQueue<StreamConnection> streams = new LinkedBlockingQueue<>();
    private final List<StreamConnection> allStreams = new CopyOnWriteArrayList<>();
    private final AtomicLong index = new AtomicLong(100);
    private final Map<String, List<ObjectNode>> versions = new ConcurrentHashMap<>();
    private final Map<String, ArrayNode> allocations = new ConcurrentHashMap<>();
    private final Map<String, ArrayNode> services = new ConcurrentHashMap<>();
    private volatile String secret;
    private volatile boolean refuseStreams;
    private volatile Runnable beforeRevert = () -> { };

    FakeNomadServer() throws IOException {
        this(null);
    }

    /** An agent that serves https with {@code tls} (its key and certificate), as with Nomad's {@code tls} block. */
    FakeNomadServer(javax.net.ssl.SSLContext tls) throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(loopback, 0);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(loopback, 0);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            server = https;
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String address() {
        return (server instanceof com.sun.net.httpserver.HttpsServer ? "https" : "http") + "://127.0.0.1:"
                + server.getAddress().getPort();
    }

    /** Turns on ACLs: requests must carry this token. */
    void requireToken(String token) {
        secret = token;
    }

    /** Makes the event stream answer 403 Permission denied. */
    void refuseStreams() {
        refuseStreams = true;
    }

    /**
     * Registers job {@code id} in {@code namespace} with versions {@code newest} down to 0; {@code stable} lists the
     * stable ones. The job has one task group per name in {@code groups}, each with {@code count}.
     */
    void job(String id, String namespace, long newest, List<Long> stable, List<String> groups, int count) {
        List<ObjectNode> list = new ArrayList<>();
        for (long v = newest; v >= 0; v--) {
            ObjectNode job = MAPPER.createObjectNode();
            job.put("ID", id).put("Name", id).put("Namespace", namespace).put("Type", "service").put("Version", v)
                    .put("Stable", stable.contains(v)).put("Stop", false).put("JobModifyIndex", 40 + v)
                    .put("SubmitTime", 1764520000000000000L + v);
            ArrayNode taskGroups = job.putArray("TaskGroups");
            for (String group : groups) {
                taskGroups.addObject().put("Name", group).put("Count", count);
            }
            list.add(job);
        }
        versions.put(id, new CopyOnWriteArrayList<>(list));
        allocations.putIfAbsent(id, MAPPER.createArrayNode());
    }

    /** Adds an allocation of {@code job}, as {@code AllocationListStub}. */
    ObjectNode allocation(String job, String id, String group, String clientStatus, long jobVersion) {
        ObjectNode alloc = MAPPER.createObjectNode();
        alloc.put("ID", id).put("EvalID", "5456bd7a-9fc0-c0dd-6131-cbee77f57577").put("Name", job + "." + group + "[0]")
                .put("Namespace", current(job).path("Namespace").asText())
                .put("NodeID", "fb2170a8-257d-3c64-b14d-bc06cc94e34c")
                .put("JobID", job).put("JobType", "service").put("JobVersion", jobVersion).put("TaskGroup", group)
                .put("DesiredStatus", "run").put("ClientStatus", clientStatus)
                .put("ClientDescription", "Tasks are " + clientStatus).put("CreateIndex", 40).put("ModifyIndex", 42);
        ObjectNode task = alloc.putObject("TaskStates").putObject("server");
        task.put("State", "running").put("Failed", false).put("Restarts", 0);
        ArrayNode events = task.putArray("Events");
        events.addObject().put("Type", "Received").put("Time", 1764525600000000000L);
        events.addObject().put("Type", "Started").put("Time", 1764525601000000000L);
        allocations.get(job).add(alloc);
        return alloc;
    }

    /** Registers a Nomad-native service of an allocation, as {@code ServiceRegistration}. */
    void service(String allocId, String name, String port) {
        ObjectNode service = MAPPER.createObjectNode();
        service.put("ID", "_nomad-task-" + allocId + "-group-api-" + name + "-" + port).put("ServiceName", name)
                .put("Namespace", "shop").put("JobID", "web").put("AllocID", allocId).put("Address", "10.0.0.5")
                .put("Port", 27018).put("CreateIndex", 41).put("ModifyIndex", 41);
        services.computeIfAbsent(allocId, ignored -> MAPPER.createArrayNode()).add(service);
    }

    /** Runs {@code action} when a revert request arrives, before it is handled. */
    void beforeRevert(Runnable action) {
        beforeRevert = action;
    }

    /** Registers a new, not yet stable, version of {@code job}, as a deployment would. */
    void deploy(String job) {
        List<ObjectNode> list = versions.get(job);
        ObjectNode next = list.get(0).deepCopy();
        next.put("Version", next.path("Version").asLong() + 1).put("Stable", false)
                .put("JobModifyIndex", index.incrementAndGet());
        list.add(0, next);
    }

    /** Forgets every allocation of {@code job}. */
    void clearAllocations(String job) {
        allocations.get(job).removeAll();
    }

    ArrayNode servicesOf(String allocId) {
        return services.getOrDefault(allocId, MAPPER.createArrayNode());
    }

    ObjectNode current(String job) {
        return versions.get(job).get(0);
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String method, Predicate<String> path) {
        return requests.stream().filter(r -> r.method().equals(method) && path.test(r.path())).toList();
    }

    /** The next event stream the runtime opens. */
    StreamConnection nextStream() throws InterruptedException {
        StreamConnection stream = streams.poll(10, TimeUnit.SECONDS);
        if (stream == null) {
            throw new AssertionError("no event stream was opened within 10 s; requests: " + requests);
        }
        return stream;
    }

    List<StreamConnection> streams() {
        return List.copyOf(allStreams);
    }

    @Override
    public void close() {
        allStreams.forEach(StreamConnection::end);
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    query(exchange.getRequestURI().getRawQuery()),
                    exchange.getRequestHeaders().getFirst("X-Nomad-Token"), body);
            requests.add(request);
            String required = secret;
            if (required != null && !required.equals(request.token())) {
                // Nomad: an anonymous request without the capability is denied; an unknown secret is not found
                text(exchange, 403, request.token() == null ? "Permission denied" : "ACL token not found");
                return;
            }
            route(exchange, request);
        }
    }

    private void route(HttpExchange exchange, Request request) throws IOException {
        String[] parts = request.path().substring(1).split("/");
        String method = request.method();
        boolean write = method.equals("POST") || method.equals("PUT");
        String namespace = request.query().getOrDefault("namespace", "default");
        if (parts.length >= 3 && parts[0].equals("v1") && parts[1].equals("job")) {
            String id = URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
            List<ObjectNode> list = versions.get(id);
            if (list == null || !list.get(0).path("Namespace").asText().equals(namespace)) {
                text(exchange, 404, parts.length == 4 && parts[3].equals("versions") ? "job versions not found"
                        : "job not found");
                return;
            }
            if (parts.length == 3 && method.equals("GET")) {
                json(exchange, list.get(0));
            } else if (parts.length == 3 && method.equals("DELETE")) {
                ObjectNode stopped = list.get(0).deepCopy();
                stopped.put("Stop", true).put("Version", stopped.path("Version").asLong() + 1).put("Stable", false)
                        .put("JobModifyIndex", index.incrementAndGet());
                list.add(0, stopped);
                json(exchange, MAPPER.createObjectNode().put("EvalID", "e1").put("JobModifyIndex", index.get()));
            } else if (parts.length == 3 && write) {
                JsonNode registration = request.json();
                ObjectNode job = ((ObjectNode) registration.path("Job")).deepCopy();
                long modifyIndex = list.get(0).path("JobModifyIndex").asLong();
                if (registration.path("EnforceIndex").asBoolean()
                        && registration.path("JobModifyIndex").asLong() != modifyIndex) {
                    text(exchange, 500, "Enforcing job modify index " + registration.path("JobModifyIndex").asLong()
                            + ": job exists with conflicting job modify index: "
                            + modifyIndex);
                    return;
                }
                job.put("Version", list.get(0).path("Version").asLong() + 1).put("Stable", false)
                        .put("JobModifyIndex", index.incrementAndGet());
                list.add(0, job);
                json(exchange, MAPPER.createObjectNode().put("EvalID", "e2").put("JobModifyIndex", index.get()));
            } else if (parts.length == 4 && parts[3].equals("allocations") && method.equals("GET")) {
                exchange.getResponseHeaders().add("X-Nomad-Index", Long.toString(index.get()));
                json(exchange, allocations.get(id));
            } else if (parts.length == 4 && parts[3].equals("versions") && method.equals("GET")) {
                ObjectNode answer = MAPPER.createObjectNode();
                answer.putArray("Versions").addAll(new ArrayList<>(list));
                answer.putNull("Diffs");
                answer.put("Index", index.get()).put("KnownLeader", true).put("NextToken", "");
                json(exchange, answer);
            } else if (parts.length == 4 && parts[3].equals("revert") && write) {
                revert(exchange, request, id, list);
            } else {
                text(exchange, 405, "Invalid method");
            }
        } else if (parts.length == 5 && parts[1].equals("client") && parts[2].equals("allocation")
                && parts[4].equals("restart") && write) {
            if (findAllocation(parts[3]) == null) {
                text(exchange, 404, "Unknown allocation \"" + parts[3] + "\"");
                return;
            }
            json(exchange, MAPPER.createObjectNode().put("Index", 0));
        } else if (parts.length == 4 && parts[1].equals("allocation") && parts[3].equals("services")
                && method.equals("GET")) {
            if (findAllocation(parts[2]) == null) {
                text(exchange, 404, "allocation not found");
                return;
            }
            json(exchange, servicesOf(parts[2]));
        } else if (parts.length == 4 && parts[1].equals("service") && method.equals("DELETE")) {
            String serviceId = URLDecoder.decode(parts[3], StandardCharsets.UTF_8);
            // like Nomad, only the ID matters; the name is required in the path but ignored
            services.values().forEach(list -> {
                for (int i = list.size() - 1; i >= 0; i--) {
                    if (list.get(i).path("ID").asText().equals(serviceId)) {
                        list.remove(i);
                    }
                }
            });
            exchange.sendResponseHeaders(200, -1);
        } else if (request.path().equals("/v1/event/stream") && method.equals("GET")) {
            stream(exchange, request);
        } else {
            text(exchange, 404, "Invalid URL path");
        }
    }

    private void revert(HttpExchange exchange, Request request, String id, List<ObjectNode> list) throws IOException {
        beforeRevert.run();
        JsonNode body = request.json();
        long current = list.get(0).path("Version").asLong();
        if (!id.equals(body.path("JobID").asText())) {
            text(exchange, 400, "Job ID does not match");
            return;
        }
        if (body.has("EnforcePriorVersion") && body.path("EnforcePriorVersion").asLong() != current) {
            text(exchange, 500, "Current job has version " + current + "; enforcing version "
                    + body.path("EnforcePriorVersion").asLong());
            return;
        }
        long target = body.path("JobVersion").asLong();
        if (target == current) {
            text(exchange, 500, "can't revert to current version");
            return;
        }
        ObjectNode found = list.stream().filter(v -> v.path("Version").asLong() == target).findFirst().orElse(null);
        if (found == null) {
            text(exchange, 500, "job \"" + id + "\" in namespace \"" + list.get(0).path("Namespace").asText()
                    + "\" at version " + target + " not found");
            return;
        }
        ObjectNode reverted = found.deepCopy();
        reverted.put("Version", current + 1).put("Stable", false).put("JobModifyIndex", index.incrementAndGet());
        list.add(0, reverted);
        json(exchange, MAPPER.createObjectNode().put("EvalID", "e3").put("EvalCreateIndex", index.get())
                .put("JobModifyIndex", index.get()).put("Warnings", "").put("Index", index.get()));
    }

    private void stream(HttpExchange exchange, Request request) throws IOException {
        if (refuseStreams) {
            text(exchange, 403, "Permission denied");
            return;
        }
        StreamConnection connection = new StreamConnection(request);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        // Nomad writes a heartbeat as soon as the stream opens
        out.write("{}\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        allStreams.add(connection);
        streams.add(connection);
        try {
            while (true) {
                String next = connection.outgoing.poll(Duration.ofMinutes(1).toMillis(), TimeUnit.MILLISECONDS);
                if (next == null || next.equals(StreamConnection.END)) {
                    return;
                }
                out.write(next.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            connection.closedByClient = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private JsonNode findAllocation(String id) {
        for (ArrayNode list : allocations.values()) {
            for (JsonNode alloc : list) {
                if (alloc.path("ID").asText().equals(id)) {
                    return alloc;
                }
            }
        }
        return null;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> result = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return result;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            result.put(key, value);
        }
        return result;
    }

    private static void json(HttpExchange exchange, JsonNode body) throws IOException {
        byte[] bytes = MAPPER.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void text(HttpExchange exchange, int status, String message) throws IOException {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
