package io.aegis.core.testing;

import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code type: test-counted}: a passing check whose factory counts how often it is constructed, for the test that
 * plugin discovery constructs only the factories a configuration names. Listed last in the test's service file.
 */
public final class CountingCheckerFactory implements HealthCheckerFactory {
    /** How many instances were constructed in this JVM. */
    public static final AtomicInteger CONSTRUCTED = new AtomicInteger();

    public CountingCheckerFactory() {
        CONSTRUCTED.incrementAndGet();
    }

    @Override
    public String type() {
        return "test-counted";
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        return context -> CompletableFuture.completedFuture(CheckResult.healthy(Duration.ZERO));
    }
}
