package io.aegis.core.internal.recovery;

import io.aegis.api.ActionOutcome;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.RecoveryContext;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.Settings;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code onFailure: rollback}: has the runtime go back to the previous known-good release of the workload
 * ({@link RuntimeAdapter#rollback()}). Runs once per incident: a rollback that did not help is not repeated.
 */
public final class RollbackActionFactory implements RecoveryActionFactory {
    /** The step's name in {@code actions.onFailure}. */
    public static final String NAME = "rollback";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean requiresRuntime() {
        return true;
    }

    @Override
    public Set<RuntimeOperation> requiredOperations() {
        return Set.of(RuntimeOperation.ROLLBACK);
    }

    @Override
    public RecoveryAction create(Settings settings) {
        return RollbackActionFactory::rollback;
    }

    private static CompletableFuture<ActionOutcome> rollback(RecoveryContext context) {
        RuntimeAdapter runtime = context.runtime().orElse(null);
        if (runtime == null) {
            return CompletableFuture.completedFuture(ActionOutcome.failed("the service has no runtime to roll back"));
        }
        return runtime.rollback().toCompletableFuture()
                .handle((ignored, failure) -> failure == null
                        ? ActionOutcome.succeeded("rolled back to the previous release")
                        : ActionOutcome.failed("rollback failed: " + RestartActionFactory.messageOf(failure)));
    }
}
