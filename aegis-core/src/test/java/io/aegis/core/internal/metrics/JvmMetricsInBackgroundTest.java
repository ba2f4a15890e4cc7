package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The JVM metrics registered off the start path: a scrape before they are ready waits for them. */
class JvmMetricsInBackgroundTest {

    @Test
    void aScrapeBeforeTheJvmMetricsAreRegisteredWaitsForThem() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        List<Runnable> pending = new CopyOnWriteArrayList<>();
        EngineMetrics.registerJvmMetricsInBackground(registry, pending::add); // held until the test runs it
        AtomicReference<Thread> scraper = new AtomicReference<>();
        CompletableFuture<MetricSnapshots> scrape = CompletableFuture.supplyAsync(() -> {
            scraper.set(Thread.currentThread());
            return registry.scrape();
        });

        // The scrape is parked on the registration, not finished without the jvm_* metrics.
        await().atMost(Duration.ofSeconds(10)).until(() -> scraper.get() != null
                && scraper.get().getState() == Thread.State.TIMED_WAITING);
        assertThat(scrape).isNotDone();

        assertThat(pending).hasSize(1);
        pending.get(0).run();

        assertThat(names(scrape.get(10, TimeUnit.SECONDS)))
                .contains("jvm_threads_current", "jvm_memory_used_bytes", "jvm_runtime", "process_start_time_seconds");
    }

    @Test
    void registersOnAThreadOfItsOwnAndServesFilteredScrapes() {
        PrometheusRegistry registry = new PrometheusRegistry();

        EngineMetrics.registerJvmMetricsInBackground(registry);

        assertThat(names(registry.scrape())).contains("jvm_threads_current", "jvm_gc_collection_seconds",
                "process_cpu_seconds");
        assertThat(names(registry.scrape(name -> name.equals("jvm_threads_current"))))
                .containsExactly("jvm_threads_current");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(Thread::isAlive).extracting(Thread::getName).doesNotContain("aegis-jvm-metrics"));
    }

    private static List<String> names(MetricSnapshots snapshots) {
        return snapshots.stream().map(snapshot -> snapshot.getMetadata().getPrometheusName()).toList();
    }
}
