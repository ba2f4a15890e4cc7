package io.aegis.core.testing;

import io.aegis.api.LogSource;
import io.aegis.api.LogSourceSpec;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runtime {@code test-recording}: a pretend workload that counts what the engine asks of it, per service name, so a
 * test can check the engine's side of the runtime contract. Settings: {@code outlives: true} makes
 * {@link RuntimeAdapter#outlivesEngine()} true; {@code throwOnHealthy: true} makes {@code workloadHealthy} throw
 * (after counting the call), as a careless plugin would; {@code throwOnLogSource: true} makes {@code logSource} throw; {@code holdStop: true} makes {@code stop} complete only when the
 * test completes {@link Calls#stopHeld}.
 */
public final class RecordingRuntimeFactory implements RuntimeAdapterFactory {

    /** What the engine asked of one service's runtime. */
    public static final class Calls {
        public final AtomicInteger starts = new AtomicInteger();
        public final AtomicInteger stops = new AtomicInteger();
        public final AtomicInteger healthy = new AtomicInteger();
        public final AtomicInteger closes = new AtomicInteger();
        /** The listener the engine gave the runtime: a test tells it of ends as a runtime would. */
        public volatile WorkloadListener listener = WorkloadListener.NONE;
        /** With {@code holdStop: true}: what {@code stop} returns; the test completes it. */
        public final CompletableFuture<Void> stopHeld = new CompletableFuture<>();
    }

    private static final Map<String, Calls> CALLS = new ConcurrentHashMap<>();

    /** The calls to the runtime of {@code service}, created by the last engine that configured it. */
    public static Calls calls(String service) {
        return CALLS.computeIfAbsent(service, name -> new Calls());
    }

    @Override
    public String type() {
        return "test-recording";
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        Calls calls = new Calls();
        calls.listener = spec.listener();
        CALLS.put(spec.serviceName(), calls);
        boolean outlives = spec.settings().bool("outlives", false);
        boolean throwOnHealthy = spec.settings().bool("throwOnHealthy", false);
        boolean holdStop = spec.settings().bool("holdStop", false);
        boolean throwOnLogSource = spec.settings().bool("throwOnLogSource", false);
        return new RuntimeAdapter() {
            private volatile boolean running;

            @Override
            public CompletionStage<Void> start() {
                calls.starts.incrementAndGet();
                running = true;
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Void> stop() {
                calls.stops.incrementAndGet();
                running = false;
                return holdStop ? calls.stopHeld : CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<WorkloadStatus> status() {
                return CompletableFuture.completedFuture(running ? WorkloadStatus.running("pretending, start " + calls.starts.get())
                        : WorkloadStatus.stopped());
            }

            @Override
            public void workloadHealthy() {
                calls.healthy.incrementAndGet();
                if (throwOnHealthy) {
                    throw new IllegalStateException("bug in plugin");
                }
            }

            @Override
            public boolean outlivesEngine() {
                return outlives;
            }

            @Override
            public Optional<LogSource> logSource(LogSourceSpec logSpec) {
                if (throwOnLogSource) {
                    throw new IllegalStateException("no log stream today");
                }
                return Optional.empty();
            }

            @Override
            public void close() {
                calls.closes.incrementAndGet();
            }
        };
    }
}
