package ${package};

/**
 * A parsed endpoint: {@code host:port}, or {@code [ipv6-address]:port}.
 *
 * @param host a host name or an IP address, without brackets
 * @param port from 1 to 65535
 */
record HostPort(String host, int port) {

    /**
     * Parses {@code endpoint}.
     *
     * @param endpoint the service's {@code endpoint:}
     * @return its host and port
     * @throws IllegalArgumentException saying what was expected and what was found
     */
    static HostPort parse(String endpoint) {
        String text = endpoint.trim();
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw invalid(endpoint);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw invalid(endpoint); // an IPv6 address without brackets: where does the port start?
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw invalid(endpoint);
        }
        if (host.isEmpty() || port < 1 || port > 65535) {
            throw invalid(endpoint);
        }
        return new HostPort(host, port);
    }

    private static IllegalArgumentException invalid(String endpoint) {
        return new IllegalArgumentException("expected host:port (or [ipv6-address]:port) with a port from 1 to 65535,"
                + " found \"" + endpoint + "\"");
    }

    /** The endpoint as a person writes it. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
