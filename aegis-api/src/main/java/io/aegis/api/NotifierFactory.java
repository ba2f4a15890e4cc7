package io.aegis.api;

/**
 * Creates {@link Notifier}s of one type ({@code webhook}, {@code alertmanager}, {@code log}). Found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/io.aegis.api.NotifierFactory}; needs a
 * public no-argument constructor.
 */
public interface NotifierFactory extends AutoCloseable {

    /** The type this factory serves; lower case, unique. */
    String type();

    /**
     * Creates one notifier, validating its settings.
     *
     * @throws ConfigException naming every invalid key
     */
    Notifier create(NotifierSpec spec);

    /** Releases shared resources; called once when the engine stops. */
    @Override
    default void close() {
    }
}
