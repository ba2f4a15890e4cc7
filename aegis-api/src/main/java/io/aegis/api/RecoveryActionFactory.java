package io.aegis.api;

import java.util.Set;

/**
 * Creates the {@link RecoveryAction} named in {@code actions.onFailure}. Found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/io.aegis.api.RecoveryActionFactory};
 * needs a public no-argument constructor.
 */
public interface RecoveryActionFactory {

    /** {@return the name used in {@code onFailure:}, such as {@code restart}; lower case, unique} */
    String name();

    /**
     * {@return whether the action needs the service to have a {@code runtime:}; the engine rejects configs that lack
     * one}
     */
    default boolean requiresRuntime() {
        return false;
    }

    /**
     * {@return the runtime operations the action calls, such as {@link RuntimeOperation#ROLLBACK}: the engine rejects,
     * when it is built, a service whose runtime does not list them all in {@link RuntimeAdapter#supportedOperations()}
     * (a step that cannot work is found at load time, not at the first incident)} By default none.
     */
    default Set<RuntimeOperation> requiredOperations() {
        return Set.of();
    }

    /**
     * Creates the action for one service from its {@code actions} block.
     *
     * @param settings the action's block under the service's {@code actions}
     * @return the action of one service
     * @throws ConfigException naming every invalid key
     */
    RecoveryAction create(Settings settings);
}
