package io.aegis.testkit.engine;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.WorkloadStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;

/**
 * Runtime {@code type: stuck} for the harness' own tests: its {@code start()} blocks the calling thread until the
 * test {@link #release releases} it, the way a plugin that breaks the SPI's rule does.
 */
public final class StuckRuntimeFactory implements RuntimeAdapterFactory {
    private static volatile CountDownLatch release = new CountDownLatch(1);

    /** Blocks the {@code start()} calls from now on, until {@link #release}. */
    static void block() {
        release = new CountDownLatch(1);
    }

    /** Lets every blocked {@code start()} return. */
    static void release() {
        release.countDown();
    }

    @Override
    public String type() {
        return "stuck";
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        return new RuntimeAdapter() {
            @Override
            public CompletionStage<Void> start() {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Void> stop() {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<WorkloadStatus> status() {
                return CompletableFuture.completedFuture(WorkloadStatus.stopped());
            }
        };
    }
}
