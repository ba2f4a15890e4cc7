package io.aegis.core.testing;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.WorkloadStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runtime {@code test-basic}: a workload that only pretends to run and supports just the default operations
 * (start, stop, restart), for tests of what the engine does with a runtime that cannot roll back or isolate.
 */
public final class BasicRuntimeFactory implements RuntimeAdapterFactory {

    @Override
    public String type() {
        return "test-basic";
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        return new RuntimeAdapter() {
            private volatile boolean running;

            @Override
            public CompletionStage<Void> start() {
                running = true;
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Void> stop() {
                running = false;
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<WorkloadStatus> status() {
                return CompletableFuture.completedFuture(running ? WorkloadStatus.running("pretending")
                        : WorkloadStatus.stopped());
            }
        };
    }
}
