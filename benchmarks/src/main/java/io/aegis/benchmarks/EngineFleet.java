package io.aegis.benchmarks;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The engine alone, at fleet scale: N services of the zero-work checker {@code timed-noop} (it answers HEALTHY at
 * once; optionally it burns {@code -Daegis.bench.noopSpinMicros} of CPU first, to overload the box on purpose),
 * every one checked at {@code interval: 1s}, with nobody listening to check events (the engine's metrics are on,
 * read from its registry). Prints one {@code WINDOW} line per window (checks/s, CPU per check, skipped ticks by
 * reason, failures, lag) and an {@code END} line (heap per service after GC).
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar io.aegis.benchmarks.EngineFleet <services> <warmupMs>
 * <windows> <windowMs> [maxInFlightChecks]}
 *
 * <p>Overload and recovery: with {@code -Daegis.bench.noopSpinMicros=N -Daegis.bench.recoverWindows=M}, after the
 * windows the checker stops burning CPU (the load drops) and {@code M} more windows follow, printed as
 * {@code RECOVER} lines.
 *
 * <p>{@code timed-noop} also works under {@link FleetAgent} ({@code FleetAgent N noop <portsFile> ...}, any
 * port list): it stamps its starts for FleetAgent's lag figures as the other timed checkers do.
 */
public final class EngineFleet {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final LongAdder calls = new LongAdder();
    private static int[] startService = new int[0];
    private static long[] startNanos = new long[0];
    private static final AtomicInteger starts = new AtomicInteger();

    private EngineFleet() {
    }

    static void record(int service, long nanos) {
        calls.increment();
        if (startNanos.length == 0) {
            return;
        }
        int slot = starts.getAndIncrement();
        if (slot < startNanos.length && service >= 0) {
            startService[slot] = service;
            startNanos[slot] = nanos;
        }
    }

    public static void main(String[] args) throws Exception {
        int services = Integer.parseInt(args[0]);
        long warmupMs = Long.parseLong(args[1]);
        int windows = Integer.parseInt(args[2]);
        long windowMs = Long.parseLong(args[3]);
        Integer maxInFlight = args.length > 4 ? Integer.valueOf(args[4]) : null;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long heapBefore = heapAfterGc();
        long totalMs = warmupMs + windows * windowMs + 2000;
        int capacity = (int) Math.min(50_000_000L, (long) services * (totalMs / 1000 + 2) * 2);
        startService = new int[capacity];
        startNanos = new long[capacity];

        PrometheusRegistry registry = new PrometheusRegistry();
        Engine.Builder builder = Engine.builder().metricsRegistry(registry);
        if (maxInFlight != null) {
            setMaxInFlight(builder, maxInFlight);
        }
        for (int i = 0; i < services; i++) {
            builder.service(ServiceDefinition.builder("s" + i).check("timed-noop", "127.0.0.1:1").interval(INTERVAL)
                    .timeout(Duration.ofSeconds(2)).build());
        }
        try (Engine engine = builder.build()) {
            engine.start();
            Thread.sleep(warmupMs);
            int firstMeasured = starts.get();
            long[][] bounds = new long[windows][];
            Map<String, Double> counts0 = counts(registry);
            for (int w = 0; w < windows; w++) {
                counts0 = window("WINDOW", services, windowMs, registry, os, counts0, bounds, w);
            }
            int recoverWindows = Integer.getInteger("aegis.bench.recoverWindows", 0);
            if (recoverWindows > 0) {
                NoopCheckerFactory.spinNanos = 0; // the load drops
                for (int w = 0; w < recoverWindows; w++) {
                    counts0 = window("RECOVER", services, windowMs, registry, os, counts0, null, w);
                }
            }
            printLag(services, Math.min(starts.get(), startNanos.length), firstMeasured, bounds);
            long heapAfter = heapAfterGc();
            System.out.printf(Locale.ROOT, "END heap_per_service_bytes=%.0f peak_threads=%d%n",
                    (heapAfter - heapBefore) / (double) services,
                    ManagementFactory.getThreadMXBean().getPeakThreadCount());
            System.out.flush();
        }
        System.exit(0);
    }

    /**
     * Measures one window of {@code windowMs} and prints it as a {@code label} line (the measured windows and the
     * recovery ones alike); its bounds go into {@code bounds[w]} when there are bounds. Returns the counts at its end.
     */
    private static Map<String, Double> window(String label, int services, long windowMs, PrometheusRegistry registry,
            com.sun.management.OperatingSystemMXBean os, Map<String, Double> counts0, long[][] bounds, int w)
            throws InterruptedException {
        long c0 = calls.sum();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Thread.sleep(windowMs);
        long t1 = System.nanoTime();
        long cpu1 = os.getProcessCpuTime();
        long checks = calls.sum() - c0;
        if (bounds != null) {
            bounds[w] = new long[] {t0, t1};
        }
        Map<String, Double> counts1 = counts(registry); // outside the CPU window: a scrape is not a check
        double seconds = (t1 - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%s checks_per_s=%.1f scheduled_per_s=%d cpu_us_per_check=%.2f"
                + " cores=%.3f skipped_overload=%.0f skipped_late=%.0f skipped_busy=%.0f failed=%.0f"
                + " threads=%d%n", label, checks / seconds, services,
                checks == 0 ? Double.NaN : (cpu1 - cpu0) / 1e3 / checks, (cpu1 - cpu0) / 1e9 / seconds,
                delta(counts0, counts1, "skipped:overload"), delta(counts0, counts1, "skipped:late"),
                delta(counts0, counts1, "skipped:busy"), delta(counts0, counts1, "failed"),
                ManagementFactory.getThreadMXBean().getThreadCount());
        return counts1;
    }

