package io.aegis.benchmarks;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.util.ServiceLoader;

/**
 * Checker types {@code timed-http} and {@code timed-tcp}: the bundled {@code http} / {@code tcp} checker,
 * plus one {@link System#nanoTime()} stamp when the engine calls {@code check()}. That stamp is the
 * "actual start" of the scheduling-lag figures of the fleet scenario; everything else is the real checker.
 */
public abstract class TimedCheckerFactory implements HealthCheckerFactory {
    /** Counts a failed attempt by kind in {@link FleetAgent}; stateless, so one for every check. */
    private static final java.util.function.BiConsumer<io.aegis.api.CheckResult, Throwable> FAILURE_KINDS =
            (result, error) -> {
                if (result != null && !result.isPassing()) {
                    FleetAgent.recordFailure(result);
                } else if (error != null) {
                    // the engine cancels the stage when its own deadline ends the check first: a timeout
                    FleetAgent.recordFailure(error instanceof java.util.concurrent.CancellationException
                            ? io.aegis.api.CheckResult.unknown(io.aegis.api.FailureReason.TIMEOUT,
                                    "no verdict within the engine's deadline", java.time.Duration.ZERO)
                            : io.aegis.api.CheckResult.unknown(io.aegis.api.FailureReason.PLUGIN_ERROR,
                                    String.valueOf(error), java.time.Duration.ZERO));
                }
            };
    private final String delegateType;
    private HealthCheckerFactory delegate;

    TimedCheckerFactory(String delegateType) {
        this.delegateType = delegateType;
    }

    @Override
    public String type() {
        return "timed-" + delegateType;
    }

    @Override
    public synchronized HealthChecker create(CheckerSpec spec) {
        if (delegate == null) {
            delegate = ServiceLoader.load(HealthCheckerFactory.class, TimedCheckerFactory.class.getClassLoader())
                    .stream().map(ServiceLoader.Provider::get).filter(f -> f.type().equals(delegateType)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + delegateType + " checker on the class path"));
        }
        HealthChecker checker = delegate.create(CheckerSpec.builder(spec.serviceName(), delegateType, spec.endpoint())
                .interval(spec.interval()).timeout(spec.timeout()).settings(spec.settings())
                .metadata(spec.metadata()).blockingExecutor(spec.blockingExecutor()).build());
        int index = FleetAgent.serviceIndex(spec.serviceName());
        // Marked like the bundled checker it wraps (a stamp adds no blocking): the engine calls it inline, as it does
        // the real http and tcp checkers, so the fleet measures the engine's real path.
        return new io.aegis.plugin.support.NonBlockingChecker() {
            @Override
            public java.util.concurrent.CompletionStage<io.aegis.api.CheckResult> check(io.aegis.api.CheckContext c) {
                FleetAgent.recordStart(index, System.nanoTime());
                java.util.concurrent.CompletionStage<io.aegis.api.CheckResult> stage = checker.check(c);
                // the failure's kind, from the result the engine gets (no CheckCompleted listener: see FleetAgent)
                stage.whenComplete(FAILURE_KINDS);
                return stage;
            }

            // the wrapped checker's loop, so the engine ticks it there as it would the real checker
            @Override
            public java.util.Optional<java.util.concurrent.ScheduledExecutorService> checkLoop() {
                return checker instanceof io.aegis.plugin.support.NonBlockingChecker trusted ? trusted.checkLoop()
                        : java.util.Optional.empty();
            }

            @Override
            public void close() {
                checker.close();
            }
        };
    }

    @Override
    public synchronized void close() {
        if (delegate != null) {
            delegate.close();
        }
    }

    /** {@code timed-http}. */
    public static final class Http extends TimedCheckerFactory {
        public Http() {
            super("http");
        }
    }

    /** {@code timed-tcp}. */
    public static final class Tcp extends TimedCheckerFactory {
        public Tcp() {
            super("tcp");
        }
    }
}
