package io.aegis.checkers.grpc;

import io.aegis.api.CheckerSpec;
import io.aegis.api.ConfigException;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.grpc.ManagedChannel;

/**
 * Creates {@code type: grpc} checkers, which ask a server's standard health service
 * ({@code grpc.health.v1.Health/Check}) for its status.
 *
 * <p>The service's configuration block is read for these keys:
 * <pre>{@code
 * endpoint: orders.internal:50051      # required: host:port, or [ipv6-address]:port
 * metadata:
 *   service: "orders.v1.OrderService"  # optional service name; empty or absent asks about the whole server
 * tls:                                 # optional; without this block the connection is plaintext
 *   enabled: true                      # default true inside the block; false turns TLS off again
 *   caFile: /etc/aegis/ca.pem          # optional PEM CA certificates; default: the JVM's trust store
 * headers:                             # optional call metadata, sent with every check
 *   authorization: "Bearer ${TOKEN}"
 * }</pre>
 *
 * <p>The check's timeout is the call's deadline. {@code SERVING} passes, {@code NOT_SERVING} is unhealthy,
 * and {@code SERVICE_UNKNOWN}, {@code UNKNOWN} or an unregistered service name are unknown; a server that
 * cannot be reached, does not answer in time or has no health service fails with the reason
 * {@code connect}, {@code timeout} or {@code protocol}.
 *
 * <p>The unknown answers carry the reason {@code status}, not {@code plugin_error}: the server did answer the
 * health protocol, and a name it does not know is usually a wrong {@code metadata.service} that should count
 * as a failure and show up under its own metrics label, instead of passing as "no verdict" forever.
 * {@code UNAUTHENTICATED} and {@code PERMISSION_DENIED} are unknown with {@code status} too (the headers are
 * wrong; the service may be fine); any other gRPC error status is unhealthy with {@code status}.
 *
 * <p>Checkers of the same server with the same TLS settings share one channel, kept open between checks.
 * The channels run on this factory's own daemon threads ({@code aegis-grpc-*}), started with the first
 * checker; {@link #close()} shuts the channels down, giving calls in flight a second, and stops the threads.
 */
public final class GrpcCheckerFactory implements HealthCheckerFactory {
    /** The {@code type:} this factory serves. */
    public static final String TYPE = "grpc";

    private final GrpcChannels channels = new GrpcChannels();

    /** Creates the factory; it starts no thread until it creates its first checker. */
    public GrpcCheckerFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        GrpcCheckConfig config = GrpcCheckConfig.from(spec);
        ManagedChannel channel;
        try {
            channel = channels.channelFor(config);
        } catch (IllegalArgumentException e) {
            // gRPC checks the TLS set-up when it builds the channel; the CA file is the only part a person chose
            throw new ConfigException(spec.settings().keyPath("tls"), "cannot set up TLS: " + e.getMessage());
        }
        return new GrpcChecker(config, channel);
    }

    /** The number of channels open; for tests of channel sharing. */
    int channelCount() {
        return channels.size();
    }

    @Override
    public void close() {
        channels.close();
    }
}
