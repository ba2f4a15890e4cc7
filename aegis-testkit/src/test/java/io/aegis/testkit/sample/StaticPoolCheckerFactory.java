package io.aegis.testkit.sample;

import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Type {@code sample-static-pool}: checks that a file exists, on a pool held in a static field, started when the
 * class is first used and never ended (its factory's close() cannot tell whether another factory still uses it):
 * the leak the kit sees only when it loads the class afresh, because an earlier use started the pool before the
 * leak check looked.
 */
public class StaticPoolCheckerFactory implements HealthCheckerFactory {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService CHECKS = startPool();

    private static ExecutorService startPool() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                runnable -> {
                    Thread thread = new Thread(runnable, "sample-static-pool-" + THREADS.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.prestartAllCoreThreads();
        return pool;
    }

    @Override
    public String type() {
        return "sample-static-pool";
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        Path file = Path.of(spec.endpoint());
        return context -> CompletableFuture.supplyAsync(() -> Files.exists(file) ? CheckResult.healthy(Duration.ZERO)
                : CheckResult.unhealthy(FailureReason.STATUS, file + " does not exist", Duration.ZERO), CHECKS);
    }
}
