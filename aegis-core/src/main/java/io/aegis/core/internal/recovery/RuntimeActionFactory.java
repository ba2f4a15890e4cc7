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
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * A step that asks the service's runtime for one operation ({@code restart}, {@code rollback}, {@code isolate}) and
 * reports how it went. The three built-in runtime steps differ only in the operation, its name and its messages.
 */
abstract class RuntimeActionFactory implements RecoveryActionFactory {
    private final String name;
    private final RuntimeOperation operation;
    private final Function<RuntimeAdapter, CompletionStage<?>> call;
    private final String noRuntime;
    private final String succeeded;
    private final RecoveryAction action = this::run;

    /**
     * @param noRuntime what the step could not do without a runtime, e.g. "restart" for "the service has no runtime
     *                  to restart"
     */
    RuntimeActionFactory(String name, RuntimeOperation operation, Function<RuntimeAdapter, CompletionStage<?>> call,
            String noRuntime, String succeeded) {
        this.name = name;
        this.operation = operation;
        this.call = call;
        this.noRuntime = noRuntime;
        this.succeeded = succeeded;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final boolean requiresRuntime() {
        return true;
    }

    @Override
    public final Set<RuntimeOperation> requiredOperations() {
        return Set.of(operation);
    }

    @Override
    public final RecoveryAction create(Settings settings) {
        return action;
    }

    private CompletableFuture<ActionOutcome> run(RecoveryContext context) {
        RuntimeAdapter runtime = context.runtime().orElse(null);
        if (runtime == null) {
            return CompletableFuture.completedFuture(ActionOutcome.failed("the service has no runtime to " + noRuntime));
        }
        return call.apply(runtime).toCompletableFuture()
                .handle((ignored, failure) -> failure == null
                        ? ActionOutcome.succeeded(succeeded)
                        : ActionOutcome.failed(name + " failed: " + messageOf(failure)));
    }

    static String messageOf(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }
}
