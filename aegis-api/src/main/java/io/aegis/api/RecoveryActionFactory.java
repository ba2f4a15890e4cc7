package io.aegis.api;

/**
 * Creates the {@link RecoveryAction} named in {@code actions.onFailure}. Found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/io.aegis.api.RecoveryActionFactory};
 * needs a public no-argument constructor.
 */
public interface RecoveryActionFactory {

    /** The name used in {@code onFailure:}, such as {@code restart}; lower case, unique. */
    String name();

    /** Whether the action needs the service to have a {@code runtime:}; the engine rejects configs that lack one. */
    default boolean requiresRuntime() {
        return false;
    }

    /**
     * Creates the action for one service from its {@code actions} block.
     *
     * @throws ConfigException naming every invalid key
     */
    RecoveryAction create(Settings settings);
}
