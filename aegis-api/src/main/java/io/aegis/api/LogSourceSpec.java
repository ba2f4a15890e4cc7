package io.aegis.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Everything needed to create one {@link LogSource}.
 *
 * @param serviceName the service whose log this is
 * @param settings the source's configuration block (a {@code logs.files[]} entry: for the {@code file} type its
 *     {@code path}, a file or a glob); empty for a runtime's own output
 * @param fromBeginning whether to read what the files hold already at the first start (by default a source starts
 *     at the end, as {@code tail -F} does, and only new lines are delivered); positions remembered in {@code
 *     stateDirectory} from an earlier run win over it
 * @param maxLineLength the longest line delivered whole, in bytes; a longer one is cut to this length
 * @param scanInterval how often a source that cannot be told of new data (files on a file system without change
 *     notifications) looks for it; also the longest a source that is told waits before it looks anyway
 * @param stateDirectory a directory private to this source where it may remember how far it read, the same in every
 *     run of the same configuration; empty when the engine keeps no state (then a restart starts at the end again)
 * @param blockingExecutor a bounded pool for blocking work, shared with the engine's other plugins
 */
public record LogSourceSpec(String serviceName, Settings settings, boolean fromBeginning, int maxLineLength,
        Duration scanInterval, Optional<Path> stateDirectory, Executor blockingExecutor) {
    /**
     * Validates the values.
     *
     * @param serviceName the service whose log this is
     * @param settings the source's configuration block (a {@code logs.files[]} entry: for the {@code file} type its
     *     {@code path}, a file or a glob); empty for a runtime's own output
     * @param fromBeginning whether to read what the files hold already at the first start (by default a source starts
     *     at the end, as {@code tail -F} does, and only new lines are delivered); positions remembered in {@code
     *     stateDirectory} from an earlier run win over it
     * @param maxLineLength the longest line delivered whole, in bytes; a longer one is cut to this length
     * @param scanInterval how often a source that cannot be told of new data (files on a file system without change
     *     notifications) looks for it; also the longest a source that is told waits before it looks anyway
     * @param stateDirectory a directory private to this source where it may remember how far it read, the same in every
     *     run of the same configuration; empty when the engine keeps no state (then a restart starts at the end again)
     * @param blockingExecutor a bounded pool for blocking work, shared with the engine's other plugins
     */
    public LogSourceSpec {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(scanInterval, "scanInterval");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(blockingExecutor, "blockingExecutor");
        if (maxLineLength < 1) {
            throw new IllegalArgumentException("maxLineLength must be at least 1, got " + maxLineLength);
        }
        if (scanInterval.isNegative() || scanInterval.isZero()) {
            throw new IllegalArgumentException("scanInterval must be positive, got " + scanInterval);
        }
    }
}
