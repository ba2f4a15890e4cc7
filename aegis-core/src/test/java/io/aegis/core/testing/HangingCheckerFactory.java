package io.aegis.core.testing;

import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * Deliberately misbehaving third-party checkers for engine tests: {@code type: test-hang} never completes
 * its check, {@code type: test-throw} throws from {@code check}, {@code type: test-error} throws an
 * {@link AssertionError}, {@code type: test-block} blocks inside {@code check} until {@link #RELEASE} is
 * counted down. The engine must survive all of them.
 */
public final class HangingCheckerFactory implements HealthCheckerFactory {
    /** Releases every checker blocked in {@code test-block}; tests count it down when they end. */
    public static volatile CountDownLatch RELEASE = new CountDownLatch(1);

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

    /** Throws an Error, which a careless catch of RuntimeException would let through. */
    public static final class ErrorThrowing implements HealthCheckerFactory {
        @Override
        public String type() {
            return "test-error";
        }

        @Override
        public HealthChecker create(CheckerSpec spec) {
            return context -> {
                throw new AssertionError("bug in plugin");
            };
        }
    }

    /** Blocks the calling thread inside check(), which a checker must never do. */
    public static final class Blocking implements HealthCheckerFactory {
        @Override
        public String type() {
            return "test-block";
        }

        @Override
        public HealthChecker create(CheckerSpec spec) {
            return context -> {
                try {
                    RELEASE.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new CompletableFuture<CheckResult>();
            };
        }
    }
}
