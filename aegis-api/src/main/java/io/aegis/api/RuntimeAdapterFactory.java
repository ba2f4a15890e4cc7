package io.aegis.api;

/**
 * Creates {@link RuntimeAdapter}s of one type ({@code process}, {@code docker}, ...). Found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/io.aegis.api.RuntimeAdapterFactory};
 * needs a public no-argument constructor. One instance lives as long as one engine.
 */
public interface RuntimeAdapterFactory extends AutoCloseable {

    /** {@return the {@code runtime.type:} value this factory serves; lower case, unique} */
    String type();

    /**
     * Creates the adapter of one service without starting anything, validating its settings.
     *
     * @param spec the service, its {@code runtime:} block and where to report exits
     * @return the service's adapter, not started
     * @throws ConfigException naming every invalid key
     */
    RuntimeAdapter create(RuntimeSpec spec);

    /**
     * Stops what an earlier engine started, through an adapter of this type, for a service that is no longer
     * configured (renamed or removed), so that it does not outlive the engine. Called once when the engine
     * starts, before any workload starts, for every folder of the state directory that belongs to no configured
     * service; each factory looks for its own records in it and ignores the rest. Must return once nothing it
     * found runs (or give up and say why); the engine bounds the wait. By default nothing is done.
     *
     * @param serviceDirectory the state directory the earlier engine gave that service
     *     ({@link RuntimeSpec#stateDirectory()})
     */
    default void stopLeftovers(java.nio.file.Path serviceDirectory) {
    }

    /** Releases shared resources; called once when the engine stops, after every adapter is closed. */
    @Override
    default void close() {
    }
}
