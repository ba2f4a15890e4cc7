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
 * {@code onFailure: isolate}: has the runtime take the workload out of traffic and keep it running, for a person
 * to debug ({@link RuntimeAdapter#isolate()}). The recovery coordinator then marks the service ISOLATED, stops
 * every automatic recovery of it and raises one critical alert saying how to bring it back.
 */
public final class IsolateActionFactory implements RecoveryActionFactory {
    /** The step's name in {@code actions.onFailure}. */
    public static final String NAME = "isolate";

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
        return Set.of(RuntimeOperation.ISOLATE);
    }

    @Override
    public RecoveryAction create(Settings settings) {
        return IsolateActionFactory::isolate;
    }

    static CompletableFuture<ActionOutcome> isolate(RecoveryContext context) {
        RuntimeAdapter runtime = context.runtime().orElse(null);
        if (runtime == null) {
            return CompletableFuture.completedFuture(ActionOutcome.failed("the service has no runtime to isolate"));
        }
        return runtime.isolate().toCompletableFuture()
                .handle((ignored, failure) -> failure == null
                        ? ActionOutcome.succeeded("taken out of traffic; the workload keeps running")
                        : ActionOutcome.failed("isolate failed: " + RestartActionFactory.messageOf(failure)));
    }
}
