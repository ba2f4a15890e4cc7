package io.aegis.benchmarks;

import io.aegis.api.CheckResult;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.Scheduler;
import io.aegis.core.internal.anomaly.AnomalyConfig;
import io.aegis.core.internal.anomaly.AnomalyDetector;
import io.aegis.core.internal.anomaly.MetricsSource;
import io.aegis.core.internal.anomaly.SeriesSelector;
import io.aegis.core.internal.anomaly.Signal;
import io.aegis.core.internal.anomaly.SignalJudge;
import io.aegis.core.internal.anomaly.SignalSourceConfig;
import io.aegis.core.internal.logs.LogsConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Anomaly detection in numbers: how many evaluations it takes to notice a step change in latency, how often steady
 * noise raises an anomaly (10,000 samples), the CPU of one evaluated signal in a fleet, and the cost of scraping and
 * parsing a 1 MB Prometheus exposition beside Prometheus' own {@code promtool check metrics} parsing the same text.
 *
 * <p>The detection figures run aegis' own judge ({@link SignalJudge}) with the defaults of {@code anomaly_detection}
 * (EWMA baseline over 100 evaluations, 10 to warm up, sensitivity 3, {@code for: 3}) on seeded series, so they are
 * the same in every run; seconds are evaluations times the default {@code detection_interval} of 30s.
 */
final class AnomalyScenario implements Scenario {
    private static final double MEAN = 100;
    private static final double SIGMA = 10;
    /** Evaluations after the step after which a trial counts as not detected. */
    private static final int GIVE_UP = 100;

    @Override
    public String name() {
        return "anomaly";
    }

    @Override
    public Result run(Options options) throws Exception {
        Result result = new Result();
        AnomalyConfig defaults = new AnomalyConfig(true, AnomalyConfig.DEFAULT_DETECTION_INTERVAL,
                AnomalyConfig.DEFAULT_HISTORY_SIZE, AnomalyConfig.DEFAULT_SENSITIVITY, AnomalyConfig.DEFAULT_WARM_UP,
                AnomalyConfig.DEFAULT_FOR, AnomalyConfig.DEFAULT_DETECTION_INTERVAL.multipliedBy(3),
                AnomalyConfig.DEFAULT_DETECTION_INTERVAL.multipliedBy(AnomalyConfig.DEFAULT_HISTORY_SIZE), true,
                io.aegis.api.Severity.WARNING, LogsConfig.Action.NONE, List.of());
        int trials = options.size(1000, 20);
        for (double step : new double[] {2 * MEAN, 1.4 * MEAN}) {
            Detection delay = detectionDelay(defaults, step, trials, false);
            Detection skewed = detectionDelay(defaults, step, trials, true);
            long seconds = AnomalyConfig.DEFAULT_DETECTION_INTERVAL.toSeconds();
            result.row("anomaly: latency step " + Stats.num(MEAN) + " -> " + Stats.num(step) + " ms",
                    "evaluations to detect (baseline)", delay.summary() + " (median " + Stats.num(
                    delay.evaluations().median() * seconds) + " s at 30s)", "log-normal noise: " + skewed.summary(),
                    "");
        }
        int samples = 10_000;
        double[] gaussian = falsePositives(defaults, samples, options.size(20, 2), false);
        double[] skewed = falsePositives(defaults, samples, options.size(20, 2), true);
        result.row("anomaly: steady noise, 10,000 samples", "anomalies per 10,000 (out-of-bounds evaluations %)",
                Stats.num(gaussian[0]) + " (" + Stats.num(gaussian[1] * 100) + "%) gaussian",
                Stats.num(skewed[0]) + " (" + Stats.num(skewed[1] * 100) + "%) log-normal", "");
        int services = options.size(10_000, 100);
        Stats cpu = evaluationCpu(defaults, services, options.size(30, 2));
        result.row("anomaly: " + services + " services x 2 signals", "CPU per evaluated signal (checks)",
                cpu.summary("µs"), "", "");
        scrapeRow(options, result);
        result.note("anomaly: detection runs aegis' SignalJudge with the defaults (EWMA over 100 evaluations, 10 to warm"
                + " up, sensitivity 3, for: 3) after 200 samples of noise (sigma 10 ms around 100 ms; log-normal: the"
                + " same mean and sigma, skewed as latencies are), " + trials + " seeded trials per step; the false"
                + " positives are averaged over seeded series of 10,000 samples each");
        return result;
    }

