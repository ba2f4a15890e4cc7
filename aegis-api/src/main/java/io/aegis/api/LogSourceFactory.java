package io.aegis.api;

/**
 * Creates {@link LogSource}s of one type ({@code file}; a third-party jar may add {@code journald}, a socket, ...).
 * Found by {@link java.util.ServiceLoader} through {@code META-INF/services/io.aegis.api.LogSourceFactory}; needs a
 * public no-argument constructor. A {@code logs.files[]} entry of the configuration names its type with {@code type}
 * ({@code file} when it is omitted).
 */
public interface LogSourceFactory extends AutoCloseable {

    /** {@return the type this factory serves; lower case, unique} */
    String type();

    /**
     * Creates one source, validating its settings; it reads nothing before {@link LogSource#start(LogSink)}.
     *
     * @param spec the service and the source's settings
     * @return the source, not started
     * @throws ConfigException naming every invalid key
     */
    LogSource create(LogSourceSpec spec);

    /** Releases shared resources; called once when the engine stops. */
    @Override
    default void close() {
    }
}
