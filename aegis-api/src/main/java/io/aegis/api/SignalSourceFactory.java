package io.aegis.api;

/**
 * Creates {@link SignalSource}s of one type: where anomaly detection reads a service's own numbers besides aegis'
 * bundled ones (its Prometheus endpoint, {@code metrics:}; a Prometheus server, {@code query:}); a third-party jar
 * may add a StatsD feed, a cloud provider's monitoring API, ... Found by {@link java.util.ServiceLoader} through
 * {@code META-INF/services/io.aegis.api.SignalSourceFactory}; needs a public no-argument constructor. A service names
 * it with {@code signals: {type: <type>, ...its settings}}.
 */
public interface SignalSourceFactory extends AutoCloseable {

    /** {@return the type this factory serves; lower case, unique} */
    String type();

    /**
     * Creates one source, validating its settings; it measures nothing before {@link SignalSource#start()}.
     *
     * @param spec the service and the source's settings
     * @return the source, not started
     * @throws ConfigException naming every invalid key
     */
    SignalSource create(SignalSourceSpec spec);

    /** Releases shared resources; called once when the engine stops. */
    @Override
    default void close() {
    }
}
