package io.aegis.core.internal.recovery;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;

/**
 * {@code onFailure: rollback}: has the runtime go back to the previous known-good release of the workload
 * ({@link RuntimeAdapter#rollback()}). Runs once per incident: a rollback that did not help is not repeated.
 */
public final class RollbackActionFactory extends RuntimeActionFactory {
    /** The step's name in {@code actions.onFailure}. */
    public static final String NAME = "rollback";

    public RollbackActionFactory() {
        super(NAME, RuntimeOperation.ROLLBACK, RuntimeAdapter::rollback, "roll back",
                "rolled back to the previous release");
    }
}