    /** {@code Engine.Builder.maxInFlightChecks} where the engine has it (the run before it existed has not). */
    private static void setMaxInFlight(Engine.Builder builder, int limit) {
        try {
            Engine.Builder.class.getMethod("maxInFlightChecks", int.class).invoke(builder, limit);
        } catch (ReflectiveOperationException e) {
            System.err.println("this engine has no maxInFlightChecks; running without it");
        }
    }

    /** Skipped ticks by reason and failed final checks, summed over every service. */
    private static Map<String, Double> counts(PrometheusRegistry registry) {
        Map<String, Double> counts = new HashMap<>();
        for (MetricSnapshot snapshot : registry.scrape(name -> name.startsWith("aegis_health_checks"))) {
            String name = snapshot.getMetadata().getPrometheusName();
            if (!(snapshot instanceof CounterSnapshot counter)) {
                continue;
            }
            for (CounterSnapshot.CounterDataPointSnapshot point : counter.getDataPoints()) {
                if (name.startsWith("aegis_health_checks_skipped")) {
                    counts.merge("skipped:" + point.getLabels().get("reason"), point.getValue(), Double::sum);
                } else if (name.equals("aegis_health_checks") && !"healthy".equals(point.getLabels().get("result"))) {
                    counts.merge("failed", point.getValue(), Double::sum);
                }
            }
        }
        return counts;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
        return after.getOrDefault(key, 0.0) - before.getOrDefault(key, 0.0);
    }

    /** As {@link FleetAgent}: each service's phase is its earliest stamp modulo the interval. */
    private static void printLag(int services, int recorded, int firstMeasured, long[][] windowBounds) {
        long interval = INTERVAL.toNanos();
        long[] first = new long[services];
        Arrays.fill(first, Long.MIN_VALUE);
        long[] baseline = new long[services];
        Arrays.fill(baseline, Long.MAX_VALUE);
        long[] deviation = new long[recorded];
        for (int i = 0; i < recorded; i++) {
            int s = startService[i];
            if (first[s] == Long.MIN_VALUE) {
                first[s] = startNanos[i];
            }
            long d = Math.floorMod(startNanos[i] - first[s] + interval / 2, interval) - interval / 2;
            deviation[i] = d;
            baseline[s] = Math.min(baseline[s], d);
        }
        for (long[] bounds : windowBounds) {
            long[] lags = new long[recorded];
            int n = 0;
            for (int i = firstMeasured; i < recorded; i++) {
                if (startNanos[i] >= bounds[0] && startNanos[i] < bounds[1]) {
                    lags[n++] = deviation[i] - baseline[startService[i]];
                }
            }
            long[] sorted = Arrays.copyOf(lags, n);
            Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "LAG p50_ms=%.2f p99_ms=%.2f max_ms=%.2f n=%d%n", pct(sorted, 50) / 1e6,
                    pct(sorted, 99) / 1e6, n == 0 ? Double.NaN : sorted[n - 1] / 1e6, n);
        }
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * Checker type {@code timed-noop}: HEALTHY at once, without I/O; stamps its start for {@link FleetAgent} and
     * {@link EngineFleet}. With {@code -Daegis.bench.noopSpinMicros=N} each check instead burns N µs of CPU on one
     * of two "event loop" threads and answers from there, as a non-blocking checker does: {@code check()} returns at
     * once, and the checker's own threads are what a fleet too large for the CPU overloads.
     */
    public static final class NoopCheckerFactory implements HealthCheckerFactory {
        private static final CompletableFuture<CheckResult> HEALTHY =
                CompletableFuture.completedFuture(CheckResult.healthy(Duration.ofNanos(1)));
        static volatile long spinNanos = Long.getLong("aegis.bench.noopSpinMicros", 0) * 1000;
        private static final java.util.concurrent.ExecutorService LOOPS = java.util.concurrent.Executors
                .newFixedThreadPool(2, runnable -> {
                    Thread thread = new Thread(runnable, "noop-loop");
                    thread.setDaemon(true);
                    return thread;
                });

        @Override
        public String type() {
            return "timed-noop";
        }

        @Override
        public HealthChecker create(CheckerSpec spec) {
            int index = FleetAgent.serviceIndex(spec.serviceName());
            // Non-blocking like the bundled checkers, and marked so: the engine calls it inline as it does them.
            return new io.aegis.plugin.support.NonBlockingChecker() {
                @Override
                public CompletionStage<CheckResult> check(CheckContext context) {
                    long now = System.nanoTime();
                    FleetAgent.recordStart(index, now);
                    record(index, now);
                    long spin = spinNanos;
                    if (spin <= 0) {
                        return HEALTHY;
                    }
                    return CompletableFuture.supplyAsync(() -> {
                        long start = System.nanoTime();
                        while (System.nanoTime() - start < spin) {
                            Thread.onSpinWait();
                        }
                        return CheckResult.healthy(Duration.ofNanos(System.nanoTime() - now));
                    }, LOOPS);
                }
            };
        }
    }
}
