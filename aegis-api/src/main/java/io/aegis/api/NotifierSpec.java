package io.aegis.api;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Everything a {@link NotifierFactory} needs to create one notifier.
 *
 * @param name the notifier's name in the configuration (for example {@code webhook})
 * @param settings its configuration block
 * @param blockingExecutor a bounded pool for blocking work
 */
public record NotifierSpec(String name, Settings settings, Executor blockingExecutor) {
    /**
     * Validates the values.
     *
     * @param name the notifier's name in the configuration (for example {@code webhook})
     * @param settings its configuration block
     * @param blockingExecutor a bounded pool for blocking work
     */
    public NotifierSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(blockingExecutor, "blockingExecutor");
    }
}
