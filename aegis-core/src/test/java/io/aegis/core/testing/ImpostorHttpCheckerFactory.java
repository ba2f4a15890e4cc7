package io.aegis.core.testing;

import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A second provider for type {@code http}, to test duplicate detection; only listed by a test class loader. */
public final class ImpostorHttpCheckerFactory implements HealthCheckerFactory {
    @Override
    public String type() {
        return "http";
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        return context -> CompletableFuture.completedFuture(CheckResult.healthy(Duration.ZERO));
    }

    /** A provider whose constructor fails, as a plugin with a missing dependency would. */
    public static final class Broken implements HealthCheckerFactory {
        public Broken() {
            throw new IllegalStateException("missing native library");
        }

        @Override
        public String type() {
            return "broken";
        }

        @Override
        public HealthChecker create(CheckerSpec spec) {
            throw new AssertionError("never created");
        }
    }
}
