package io.aegis.core.internal.recovery;

import io.aegis.api.ActionOutcome;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import java.util.concurrent.CompletableFuture;

/** {@code onFailure: ignore}: records the failure (state, events, metrics) and does nothing else. */
public final class IgnoreActionFactory implements RecoveryActionFactory {

    @Override
    public String name() {
        return "ignore";
    }

    @Override
    public RecoveryAction create(Settings settings) {
        return context -> CompletableFuture.completedFuture(ActionOutcome.skipped("onFailure is ignore"));
    }
}
