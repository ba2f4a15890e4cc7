package io.aegis.testkit.engine;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Checker {@code type: hostile} for the Hostile* tests: the endpoint names a behaviour the test registers (complete
 * on a thread of its own later, synchronously, throw, fail the stage, never answer...), and counts the calls.
 */
public final class HostileCheckerFactory implements HealthCheckerFactory {
    static final Map<String, Function<CheckContext, CompletionStage<CheckResult>>> BEHAVIOURS =
            new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();

    static void behave(String endpoint, Function<CheckContext, CompletionStage<CheckResult>> behaviour) {
        BEHAVIOURS.put(endpoint, behaviour);
        CALLS.put(endpoint, new AtomicInteger());
    }

    static int calls(String endpoint) {
        return CALLS.get(endpoint).get();
    }

    @Override
    public String type() {
        return "hostile";
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        String endpoint = spec.endpoint();
        return context -> {
            CALLS.computeIfAbsent(endpoint, e -> new AtomicInteger()).incrementAndGet();
            return BEHAVIOURS.get(endpoint).apply(context);
        };
    }
}
