package io.aegis.api;

/**
 * Creates {@link HealthChecker}s of one type. Found by {@link java.util.ServiceLoader}: list the
 * implementation in {@code META-INF/services/io.aegis.api.HealthCheckerFactory}. It needs a public
 * no-argument constructor.
 *
 * <p>One factory instance lives as long as one engine, so it is the place for resources its checkers
 * share (an HTTP client); release them in {@link #close()}.
 */
public interface HealthCheckerFactory extends AutoCloseable {

    /** {@return the {@code type:} value this factory serves, such as {@code http}; lower case, unique} */
    String type();

    /**
     * Creates the checker of one service, validating its settings.
     *
     * @param spec the service and its settings
     * @return the service's checker
     * @throws ConfigException naming every invalid key (for example a malformed endpoint)
     */
    HealthChecker create(CheckerSpec spec);

    /** Releases shared resources; called once when the engine stops, after every checker is closed. */
    @Override
    default void close() {
    }
}
