package io.aegis.testkit.engine;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checker {@code type: scripted} for the harness' own tests: the endpoint names a {@link Script} the test sets, which
 * answers on a thread of its own a few milliseconds of real time later (as a network check does), or never.
 */
public final class ScriptedCheckerFactory implements HealthCheckerFactory {
    static final Map<String, Script> SCRIPTS = new ConcurrentHashMap<>();

    /** What the checker of an endpoint answers. */
    enum Verdict { HEALTHY, FAILING, NEVER }

    /** The verdict of an endpoint's checks, and how many were asked for. */
    static final class Script {
        volatile Verdict verdict = Verdict.HEALTHY;
        final AtomicInteger checks = new AtomicInteger();
    }

    static Script script(String endpoint) {
        return SCRIPTS.computeIfAbsent(endpoint, name -> new Script());
    }

    @Override
    public String type() {
        return "scripted";
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        Script script = script(spec.endpoint());
        return context -> check(script, context);
    }

    private static CompletionStage<CheckResult> check(Script script, CheckContext context) {
        script.checks.incrementAndGet();
        Verdict verdict = script.verdict;
        if (verdict == Verdict.NEVER) {
            return new CompletableFuture<>();
        }
        CheckResult result = verdict == Verdict.HEALTHY ? CheckResult.healthy(Duration.ofMillis(5))
                : CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", Duration.ofMillis(5));
        return CompletableFuture.supplyAsync(() -> result, CompletableFuture.delayedExecutor(5, TimeUnit.MILLISECONDS));
    }
}
