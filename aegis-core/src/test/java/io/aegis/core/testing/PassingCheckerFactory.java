package io.aegis.core.testing;

import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * {@code type: test-pass}: a check that always passes. With a runtime, the engine turns a pass into NOT_RUNNING
 * while the workload is not running, so the service is healthy exactly while its process lives: cheap supervision
 * for tests of many real processes (a {@code sleep} each) without a server per process.
 */
public final class PassingCheckerFactory implements HealthCheckerFactory {

    @Override
    public String type() {
        return "test-pass";
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        return context -> CompletableFuture.completedFuture(CheckResult.healthy(Duration.ZERO));
    }
}
