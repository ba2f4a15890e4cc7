package io.aegis.core.internal.recovery;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Asked by a {@link RecoveryCoordinator} just before it runs a recovery step: is this service's failure another
 * service's doing (a dependency it needs is down)? The answer may take a moment (the dependencies are checked
 * first), and must come within a bound.
 */
@FunctionalInterface
public interface FailureAttribution {
    /**
     * Completes with what the failure is attributed to, in words ({@code "db is down"}), or empty when it is the
     * service's own and recovery should go ahead.
     */
    CompletionStage<Optional<String>> blame();
}
