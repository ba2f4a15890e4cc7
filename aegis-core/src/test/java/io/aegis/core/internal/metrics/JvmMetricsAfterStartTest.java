package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The JVM metrics are created after the start (by a delayed task) or by a first scrape that comes sooner, once, and are
 * in every scrape, the first one included.
 */
class JvmMetricsAfterStartTest {

    @Test
    void aScrapeBeforeTheDelayedTaskCreatesTheJvmMetricsAndTheTaskThenDoesNothing() {
        PrometheusRegistry registry = new PrometheusRegistry();
        AtomicInteger registrations = new AtomicInteger();
        List<Runnable> later = new CopyOnWriteArrayList<>();

        EngineMetrics.registerJvmMetricsAfterStart(registry, jvm -> {
            registrations.incrementAndGet();
            EngineMetrics.registerJvmMetrics(jvm);
        }, later::add); // held: the test runs it

        assertThat(registrations).as("registrations at start").hasValue(0);
        assertThat(names(registry.scrape()))
                .contains("jvm_threads_current", "jvm_memory_used_bytes", "jvm_runtime", "process_start_time_seconds");
        assertThat(names(registry.scrape(name -> name.equals("jvm_threads_current"))))
                .containsExactly("jvm_threads_current");
        assertThat(later).hasSize(1);
        later.get(0).run();
        assertThat(registrations).as("registrations after two scrapes and the delayed task").hasValue(1);
    }

    @Test
    void theDelayedTaskCreatesTheJvmMetricsWhenNoScrapeCameFirst() {
        PrometheusRegistry registry = new PrometheusRegistry();
        AtomicInteger registrations = new AtomicInteger();
        List<Runnable> later = new CopyOnWriteArrayList<>();
        EngineMetrics.registerJvmMetricsAfterStart(registry, jvm -> {
            registrations.incrementAndGet();
            EngineMetrics.registerJvmMetrics(jvm);
        }, later::add);

        later.get(0).run();

        assertThat(registrations).hasValue(1);
        assertThat(names(registry.scrape())).contains("jvm_threads_current", "process_cpu_seconds");
        assertThat(registrations).hasValue(1);
    }

    @Test
    void concurrentFirstScrapesRegisterOnceAndBothGetTheJvmMetrics() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        AtomicInteger registrations = new AtomicInteger();
        CountDownLatch registering = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        EngineMetrics.registerJvmMetricsAfterStart(registry, jvm -> {
            registrations.incrementAndGet();
            registering.countDown();
            try {
                assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            EngineMetrics.registerJvmMetrics(jvm);
        }, task -> { });

        CompletableFuture<MetricSnapshots> first = CompletableFuture.supplyAsync(registry::scrape, task -> new Thread(task).start());
        assertThat(registering.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<MetricSnapshots> second = CompletableFuture.supplyAsync(registry::scrape, task -> new Thread(task).start());
        release.countDown();

        assertThat(names(first.get(10, TimeUnit.SECONDS))).contains("jvm_threads_current");
        assertThat(names(second.get(10, TimeUnit.SECONDS))).contains("jvm_threads_current");
        assertThat(registrations).hasValue(1);
    }

    @Test
    void theDelayedTaskIsDroppedWhenTheEnginesTimerShutsDown() throws Exception {
        // Review S4: the task waited on CompletableFuture's delayer, which nothing can cancel, so an engine closed
        // within the delay still created the JVM metrics (~400 classes, JMX) for a registry nobody scrapes.
        PrometheusRegistry registry = new PrometheusRegistry();
        AtomicInteger registrations = new AtomicInteger();
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
        EngineMetrics.registerJvmMetricsAfterStart(registry, jvm -> registrations.incrementAndGet(), timer,
                Duration.ofMillis(200));

        List<Runnable> dropped = timer.shutdownNow(); // what Engine.close() does to its timer

        assertThat(dropped).as("the delayed task, dropped with the timer").hasSize(1);
        assertThat(timer.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
                .until(() -> registrations.get() == 0);
    }

    @Test
    void theDelayedTaskCreatesTheJvmMetricsOnAThreadOfItsOwnNotOnTheTimer() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        CompletableFuture<String> registeredOn = new CompletableFuture<>();
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
        try {
            EngineMetrics.registerJvmMetricsAfterStart(registry,
                    jvm -> registeredOn.complete(Thread.currentThread().getName()), timer, Duration.ofMillis(10));

            assertThat(registeredOn.get(10, TimeUnit.SECONDS)).isEqualTo("aegis-jvm-metrics");
        } finally {
            timer.shutdownNow();
        }
    }

    private static List<String> names(MetricSnapshots snapshots) {
        return snapshots.stream().map(snapshot -> snapshot.getMetadata().getPrometheusName()).toList();
    }
}
