package io.aegis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.core.AegisConfig;
import io.aegis.core.HttpApiConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How the {@code aegis} subcommands talk to a running aegis: its HTTP API, found as supervisorctl finds
 * supervisord. The server is {@code --server}, else {@code AEGIS_SERVER}, else {@code global.api} of the
 * configuration file ({@code --config}, default {@code aegis.yaml} when it exists), else
 * {@code http://127.0.0.1:9098}; the token is {@code AEGIS_TOKEN}, else the file's {@code global.api} token.
 */
final class ApiClient {
    /** A call that failed: the sentence to print and the exit code. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        Failure(String sentence, int exitCode) {
            super(sentence, null, false, false);
            this.exitCode = exitCode;
        }
    }

    /** A running aegis did not answer (or is not there): the exit code scripts can tell apart. */
    static final int EXIT_UNREACHABLE = 3;
    /** aegis answered with an error. */
    static final int EXIT_REFUSED = 1;

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    /** A reload waits for removed and restarted workloads to stop, each with its grace period. */
    private static final Duration RELOAD_TIMEOUT = Duration.ofMinutes(15);

    final URI server;
    private final Optional<String> token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    final ObjectMapper json = new ObjectMapper();

    private ApiClient(URI server, Optional<String> token) {
        this.server = server;
        this.token = token;
    }

    static ApiClient locate(String serverOption, Path configFile, Map<String, String> env) throws Failure {
        Optional<HttpApiConfig> fromFile = Optional.empty();
        Path config = configFile != null ? configFile : Path.of("aegis.yaml");
        if (Files.isRegularFile(config)) {
            try {
                HttpApiConfig api = AegisConfig.load(config, env).api();
                fromFile = api.enabled() ? Optional.of(api) : Optional.empty();
            } catch (RuntimeException e) {
                // an unreadable file: not where the server is said to be; the defaults and flags still apply
            }
        } else if (configFile != null) {
            throw new Failure("aegis: configuration file not found: " + configFile.toAbsolutePath()
                    + " (--config names the file of the running aegis, to find its API)", 2);
        }
        String server = serverOption != null ? serverOption
                : env.get("AEGIS_SERVER") != null && !env.get("AEGIS_SERVER").isBlank() ? env.get("AEGIS_SERVER")
                : fromFile.map(api -> "http://" + connectHost(api.host()) + ":" + api.port())
                        .orElse("http://" + HttpApiConfig.DEFAULT_HOST + ":" + HttpApiConfig.DEFAULT_PORT);
        if (!server.contains("://")) {
            server = "http://" + server;
        }
        URI uri;
        try {
            uri = URI.create(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
            if (uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("no host");
            }
        } catch (IllegalArgumentException e) {
            throw new Failure("aegis: --server/AEGIS_SERVER: expected a URL such as http://127.0.0.1:9098, found \""
                    + server + "\"", 2);
        }
        Optional<String> fileToken = fromFile.flatMap(HttpApiConfig::token);
        Optional<String> token = Optional.ofNullable(env.get("AEGIS_TOKEN")).map(String::strip)
                .filter(t -> !t.isEmpty()).or(() -> fileToken);
        if (token.isPresent() && token.get().chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
            // said without the value: a token is never echoed
            throw new Failure("aegis: AEGIS_TOKEN holds a space or a control character inside it; a token is one"
                    + " word (its surrounding blanks and newline are ignored)", 2);
        }
        return new ApiClient(uri, token);
    }

    /** 0.0.0.0 binds every address; this machine reaches it on loopback. */
    private static String connectHost(String bound) {
        if (bound.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (bound.equals("::") || bound.equals("[::]")) {
            return "[::1]";
        }
        return bound.contains(":") && !bound.startsWith("[") ? "[" + bound + "]" : bound;
    }

    JsonNode get(String path) throws Failure {
        return call("GET", path, null);
    }

    JsonNode post(String path, Object body) throws Failure {
        return call("POST", path, body);
    }

    JsonNode delete(String path) throws Failure {
        return call("DELETE", path, null);
    }

    /** The answer's JSON, or a Failure with aegis' own sentence. */
    JsonNode call(String method, String path, Object body) throws Failure {
        HttpResponse<String> response = send(method, path, body);
        if (response.statusCode() >= 400 && response.statusCode() != 422) {
            throw refused(response.statusCode(), response.body());
        }
        try {
            return response.body().isBlank() ? json.createObjectNode() : json.readTree(response.body());
        } catch (IOException e) {
            throw new Failure("aegis: " + server + " answered " + response.statusCode() + " with something other"
                    + " than aegis' JSON: is it an aegis API?", EXIT_REFUSED);
        }
    }

    /** aegis' own sentence from an error answer ({@code {"error": ...}}), or its status when it has none. */
    private Failure refused(int status, String body) {
        String sentence;
        try {
            sentence = json.readTree(body).path("error").asText("HTTP " + status);
        } catch (IOException e) {
            sentence = "HTTP " + status;
        }
        if (status == 401 && token.isEmpty()) {
            sentence += " (set AEGIS_TOKEN)";
        }
        return new Failure("aegis: " + sentence, EXIT_REFUSED);
    }

    private HttpResponse<String> send(String method, String path, Object body) throws Failure {
        HttpRequest.Builder request = request(path).timeout(path.startsWith("/api/v1/reload") ? RELOAD_TIMEOUT
                : CALL_TIMEOUT);
        try {
            request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
            if (body != null) {
                request.header("Content-Type", "application/json");
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("aegis: interrupted", EXIT_REFUSED);
        }
    }

    /** An open event stream: its body, read line by line by the caller. */
    InputStream stream(String path) throws Failure {
        try {
            // the timeout covers the answer's head: a server that accepts and never answers is not waited on forever
            HttpResponse<InputStream> response = http.send(request(path).header("Accept", "text/event-stream")
                    .timeout(CALL_TIMEOUT).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                try (InputStream body = response.body()) {
                    throw refused(response.statusCode(), new String(body.readAllBytes(),
                            java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            return response.body();
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("aegis: interrupted", EXIT_REFUSED);
        }
    }

    /** Whether {@code e} comes of a host name that does not resolve (the JDK says so as a ConnectException). */
    private static boolean unresolved(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.nio.channels.UnresolvedAddressException
                    || cause instanceof java.net.UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server + path));
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        return request;
    }

    private Failure unreachable(IOException e) {
        String why = unresolved(e) ? "cannot resolve the host name " + server.getHost()
                : e instanceof ConnectException ? "connection refused"
                : e instanceof HttpConnectTimeoutException ? "no answer to connect within "
                + CONNECT_TIMEOUT.toSeconds() + " s"
                : e instanceof HttpTimeoutException ? "no answer within " + CALL_TIMEOUT.toSeconds() + " s"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new Failure("aegis: no aegis is answering at " + server + " (" + why + "). Is it running, with"
                + " global.api enabled in its configuration? --server or AEGIS_SERVER point to another one.",
                EXIT_UNREACHABLE);
    }
}
