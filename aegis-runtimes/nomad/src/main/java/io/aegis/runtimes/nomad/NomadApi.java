package io.aegis.runtimes.nomad;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * The few calls of Nomad's HTTP API the runtime makes, over the JDK's {@link HttpClient}: each adds the token
 * ({@code X-Nomad-Token}), {@code ?namespace=} and {@code ?region=}, and turns a failure into a
 * {@link NomadException} whose message says what to fix. Nomad answers errors as {@code text/plain} with the bare
 * message ({@code Permission denied}), not JSON. Calls block: they run on the runtime's executors.
 */
final class NomadApi {

    /**
     * A successful answer.
     *
     * @param body the JSON body; a {@link MissingNode} when it was empty (a service DELETE answers 200 with nothing)
     * @param index the {@code X-Nomad-Index} header: the Raft index the answer reflects, where an event stream can
     *     start so that nothing after the answer is missed
     */
    record Answer(JsonNode body, OptionalLong index) {
    }

    private final NomadSettings settings;
    private final HttpClient client;
    private final Duration requestTimeout;
    private final ObjectMapper mapper;

    NomadApi(NomadSettings settings, HttpClient client, Duration requestTimeout, ObjectMapper mapper) {
        this.settings = settings;
        this.client = client;
        this.requestTimeout = requestTimeout;
        this.mapper = mapper;
    }

    NomadSettings settings() {
        return settings;
    }

    ObjectMapper mapper() {
        return mapper;
    }

    /**
     * {@code GET path}; {@code needs} names the ACL capability the call needs, for the message when the token is
     * refused.
     */
    Answer get(String path, String needs) {
        return call("GET", path, Map.of(), null, needs);
    }

    /** {@code method path} with a JSON body (null for none) and extra query parameters. */
    Answer call(String method, String path, Map<String, String> query, JsonNode body, String needs) {
        HttpRequest.Builder request = request(uri(path, query)).timeout(requestTimeout);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method,
                    HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NomadException(0, "interrupted while calling Nomad at " + settings.addressText());
        } catch (IOException e) {
            throw unreachable(method, path, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw refusal(method, path, response.statusCode(), response.body(), needs);
        }
        OptionalLong index = response.headers().firstValue("X-Nomad-Index").map(NomadApi::parseIndex)
                .orElse(OptionalLong.empty());
        String text = response.body();
        if (text == null || text.isBlank()) {
            return new Answer(MissingNode.getInstance(), index);
        }
        try {
            return new Answer(mapper.readTree(text), index);
        } catch (JsonProcessingException e) {
            throw new NomadException(response.statusCode(), "Nomad at " + settings.addressText() + " answered " + method
                    + " " + path + " with something that is not JSON (" + e.getOriginalMessage()
                    + "); is runtime.address the address of a Nomad agent?");
        }
    }

    /** The URI of {@code path} with the namespace, the region and {@code query}. */
    URI uri(String path, Map<String, String> query) {
        Map<String, String> all = new LinkedHashMap<>(query);
        all.put("namespace", settings.namespace());
        settings.region().ifPresent(region -> all.put("region", region));
        String text = all.entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        return URI.create(settings.addressText() + path + "?" + text);
    }

    /** A request to {@code uri} with the token, if any. */
    HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).header("Accept", "application/json");
        settings.token().ifPresent(token -> builder.header("X-Nomad-Token", token));
        return builder;
    }

    /** One path segment (a job or allocation ID, a service name), encoded. */
    static String segment(String value) {
        return encode(value);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static OptionalLong parseIndex(String text) {
        try {
            return OptionalLong.of(Long.parseLong(text.trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The exception for a call that never got an answer. */
    NomadException unreachable(String method, String path, IOException e) {
        String why;
        if (e instanceof HttpConnectTimeoutException) {
            why = "the connection timed out";
        } else if (e instanceof HttpTimeoutException) {
            return new NomadException(0, "Nomad at " + settings.addressText() + " did not answer " + method + " " + path
                    + " within " + requestTimeout.toSeconds() + "s; check that the agent is healthy");
        } else if (e instanceof ConnectException) {
            why = e.getMessage() == null ? "connection refused" : "connection refused: " + e.getMessage();
        } else {
            why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        return new NomadException(0, "Nomad at " + settings.addressText() + " is unreachable (" + why + "); start the"
                + " Nomad agent there, or set runtime.address or NOMAD_ADDR to the address of one");
    }

    /** The exception for an error answer: Nomad's bare text message, and what to fix. */
    NomadException refusal(String method, String path, int status, String body, String needs) {
        String message = firstLine(body);
        String address = settings.addressText();
        boolean tokenProblem = status == 403 || status == 401
                || status == 500 && (message.contains("ACL token expired") || message.contains("ACL token not found"));
        if (tokenProblem) {
            String refused = settings.token().isPresent()
                    ? "Nomad at " + address + " refused the token (" + status + " " + message + ")"
                    : "Nomad at " + address + " refused the request, which carried no token (" + status + " " + message
                            + ")";
            return new NomadException(status, refused + " for " + method + " " + path + "; set runtime.token or"
                    + " NOMAD_TOKEN to a token with " + needs + " in namespace " + settings.namespace());
        }
        return new NomadException(status, "Nomad at " + address + " answered " + status
                + (message.isEmpty() ? "" : " (" + message + ")") + " to " + method + " " + path);
    }

    private static String firstLine(String body) {
        if (body == null) {
            return "";
        }
        String line = body.strip();
        int end = line.indexOf('\n');
        if (end >= 0) {
            line = line.substring(0, end).strip();
        }
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
