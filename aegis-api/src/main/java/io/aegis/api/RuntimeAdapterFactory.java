package io.aegis.api;

/**
 * Creates {@link RuntimeAdapter}s of one type ({@code process}, {@code docker}, ...). Found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/io.aegis.api.RuntimeAdapterFactory};
 * needs a public no-argument constructor. One instance lives as long as one engine.
 */
public interface RuntimeAdapterFactory extends AutoCloseable {

    /** The {@code runtime.type:} value this factory serves; lower case, unique. */
    String type();

    /**
     * Creates the adapter of one service without starting anything, validating its settings.
     *
     * @throws ConfigException naming every invalid key
     */
    RuntimeAdapter create(RuntimeSpec spec);

    /** Releases shared resources; called once when the engine stops, after every adapter is closed. */
    @Override
    default void close() {
    }
}
