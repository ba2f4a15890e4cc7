package io.aegis.core;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code global.api}: where the HTTP API and status page of a running aegis listen, and the bearer token its
 * mutating calls need.
 *
 * <pre>{@code
 * global:
 *   api:
 *     enabled: true          # default: true when the api block is present, false without it
 *     host: 127.0.0.1        # default: loopback only
 *     port: 9098             # default 9098; 0 picks a free port
 *     token: "${AEGIS_TOKEN}" # or tokenFile: /etc/aegis/token
 * }</pre>
 *
 * <p>The engine does not serve it: the {@code aegis-http-api} module does (the {@code aegis} command includes it),
 * reading these values.
 *
 * @param enabled whether the API is served
 * @param host the address to bind
 * @param port the port, 0 for a free one
 * @param token the bearer token of mutating calls, if one is configured (from {@code token} or {@code tokenFile})
 */
public record HttpApiConfig(boolean enabled, String host, int port, Optional<String> token) {
    /** The port of {@code global.api.port} when it is not given. */
    public static final int DEFAULT_PORT = 9098;
    /** The address of {@code global.api.host} when it is not given: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** No API: what a configuration without {@code global.api} means. */
    public static final HttpApiConfig DISABLED = new HttpApiConfig(false, DEFAULT_HOST, DEFAULT_PORT,
            Optional.empty());

    /**
     * Validates the values.
     *
     * @param enabled whether the API is served
     * @param host the address to bind
     * @param port the port, 0 for a free one
     * @param token the bearer token of mutating calls, if one is configured (from {@code token} or {@code tokenFile})
     */
    public HttpApiConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(token, "token");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535, found " + port);
        }
    }

    /** Never shows the token. */
    @Override
    public String toString() {
        return "HttpApiConfig{enabled=" + enabled + ", host=" + host + ", port=" + port + ", token="
                + (token.isPresent() ? "***" : "none") + "}";
    }
}
