package io.aegis.core.testing;

import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.util.concurrent.CompletableFuture;

/**
 * A deliberately misbehaving third-party checker for engine tests: {@code type: test-hang} never completes
 * its check, {@code type: test-throw} throws from {@code check}. The engine must survive both.
 */
public final class HangingCheckerFactory implements HealthCheckerFactory {
    @Override
    public String type() {
        return "test-hang";
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        return context -> new CompletableFuture<CheckResult>();
    }

    /** The throwing variant. */
    public static final class Throwing implements HealthCheckerFactory {
        @Override
        public String type() {
            return "test-throw";
        }

        @Override
        public HealthChecker create(CheckerSpec spec) {
            return context -> {
                throw new IllegalStateException("boom");
            };
        }
    }
}