    private static double noise(Random random, boolean logNormal) {
        if (!logNormal) {
            return SIGMA * random.nextGaussian();
        }
        // log-normal with mean MEAN and standard deviation SIGMA, minus MEAN
        double s2 = Math.log(1 + (SIGMA * SIGMA) / (MEAN * MEAN));
        double mu = Math.log(MEAN) - s2 / 2;
        return Math.exp(mu + Math.sqrt(s2) * random.nextGaussian()) - MEAN;
    }

    private static Detection detectionDelay(AnomalyConfig config, double stepTo, int trials, boolean logNormal) {
        List<Double> delays = new ArrayList<>();
        for (int trial = 0; trial < trials; trial++) {
            Random random = new Random(trial);
            SignalJudge judge = SignalJudge.of(Signal.LATENCY, Double.NaN, config);
            Instant now = Instant.EPOCH;
            for (int i = 0; i < 200; i++) {
                now = now.plus(config.detectionInterval());
                judge.evaluate(MEAN + noise(random, logNormal), now);
            }
            int evaluations = 0;
            SignalJudge.Change change = SignalJudge.Change.NONE;
            while (change != SignalJudge.Change.BEGAN && evaluations < GIVE_UP) {
                now = now.plus(config.detectionInterval());
                change = judge.evaluate(stepTo + noise(random, logNormal) * stepTo / MEAN, now);
                evaluations++;
            }
            // a step the baseline absorbed (values that fell within its band were learned) is never detected
            delays.add(change == SignalJudge.Change.BEGAN ? evaluations : Double.NaN);
        }
        return new Detection(Stats.of(delays), delays.stream().filter(d -> !Double.isNaN(d)).count()
                / (double) trials);
    }

    /** Evaluations until detected (of the detected trials), and the share of trials detected at all. */
    private record Detection(Stats evaluations, double detected) {
        String summary() {
            return evaluations.summary("") + ", " + Stats.num(detected * 100) + "% detected within " + GIVE_UP;
        }
    }

    /** Anomalies per {@code samples} and the share of evaluations out of bounds, averaged over seeded series. */
    private static double[] falsePositives(AnomalyConfig config, int samples, int series, boolean logNormal) {
        double anomalies = 0;
        double out = 0;
        for (int s = 0; s < series; s++) {
            Random random = new Random(1000 + s);
            SignalJudge judge = SignalJudge.of(Signal.LATENCY, Double.NaN, config);
            Instant now = Instant.EPOCH;
            for (int i = 0; i < samples; i++) {
                now = now.plus(config.detectionInterval());
                judge.evaluate(MEAN + noise(random, logNormal), now);
                if (judge.lastJudgement().out()) {
                    out++;
                }
            }
            anomalies += judge.anomalies();
        }
        return new double[] {anomalies / series, out / series / samples};
    }

