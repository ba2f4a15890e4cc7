package io.aegis.core.internal.metrics;

/**
 * The metrics endpoint could not start because another process (or another engine) already listens on
 * its port. The message is a sentence for the user that says what to change.
 */
public final class MetricsPortInUseException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final String host;
    private final int port;

    /**
     * @param host the address the endpoint tried to listen on
     * @param port the port that is taken
     * @param cause the bind failure
     */
    public MetricsPortInUseException(String host, int port, Throwable cause) {
        super("cannot serve metrics on " + MetricsServer.hostAndPort(host, port)
                + ": the port is already in use; set global.metricsPort (or AEGIS_METRICS_PORT) to a free port,"
                + " or metricsEnabled: false", cause);
        this.host = host;
        this.port = port;
    }

    /** The address the endpoint tried to listen on. */
    public String host() {
        return host;
    }

    /** The port that is taken. */
    public int port() {
        return port;
    }
}
