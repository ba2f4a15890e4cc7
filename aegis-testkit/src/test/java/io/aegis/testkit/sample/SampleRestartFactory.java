package io.aegis.testkit.sample;

import io.aegis.api.ActionOutcome;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.Settings;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Action {@code sample-restart}: restarts the service's workload and says how that went, which keeps every rule;
 * and the same action with one {@link Fault} each, to show that the kit catches it and names the rule.
 */
public class SampleRestartFactory implements RecoveryActionFactory {
    /** One deliberate break of the contract. */
    public enum Fault {
        NONE,
        /** Completes its stage once the restart is done, then rolls back as well, 20 ms later on a pool thread. */
        CALLS_AFTER_COMPLETION
    }

    private final Fault fault;

    /** The action that keeps every rule (what ServiceLoader makes). */
    public SampleRestartFactory() {
        this(Fault.NONE);
    }

    /** The action with {@code fault}. */
    public SampleRestartFactory(Fault fault) {
        this.fault = fault;
    }

    @Override
    public String name() {
        return "sample-restart";
    }

    @Override
    public boolean requiresRuntime() {
        return true;
    }

    @Override
    public Set<RuntimeOperation> requiredOperations() {
        // The faulty one declares its rollback: only calling it late is wrong.
        return fault == Fault.CALLS_AFTER_COMPLETION ? EnumSet.of(RuntimeOperation.RESTART, RuntimeOperation.ROLLBACK)
                : EnumSet.of(RuntimeOperation.RESTART);
    }

    @Override
    public RecoveryAction create(Settings settings) {
        return context -> {
            if (context.runtime().isEmpty()) {
                return CompletableFuture.completedFuture(ActionOutcome.skipped("the service has no runtime"));
            }
            RuntimeAdapter runtime = context.runtime().get();
            return runtime.restart().handle((done, failure) -> {
                if (fault == Fault.CALLS_AFTER_COMPLETION) {
                    CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS).execute(runtime::rollback);
                }
                return failure == null ? ActionOutcome.succeeded("restarted")
                        : ActionOutcome.failed("the restart failed: " + failure.getMessage());
            });
        };
    }
}
