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
import java.util.concurrent.CompletionException;

/** {@code onFailure: restart}: stops and starts the service's workload through its runtime. */
public final class RestartActionFactory implements RecoveryActionFactory {

    @Override
    public String name() {
        return "restart";
    }

    @Override
    public boolean requiresRuntime() {
        return true;
    }

    @Override
    public Set<RuntimeOperation> requiredOperations() {
        return Set.of(RuntimeOperation.RESTART);
    }

    @Override
    public RecoveryAction create(Settings settings) {
        return RestartActionFactory::restart;
    }

    private static CompletableFuture<ActionOutcome> restart(RecoveryContext context) {
        RuntimeAdapter runtime = context.runtime().orElse(null);
        if (runtime == null) {
            return CompletableFuture.completedFuture(ActionOutcome.failed("the service has no runtime to restart"));
        }
        return runtime.restart().toCompletableFuture()
                .handle((ignored, failure) -> failure == null
                        ? ActionOutcome.succeeded("restarted")
                        : ActionOutcome.failed("restart failed: " + messageOf(failure)));
    }

    static String messageOf(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }
}
