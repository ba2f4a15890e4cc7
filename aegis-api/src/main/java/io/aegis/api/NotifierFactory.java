package io.aegis.api;

/**
 * Creates {@link Notifier}s of one type ({@code webhook}, {@code alertmanager}, {@code log}). Found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/io.aegis.api.NotifierFactory}; needs a
 * public no-argument constructor.
 */
public interface NotifierFactory extends AutoCloseable {

    /** {@return the type this factory serves; lower case, unique} */
    String type();

    /**
     * Creates one notifier, validating its settings.
     *
     * @param spec the notifier's name and settings
     * @return the notifier
     * @throws ConfigException naming every invalid key
     */
    Notifier create(NotifierSpec spec);

    /** Releases shared resources; called once when the engine stops. */
    @Override
    default void close() {
    }
}