    /** Thread CPU of one evaluation round over {@code services} services, per evaluated signal, per round. */
    private static Stats evaluationCpu(AnomalyConfig config, int services, int rounds) throws Exception {
        EventBus bus = new EventBus(1024);
        Alerts alerts = new Alerts(bus, Clock.systemUTC());
        CapturingScheduler scheduler = new CapturingScheduler();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<Double> perSignal = new ArrayList<>();
        try (AnomalyDetector detector = new AnomalyDetector(config, alerts, bus, Clock.systemUTC(), scheduler,
                new AnomalyDetector.Actions() {
                    @Override
                    public void anomalous(String service, boolean anomalous, String cause) {
                    }

                    @Override
                    public void act(String service, String cause) {
                    }
                })) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < services; i++) {
                names.add("svc-" + i);
                detector.watch(names.get(i), Map.of(), SignalSourceConfig.none());
            }
            detector.start();
            Random random = new Random(5);
            CheckResult[] results = new CheckResult[64];
            for (int i = 0; i < results.length; i++) {
                results[i] = CheckResult.healthy(Duration.ofNanos((long) (1_000_000 + 200_000 * random.nextGaussian())));
            }
            for (int round = -5; round < rounds; round++) { // 5 rounds warm the JIT and the baselines
                for (int i = 0; i < services; i++) {
                    detector.checkCompleted(names.get(i), results[(i + round) & 63], true, true);
                }
                long before = threads.getCurrentThreadCpuTime();
                scheduler.evaluation.run();
                long cpu = threads.getCurrentThreadCpuTime() - before;
                if (round >= 0) {
                    perSignal.add(cpu / 1000.0 / (services * 2.0));
                }
            }
        } finally {
            bus.close(Duration.ZERO);
        }
        return Stats.of(perSignal);
    }

    /** 1 MB of exposition served by another process, scraped and parsed by aegis' metrics source, and by promtool. */
    private void scrapeRow(Options options, Result result) throws Exception {
        Path dir = Files.createDirectories(options.workDir().resolve("anomaly"));
        Path exposition = dir.resolve("metrics");
        int samples = writeExposition(exposition, options.smoke() ? 64 << 10 : 1 << 20);
        long bytes = Files.size(exposition);
        String scenario = "anomaly: scrape " + Stats.num(bytes / 1e6) + " MB exposition (" + samples + " samples)";
        Optional<Path> python = Procs.which("python3");
        if (python.isEmpty()) {
            result.row(scenario, "CPU ms per scrape + parse", "python3 not installed (it serves the file)", "", "");
            return;
        }
        int port = Procs.freePort();
        Process server = Procs.start(List.of(python.get().toString(), "-m", "http.server", "--bind", "127.0.0.1",
                "--directory", dir.toString(), Integer.toString(port)), dir.resolve("http-server.log"));
        try {
            Procs.awaitStatus(port, "/metrics", 200, Duration.ofSeconds(20), 50);
            MetricsSource source = MetricsSource.standalone("bench", new SignalSourceConfig.Metrics(
                    URI.create("http://127.0.0.1:" + port + "/metrics"), Optional.empty(), Optional.empty(),
                    Optional.of(SeriesSelector.parse("http_requests_total{job=\"api\"}")),
                    Optional.of(SeriesSelector.parse("http_requests_total{job=\"api\",code=~\"5..\"}")),
                    Optional.of(SeriesSelector.parse("http_request_duration_seconds{job=\"api\"}")), 0.95,
                    "bench.metrics"));
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    ManagementFactory.getOperatingSystemMXBean();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            byte[] body = Files.readAllBytes(exposition);
            int rounds = options.size(50, 3);
            List<Double> scrapeCpu = new ArrayList<>();
            List<Double> parseCpu = new ArrayList<>();
            List<Double> promtool = new ArrayList<>();
            for (int round = -10; round < rounds; round++) { // the first rounds warm the JIT
                long cpuBefore = os.getProcessCpuTime();
                HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                String problem = source.take(response.body(), response.headers().firstValue("Content-Type")
                        .orElse("text/plain"), System.nanoTime());
                long scrapeNanos = os.getProcessCpuTime() - cpuBefore;
                if (problem != null) {
                    throw new IllegalStateException("aegis could not read the exposition: " + problem);
                }
                long threadBefore = threads.getCurrentThreadCpuTime();
                source.take(body, "text/plain; version=0.0.4", System.nanoTime());
                long parseNanos = threads.getCurrentThreadCpuTime() - threadBefore;
                if (round >= 0) {
                    scrapeCpu.add(scrapeNanos / 1e6);
                    parseCpu.add(parseNanos / 1e6);
                    promtool(exposition).ifPresent(promtool::add);
                }
            }
            Stats scrape = Stats.of(scrapeCpu);
            Stats parse = Stats.of(parseCpu);
            Stats peer = Stats.of(promtool);
            result.row(scenario, "CPU ms per scrape + parse (parse alone)", scrape.summary("ms") + " ("
                    + parse.summary("ms") + ")", "", promtool.isEmpty() ? "promtool: not installed"
                    : Stats.ratio(peer.median(), scrape.median()) + " less than promtool check metrics ("
                    + peer.summary("ms") + " CPU)");
            result.note("anomaly: the exposition is served by python3's http.server (another process); aegis' CPU is"
                    + " the benchmark JVM's (JDK HTTP client, MetricsSource: parse, select 3 selectors, derive), promtool's"
                    + " is user+sys of `promtool check metrics < file` (parse and lint)");
        } finally {
            Procs.destroyTree(server.toHandle());
        }
    }

    /** user+sys milliseconds of one {@code promtool check metrics < file}, if promtool is installed. */
    private static Optional<Double> promtool(Path exposition) throws Exception {
        if (Procs.which("promtool").isEmpty()) {
            return Optional.empty();
        }
        Process process = new ProcessBuilder("bash", "-c", "TIMEFORMAT='%3U %3S'; { time promtool check metrics < \""
                + exposition + "\" > /dev/null 2>&1; } 2>&1").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return Optional.empty();
        }
        String[] times = output.substring(output.lastIndexOf('\n') + 1).trim().split(" ");
        return Optional.of((Double.parseDouble(times[0]) + Double.parseDouble(times[1])) * 1000);
    }

    /** Writes about {@code size} bytes of a service's exposition: counters by job/code/path and a histogram. */
    static int writeExposition(Path file, int size) throws Exception {
        StringBuilder text = new StringBuilder(size + 4096);
        text.append("# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n");
        int samples = 0;
        String[] codes = {"200", "201", "204", "301", "400", "404", "500", "503"};
        int path = 0;
        StringBuilder histogram = new StringBuilder();
        histogram.append("# HELP http_request_duration_seconds Request latency.\n")
                .append("# TYPE http_request_duration_seconds histogram\n");
        double[] bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
        while (text.length() + histogram.length() < size) {
            String job = path % 4 == 0 ? "api" : "job" + (path % 4);
            for (String code : codes) {
                text.append("http_requests_total{job=\"").append(job).append("\",path=\"/v1/items/").append(path)
                        .append("\",code=\"").append(code).append("\"} ").append(1000L * path + code.hashCode() % 997)
                        .append('\n');
                samples++;
            }
            long cumulative = 0;
            for (double bound : bounds) {
                cumulative += 10 + path % 7;
                histogram.append("http_request_duration_seconds_bucket{job=\"").append(job).append("\",path=\"/v1/items/")
                        .append(path).append("\",le=\"").append(bound).append("\"} ").append(cumulative).append('\n');
                samples++;
            }
            histogram.append("http_request_duration_seconds_bucket{job=\"").append(job).append("\",path=\"/v1/items/")
                    .append(path).append("\",le=\"+Inf\"} ").append(cumulative).append('\n');
            histogram.append("http_request_duration_seconds_sum{job=\"").append(job).append("\",path=\"/v1/items/")
                    .append(path).append("\"} ").append(cumulative * 0.1).append('\n');
            histogram.append("http_request_duration_seconds_count{job=\"").append(job).append("\",path=\"/v1/items/")
                    .append(path).append("\"} ").append(cumulative).append('\n');
            samples += 3;
            path++;
        }
        Files.writeString(file, text.append(histogram), StandardCharsets.UTF_8);
        return samples;
    }

    /** A scheduler that runs nothing by itself: the evaluation task is kept for the benchmark to run. */
    private static final class CapturingScheduler implements Scheduler {
        volatile Runnable evaluation;
        private final List<Runnable> others = new CopyOnWriteArrayList<>();

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Task schedule(Runnable task, Duration delay) {
            others.add(task);
            return () -> { };
        }

        @Override
        public Task scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period) {
            evaluation = task;
            return () -> { };
        }
    }
}
