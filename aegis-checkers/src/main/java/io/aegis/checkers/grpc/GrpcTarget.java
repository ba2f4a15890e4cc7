package io.aegis.checkers.grpc;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code host:port} or {@code [ipv6]:port} endpoint of a gRPC server.
 *
 * <p>The host is kept as written and resolved by gRPC's own DNS resolver (on the factory's offload pool),
 * which also follows a server whose address changes.
 *
 * @param host the host name or address literal, without brackets
 * @param port from 1 to 65535
 */
record GrpcTarget(String host, int port) {
    static final String EXPECTED = "expected host:port (or [ipv6-address]:port) with a port from 1 to 65535";

    private static final Pattern BRACKETED = Pattern.compile("\\[([0-9A-Fa-f:.%a-zA-Z]+)]:(\\d{1,5})");
    private static final Pattern PLAIN = Pattern.compile("([^\\s:\\[\\]/]+):(\\d{1,5})");

    /**
     * Parses {@code endpoint}.
     *
     * @throws IllegalArgumentException saying what was expected
     */
    static GrpcTarget parse(String endpoint) {
        String text = endpoint.trim();
        Matcher matcher = BRACKETED.matcher(text);
        if (!matcher.matches()) {
            matcher = PLAIN.matcher(text);
            if (!matcher.matches()) {
                throw invalid(endpoint);
            }
        }
        int port = Integer.parseInt(matcher.group(2));
        if (port < 1 || port > 65535) {
            throw invalid(endpoint);
        }
        return new GrpcTarget(matcher.group(1), port);
    }

    private static IllegalArgumentException invalid(String endpoint) {
        return new IllegalArgumentException(EXPECTED + ", found \"" + endpoint + "\"");
    }

    /** The endpoint as a person writes it: {@code host:port} or {@code [::1]:port}. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
