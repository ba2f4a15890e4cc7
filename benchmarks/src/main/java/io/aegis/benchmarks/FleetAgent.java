package io.aegis.benchmarks;

import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The aegis process of the fleet scenario: embeds the real engine with N services (every one checked at
 * {@code interval: 1s}) in a JVM of its own, so its CPU, heap and threads are aegis' alone. Prints one
 * {@code WINDOW ...} line per measurement window, one {@code END ...} line, then one {@code SCRAPE ...} line
 * (the cost of {@code /metrics} at this many services, scraped while the checks run) and {@code DONE}; all
 * {@code key=value}.
 *
 * <p>{@code java ... FleetAgent <services> <http|tcp> <portsFile> <warmupMs> <windows> <windowMs> <rawRequests>
 * [scrapes [dropTo dropWindows [steadyAtMs]]]}
 *
 * <p>With {@code steadyAtMs > 0} the windows right after the warm-up are printed as {@code phase=0} (the first
 * seconds of the process, JIT compilation included) and phase 1 begins once the engine has run {@code steadyAtMs}:
 * a fleet runs for days, so both are reported, neither instead of the other.
 *
 * <p>Checks are counted as the {@code aegis} command runs, with no {@code CheckCompleted} listener (a listener makes
 * the engine publish an event per check and wake an event-bus thread for it, which the command never does):
 * completed and failed check cycles are aegis' own {@code aegis_health_checks_total}, read in process from the
 * engine's registry before and after each window, outside the window's CPU bracket. Failed attempts are also
 * counted by kind ({@code fail_refused}, {@code fail_reset}, {@code fail_timeout}, {@code fail_other}, from the
 * result's message) by the timed checker from the stage it returns, so the table can say whose fault a failure
 * was; those are attempts as the checker answered them, so a timeout the engine excused as its own starvation
 * (counted as skipped, not failed) shows there too. {@code SKIPPED}
 * lines sum {@code aegis_health_checks_skipped_total} by reason, scraped from the engine's own {@code /metrics}
 * (as an operator would read it) after the warm-up and after each phase.
 *
 * <p>Overload and recovery ({@code dropTo > 0}): after the windows of phase 1 the services from {@code dropTo} on
 * are removed from the running engine (the engine's service-set seam that hot reload uses: the load drops as it
 * would when a reload removes them), and {@code dropWindows} more windows ({@code phase=2}) show whether the
 * checks of the services left get back on time with nothing else done.
 *
 * <p>Scheduling lag: the timed checker stamps when the engine calls {@code check()}. The engine ticks each
 * service at a fixed rate from a random phase we cannot see, so each service's phase is estimated from its
 * stamps in the measured windows, modulo the interval, as the start of the arc they cover (the stamp after the
 * largest empty gap); lag = stamp - phase - k * interval. That is a lower bound of the true lag by the service's
 * smallest lag, which is near zero on an idle timer.
 */
public final class FleetAgent {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    // Fixed-size arrays, written from the plugin-call threads: a benchmark-only recorder, never in the engine.
    private static int[] startService = new int[0];
    private static long[] startNanos = new long[0];
    private static final AtomicInteger starts = new AtomicInteger();
    /** Failed checks by kind: refused, reset, timeout, other (indexes into {@link #FAIL_KINDS}). */
    private static final String[] FAIL_KINDS = {"refused", "reset", "timeout", "other"};
    private static final LongAdder[] failedByKind = {new LongAdder(), new LongAdder(), new LongAdder(),
        new LongAdder()};
    /** A few distinct failure messages with their counts, for the log (bounded: messages name services). */
    private static final java.util.concurrent.ConcurrentHashMap<String, LongAdder> failureMessages =
            new java.util.concurrent.ConcurrentHashMap<>();

    private FleetAgent() {
    }

    /** Service {@code s123} is index 123. */
    static int serviceIndex(String serviceName) {
        try {
            return Integer.parseInt(serviceName.substring(1));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The kind of a failed check, from its message: whose fault it was is in the table's failure columns. */
    static int failureKind(io.aegis.api.CheckResult result) {
        String m = result.message() == null ? "" : result.message().toLowerCase(Locale.ROOT);
        if (result.failureReason().filter(r -> r == io.aegis.api.FailureReason.TIMEOUT).isPresent()) {
            return 2;
        }
        if (m.contains("refused")) {
            return 0;
        }
        if (m.contains("reset") || m.contains("broken pipe")) {
            return 1;
        }
        if (m.contains("timed out") || m.contains("timeout") || m.contains("did not answer within")
                || m.contains("deadline")) {
            return 2;
        }
        return 3;
    }

    /** Counts a failed attempt by kind; called by the timed checker when a check's stage completes. */
    static void recordFailure(io.aegis.api.CheckResult result) {
        failedByKind[failureKind(result)].increment();
        String message = result.message();
        String key = message == null ? "null" : message.replaceAll("[0-9]+", "N");
        if (key.length() > 160) {
            key = key.substring(0, 160);
        }
        LongAdder count = failureMessages.get(key);
        if (count == null && failureMessages.size() < 50) {
            count = failureMessages.computeIfAbsent(key, k -> new LongAdder());
        }
        if (count != null) {
            count.increment();
        }
    }

    static void recordStart(int service, long nanos) {
        int slot = starts.getAndIncrement();
        if (slot < startNanos.length && service >= 0) {
            startService[slot] = service;
            startNanos[slot] = nanos;
        }
    }

    public static void main(String[] args) throws Exception {
        // As the aegis CLI does (AegisCommand.useAtLeastTwoCommonPoolThreads): on 2 cores the JDK HttpClient
        // would otherwise start a thread per response. The benchmark measures aegis as shipped.
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null
                && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "2");
        }
        int services = Integer.parseInt(args[0]);
        String type = args[1];
        int[] ports = Arrays.stream(Files.readString(Path.of(args[2])).trim().split(","))
                .mapToInt(Integer::parseInt).toArray();
        long warmupMs = Long.parseLong(args[3]);
        int windows = Integer.parseInt(args[4]);
        long windowMs = Long.parseLong(args[5]);
        int rawRequests = Integer.parseInt(args[6]);
        int scrapes = args.length > 7 ? Integer.parseInt(args[7]) : 5;
        int dropTo = args.length > 8 ? Integer.parseInt(args[8]) : 0;
        int dropWindows = args.length > 9 ? Integer.parseInt(args[9]) : 0;
        long steadyAtMs = args.length > 10 ? Long.parseLong(args[10]) : 0;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

        double rawCpuMsPer1000 = rawRequests <= 0 ? Double.NaN // no reference asked for (the overload run)
                : "http".equals(type) ? rawHttp(ports, os, rawRequests) : rawTcp(ports, os, rawRequests);
        long heapBefore = heapAfterGc();

        long totalMs = Math.max(warmupMs + windows * windowMs, steadyAtMs) + (windows + dropWindows) * windowMs + 5000;
        int capacity = (int) Math.min(50_000_000L, (long) services * (totalMs / 1000 + 2) * 2);
        startService = new int[capacity];
        startNanos = new long[capacity];

        // The engine's own registry, given so that its check counters can be read in process (no HTTP, no text);
        // the engine still serves /metrics on its own port, as the aegis command does.
        PrometheusRegistry registry = new PrometheusRegistry();
        Engine.Builder builder = Engine.builder().metricsEnabled(true).metricsHost("127.0.0.1").metricsPort(0)
                .metricsRegistry(registry);
        for (int i = 0; i < services; i++) {
            int port = ports[i % ports.length];
            String endpoint = "http".equals(type) ? "http://127.0.0.1:" + port + "/s/" + i : "127.0.0.1:" + port;
            builder.service(ServiceDefinition.builder("s" + i).check("timed-" + type, endpoint).interval(INTERVAL)
                    .timeout(Duration.ofSeconds(2)).build());
        }
        long buildStart = System.nanoTime();
        try (Engine engine = builder.build()) {
            long startedAt = System.nanoTime();
            engine.start();
            System.out.printf(Locale.ROOT, "BUILD build_ms=%d%n", (startedAt - buildStart) / 1_000_000);
            Thread.sleep(warmupMs);
            if (steadyAtMs > 0) {
                // The first seconds of a new JVM (the JIT compiling the check path, the heap sizing itself) are
                // windows of phase 0, kept out of the lag; phase 1 is measured once the process has run steadyAtMs.
                measure(0, services, windows, windowMs, registry, os, new ArrayList<>());
                Thread.sleep(Math.max(0, steadyAtMs - (System.nanoTime() - startedAt) / 1_000_000));
            }
            int metricsPort = engine.metricsPort().orElseThrow();
            long s0 = System.nanoTime();
            Map<String, Double> skipped0 = byReason(skipped(metricsPort), services);
            int firstMeasured = starts.get();
            List<long[]> windowBounds = new ArrayList<>();
            measure(1, services, windows, windowMs, registry, os, windowBounds);
            List<Object[]> series1 = skipped(metricsPort);
            long s1 = System.nanoTime();
            printSkipped(1, skipped0, byReason(series1, services), (s1 - s0) / 1e9);
            int measuredPhase1 = windowBounds.size();
            if (dropTo > 0 && dropTo < services) {
                long d0 = System.nanoTime();
                int removed = removeServices(engine, dropTo, services, Math.max(5_000, 10 * windowMs));
                System.out.printf(Locale.ROOT, "DROP services=%d removed=%d took_ms=%d%n", services - removed, removed,
                        (System.nanoTime() - d0) / 1_000_000);
                measure(2, services - removed, dropWindows, windowMs, registry, os, windowBounds);
                // only the services left: the removed ones' series are gone from /metrics with them
                int left = services - removed;
                printSkipped(2, byReason(series1, left), byReason(skipped(metricsPort), left),
                        (System.nanoTime() - s1) / 1e9);
            }
            long heapAfter = heapAfterGc();
            int threads = ManagementFactory.getThreadMXBean().getThreadCount();
            int peakThreads = ManagementFactory.getThreadMXBean().getPeakThreadCount();
            int recorded = Math.min(starts.get(), startNanos.length);
            printLag(services, recorded, firstMeasured, windowBounds, measuredPhase1);
            System.out.printf(Locale.ROOT, "END heap_per_service_bytes=%.0f threads=%d peak_threads=%d"
                    + " raw_cpu_ms_per_1000=%.2f dropped_stamps=%d%n", (heapAfter - heapBefore) / (double) services,
                    threads, peakThreads, rawCpuMsPer1000, Math.max(0, starts.get() - startNanos.length));
            System.out.flush();
            // last: at 10,000 services on a loaded box a round of scrapes took up to a minute
            if (scrapes > 0) {
                printScrape(metricsPort, scrapes);
            }
            System.out.println("DONE");
            System.out.flush();
        }
        printFailureMessages();
        System.exit(0);
    }

    /**
     * Measures {@code windows} windows of {@code windowMs}; one {@code WINDOW phase=...} line each. The check counters
     * are read just before and just after each window's CPU bracket (the read is the harness' work, not aegis'):
     * the checks in the window are the rate between those reads times the window's length.
     */
    private static void measure(int phase, int services, int windows, long windowMs, PrometheusRegistry registry,
            com.sun.management.OperatingSystemMXBean os, List<long[]> windowBounds) throws InterruptedException {
        long[] before = checkCounts(registry, services);
        for (int w = 0; w < windows; w++) {
            long[] k0 = new long[FAIL_KINDS.length];
            for (int k = 0; k < k0.length; k++) {
                k0[k] = failedByKind[k].sum();
            }
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            Thread.sleep(windowMs);
            long t1 = System.nanoTime();
            long cpu1 = os.getProcessCpuTime();
            long[] after = checkCounts(registry, services);
            double seconds = (t1 - t0) / 1e9;
            // the counters' rate between the two reads, over the bracket's length
            double countedSeconds = (after[2] - before[2]) / 1e9;
            double checksPerSecond = (after[0] - before[0]) / countedSeconds;
            double checks = checksPerSecond * seconds;
            long failed = after[1] - before[1];
            before = after;
            windowBounds.add(new long[] {t0, t1});
            StringBuilder kinds = new StringBuilder();
            for (int k = 0; k < k0.length; k++) {
                kinds.append(" fail_").append(FAIL_KINDS[k]).append('=').append(failedByKind[k].sum() - k0[k]);
            }
            System.out.printf(Locale.ROOT, "WINDOW phase=%d checks_per_s=%.1f scheduled_per_s=%.1f failed=%d%s"
                    + " cpu_ms_per_1000=%.2f cores=%.3f threads=%d%n", phase, checksPerSecond,
                    services / (double) INTERVAL.toSeconds(), failed, kinds,
                    checks <= 0 ? Double.NaN : (cpu1 - cpu0) / 1e6 / checks * 1000, (cpu1 - cpu0) / 1e9 / seconds,
                    ManagementFactory.getThreadMXBean().getThreadCount());
            System.out.flush();
        }
    }

    /**
     * aegis' own {@code aegis_health_checks_total}, read in process: check cycles completed, those that did not pass
     * (unhealthy, unknown), and the {@link System#nanoTime()} in the middle of the read. Only services with an index
     * below {@code limit}: after a drop, the removed services' series leave the registry as their monitors stop,
     * which must not read as checks going backwards.
     */
    private static long[] checkCounts(PrometheusRegistry registry, int limit) {
        long t0 = System.nanoTime();
        long completed = 0;
        long failed = 0;
        for (MetricSnapshot snapshot : registry.scrape(name -> name.equals("aegis_health_checks"))) {
            if (snapshot instanceof CounterSnapshot counter
                    && counter.getMetadata().getPrometheusName().equals("aegis_health_checks")) {
                for (CounterSnapshot.CounterDataPointSnapshot point : counter.getDataPoints()) {
                    int service = serviceIndex(point.getLabels().get("service"));
                    if (service < 0 || service >= limit) {
                        continue;
                    }
                    long value = (long) point.getValue();
                    completed += value;
                    String result = point.getLabels().get("result");
                    if ("unhealthy".equals(result) || "unknown".equals(result)) {
                        failed += value;
                    }
                }
            }
        }
        long t1 = System.nanoTime();
        return new long[] {completed, failed, t0 + (t1 - t0) / 2};
    }

    /**
     * {@code aegis_health_checks_skipped_total} by service index and reason, read from the engine's {@code /metrics}
     * with a {@code name[]} filter (so the scrape does not render every family at 20,000 services); empty when it
     * fails. Each element: service index, reason, value.
     */
    private static List<Object[]> skipped(int metricsPort) {
        List<Object[]> series = new ArrayList<>();
        try {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<java.util.stream.Stream<String>> response = client.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + metricsPort + "/metrics?name[]=aegis_health_checks_skipped_total"
                            + "&name[]=aegis_health_checks_skipped")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofLines());
            java.util.regex.Pattern reason = java.util.regex.Pattern.compile("reason=\"([^\"]*)\"");
            java.util.regex.Pattern service = java.util.regex.Pattern.compile("service=\"([^\"]*)\"");
            response.body().filter(line -> line.startsWith("aegis_health_checks_skipped_total{")).forEach(line -> {
                java.util.regex.Matcher r = reason.matcher(line);
                java.util.regex.Matcher s = service.matcher(line);
                String value = line.substring(line.lastIndexOf(' ') + 1);
                series.add(new Object[] {s.find() ? serviceIndex(s.group(1)) : -1, r.find() ? r.group(1) : "?",
                    Double.parseDouble(value)});
            });
        } catch (Exception e) {
            System.err.println("could not read aegis_health_checks_skipped_total: " + e);
        }
        return series;
    }

    /** The skipped checks of services with an index below {@code limit}, summed by reason. */
    private static Map<String, Double> byReason(List<Object[]> series, int limit) {
        Map<String, Double> sums = new TreeMap<>();
        for (Object[] one : series) {
            if ((int) one[0] < limit) {
                sums.merge((String) one[1], (Double) one[2], Double::sum);
            }
        }
        return sums;
    }

    private static void printSkipped(int phase, Map<String, Double> before, Map<String, Double> after,
            double seconds) {
        StringBuilder line = new StringBuilder("SKIPPED phase=" + phase);
        double total = 0;
        for (Map.Entry<String, Double> e : after.entrySet()) {
            double delta = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            total += delta;
            line.append(" reason_").append(e.getKey()).append('=').append(String.format(Locale.ROOT, "%.0f", delta));
        }
        line.append(String.format(Locale.ROOT, " total=%.0f seconds=%.1f", total, seconds));
        System.out.println(line);
    }

    /**
     * Removes services {@code to-1} down to {@code from} from the running engine through its service-set seam
     * ({@code Engine.removeService}, package-private: hot reload's), until {@code budgetMs} pass, and returns how
     * many it removed (0 when the seam is not there: the row then says so). It does not wait for their stops.
     * On main one removal scans every firing alert (Alerts.resolveService), so under overload, with thousands
     * of alerts firing, removing 10,000 services took minutes: the budget keeps the run bounded and the row
     * says how many went.
     */
    private static int removeServices(Engine engine, int from, int to, long budgetMs) {
        try {
            java.lang.reflect.Method remove = Engine.class.getDeclaredMethod("removeService", String.class);
            remove.setAccessible(true);
            long deadline = System.nanoTime() + budgetMs * 1_000_000L;
            int removed = 0;
            for (int i = to - 1; i >= from && System.nanoTime() < deadline; i--) {
                remove.invoke(engine, "s" + i);
                removed++;
            }
            return removed;
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.err.println("could not remove services from the engine: " + e);
            return 0;
        }
    }

    private static void printFailureMessages() {
        failureMessages.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum())).limit(10)
                .forEach(e -> System.err.println("FAIL " + e.getValue().sum() + " " + e.getKey()));
    }

    private static void printLag(int services, int recorded, int firstMeasured, List<long[]> windowBounds,
            int measuredPhase1) {
        long interval = INTERVAL.toNanos();
        long[] first = new long[services];
        Arrays.fill(first, Long.MIN_VALUE);
        // each measured stamp's position on the service's circle of one interval, in [0, interval)
        long[] position = new long[recorded];
        for (int i = 0; i < recorded; i++) {
            int s = startService[i];
            if (first[s] == Long.MIN_VALUE) {
                first[s] = startNanos[i];
            }
            position[i] = Math.floorMod(startNanos[i] - first[s], interval);
        }
        // Each phase's phases of the services from its own windows: the late checks of an overload (phase 1) must
        // not move where phase 2 (after the drop) thinks its ticks are.
        int[][] phases = {{0, measuredPhase1}, {measuredPhase1, windowBounds.size()}};
        for (int p = 0; p < phases.length; p++) {
            int fromWindow = phases[p][0];
            int toWindow = phases[p][1];
            if (fromWindow >= toWindow) {
                continue;
            }
            long from = windowBounds.get(fromWindow)[0];
            long to = windowBounds.get(toWindow - 1)[1];
            long[] baseline = baselines(services, recorded, firstMeasured, position, from, to);
            for (int w = fromWindow; w < toWindow; w++) {
                long[] bounds = windowBounds.get(w);
                long[] lags = new long[recorded];
                int n = 0;
                for (int i = firstMeasured; i < recorded; i++) {
                    if (startNanos[i] >= bounds[0] && startNanos[i] < bounds[1]) {
                        lags[n++] = Math.floorMod(position[i] - baseline[startService[i]], interval);
                    }
                }
                long[] sorted = Arrays.copyOf(lags, n);
                Arrays.sort(sorted);
                System.out.printf(Locale.ROOT, "LAG phase=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f n=%d%n",
                        p + 1, pct(sorted, 50) / 1e6, pct(sorted, 99) / 1e6,
                        n == 0 ? Double.NaN : sorted[n - 1] / 1e6, n);
            }
        }
    }

    /**
     * Each service's phase from its stamps in [from, to): where their arc on the circle of one interval begins, the
     * stamp after the largest empty gap. Unlike "the smallest deviation", this holds when a late stamp wraps past
     * half an interval, and it uses the measured windows only (a start-up check in the warm-up need not be on the
     * phase). Still a lower bound of the lag, by the service's least late stamp; lags of a whole interval or more
     * cannot be seen.
     */
    private static long[] baselines(int services, int recorded, int firstMeasured, long[] position, long from,
            long to) {
        long interval = INTERVAL.toNanos();
        long[] keys = new long[Math.max(0, recorded - firstMeasured)];
        int k = 0;
        for (int i = firstMeasured; i < recorded; i++) {
            if (startNanos[i] >= from && startNanos[i] < to) {
                keys[k++] = startService[i] * interval + position[i];
            }
        }
        Arrays.sort(keys, 0, k);
        long[] baseline = new long[services];
        for (int start = 0; start < k; ) {
            int s = (int) (keys[start] / interval);
            int end = start;
            while (end < k && keys[end] / interval == s) {
                end++;
            }
            long bestGap = -1;
            long arcStart = 0;
            for (int j = start; j < end; j++) {
                long here = keys[j] % interval;
                long previous = j == start ? keys[end - 1] % interval - interval : keys[j - 1] % interval;
                if (here - previous > bestGap) {
                    bestGap = here - previous;
                    arcStart = here;
                }
            }
            baseline[s] = arcStart;
            start = end;
        }
        return baseline;
    }

    /**
     * Times {@code GET /metrics} as Prometheus sends it (gzip) and plain, one at a time, then four gzip
     * scrapes at once (an HA pair of Prometheus servers plus two people): medians in ms, and sizes.
     */
    private static void printScrape(int port, int scrapes) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + port + "/metrics");
        HttpRequest gzip = HttpRequest.newBuilder(uri).header("Accept-Encoding", "gzip")
                .timeout(Duration.ofSeconds(60)).build();
        HttpRequest plain = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build();
        client.send(gzip, HttpResponse.BodyHandlers.ofByteArray()); // warm-up: class loading, JIT of the writer
        long[] gzipNanos = new long[scrapes];
        long[] plainNanos = new long[scrapes];
        long[] concurrentNanos = new long[scrapes];
        int gzipBytes = 0;
        int plainBytes = 0;
        for (int i = 0; i < scrapes; i++) {
            long t0 = System.nanoTime();
            gzipBytes = client.send(gzip, HttpResponse.BodyHandlers.ofByteArray()).body().length;
            long t1 = System.nanoTime();
            plainBytes = client.send(plain, HttpResponse.BodyHandlers.ofByteArray()).body().length;
            long t2 = System.nanoTime();
            List<CompletableFuture<HttpResponse<byte[]>>> four = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                four.add(client.sendAsync(gzip, HttpResponse.BodyHandlers.ofByteArray()));
            }
            four.forEach(CompletableFuture::join);
            long t3 = System.nanoTime();
            gzipNanos[i] = t1 - t0;
            plainNanos[i] = t2 - t1;
            concurrentNanos[i] = t3 - t2;
        }
        System.out.printf(Locale.ROOT, "SCRAPE gzip_ms=%.1f plain_ms=%.1f four_at_once_ms=%.1f gzip_kb=%.0f"
                + " plain_kb=%.0f%n", median(gzipNanos) / 1e6, median(plainNanos) / 1e6,
                median(concurrentNanos) / 1e6, gzipBytes / 1024.0, plainBytes / 1024.0);
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length / 2];
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** CPU per 1000 plain {@code HttpClient.sendAsync} GETs to the same server: the reference. */
    private static double rawHttp(int[] ports, com.sun.management.OperatingSystemMXBean os, int requests)
            throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        runRaw(requests / 3, i -> client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + ports[i % ports.length] + "/raw/" + i)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding()));
        long cpu0 = os.getProcessCpuTime();
        runRaw(requests, i -> client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + ports[i % ports.length] + "/raw/" + i)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding()));
        return (os.getProcessCpuTime() - cpu0) / 1e6 / requests * 1000;
    }

    private interface Request {
        CompletableFuture<?> send(int i);
    }

    private static void runRaw(int requests, Request request) throws InterruptedException {
        Semaphore inFlight = new Semaphore(64);
        for (int i = 0; i < requests; i++) {
            inFlight.acquire();
            try {
                request.send(i).whenComplete((r, e) -> inFlight.release());
            } catch (RuntimeException e) {
                inFlight.release();
            }
        }
        inFlight.acquire(64);
    }

    /** CPU per 1000 plain connect-and-close to the same server: the reference for TCP checks. */
    private static double rawTcp(int[] ports, com.sun.management.OperatingSystemMXBean os, int requests) {
        connectAndClose(ports, requests / 3);
        long cpu0 = os.getProcessCpuTime();
        connectAndClose(ports, requests);
        return (os.getProcessCpuTime() - cpu0) / 1e6 / requests * 1000;
    }

    private static void connectAndClose(int[] ports, int count) {
        for (int i = 0; i < count; i++) {
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", ports[i % ports.length]), 2000);
            } catch (IOException e) {
                // counted by nobody: the reference is the cost, not the success
            }
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
