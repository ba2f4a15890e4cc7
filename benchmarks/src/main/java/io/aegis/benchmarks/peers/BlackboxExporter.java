package io.aegis.benchmarks.peers;

import io.aegis.benchmarks.Options;
import io.aegis.benchmarks.Procs;
import io.aegis.benchmarks.Stats;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The peer of the fleet rows, set up the way its users run it: a real Prometheus scraping a real
 * blackbox_exporter every second for the same targets, with the standard relabelling (one scrape job,
 * {@code metrics_path: /probe}, {@code params: {module: [http_2xx]}}, {@code __address__ -> __param_target ->
 * instance}, {@code __address__} replaced by the exporter's address). Both listen on free loopback ports; the
 * Prometheus stores into a directory in the work dir that is deleted at the end, and both are killed.
 *
 * <p>What it did is read back from Prometheus itself (its HTTP API, evaluated at each window's end):
 * scrapes ({@code count_over_time(up)}), failed scrapes ({@code up == 0}, e.g. the 1 s scrape timeout),
 * failed probes ({@code probe_success == 0}), scrape durations and samples; the CPU of each process from /proc.
 * blackbox_exporter opens a new connection for every probe (it builds an HTTP client per probe; there is no
 * keep-alive setting to turn on), so its rows are compared with aegis' "http new" row.
 */
public final class BlackboxExporter {
    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[^,]+,\"([^\"]*)\"\\]");

    private BlackboxExporter() {
    }

    /** Both binaries, when installed: blackbox_exporter and prometheus. */
    public static Optional<Path[]> installed() {
        Optional<Path> blackbox = Procs.which("prometheus-blackbox-exporter").or(() -> Procs.which("blackbox_exporter"));
        Optional<Path> prometheus = Procs.which("prometheus");
        if (blackbox.isEmpty() || prometheus.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Path[] {blackbox.get(), prometheus.get()});
    }

    /** What "not installed" names: the binaries missing. */
    public static String missing() {
        List<String> missing = new ArrayList<>();
        if (Procs.which("prometheus-blackbox-exporter").or(() -> Procs.which("blackbox_exporter")).isEmpty()) {
            missing.add("blackbox_exporter");
        }
        if (Procs.which("prometheus").isEmpty()) {
            missing.add("prometheus");
        }
        return String.join(" and ", missing) + " not installed";
    }

    /**
     * Per window: successful probes per second, CPU per successful probe (µs) and cores of each process; over
     * all windows: failures as Prometheus saw them, scrape durations, samples.
     */
    public record Measurement(int targets, Stats probesPerSecond, Stats blackboxUsPerProbe, Stats prometheusUsPerProbe,
            Stats blackboxCores, Stats prometheusCores, long scrapes, long failedScrapes, long failedProbes,
            double scrapeDurationAvgMs, double scrapeDurationP99Ms, double samplesPerSecond, double intervalP99Ms,
            long blackboxRssKb, long prometheusRssKb, String problem) {

        static Measurement problem(String problem) {
            return new Measurement(0, null, null, null, null, null, 0, 0, 0, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, -1, -1, problem);
        }

        /** Both processes' CPU per successful probe, median over the windows. */
        public double usPerProbe() {
            return blackboxUsPerProbe.median() + prometheusUsPerProbe.median();
        }
    }

    public static Measurement measure(Options options, Path blackboxBinary, Path prometheusBinary, int[] ports,
            int targets, Duration warmup, int windows, Duration window) throws Exception {
        Path dir = Files.createDirectories(options.workDir().resolve("blackbox+prometheus-" + targets));
        Path blackboxConfig = dir.resolve("blackbox.yml");
        // The module every blackbox_exporter guide starts with. Its timeout is capped by Prometheus' scrape
        // timeout (1 s here) minus blackbox's 0.5 s offset, so a probe gets 0.5 s.
        Files.writeString(blackboxConfig, """
                modules:
                  http_2xx:
                    prober: http
                    timeout: 5s
                    http:
                      preferred_ip_protocol: ip4
                """);
        int blackboxPort = Procs.freePort();
        int prometheusPort = Procs.freePort();
        StringBuilder prometheusConfig = new StringBuilder("""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: blackbox
                    metrics_path: /probe
                    params:
                      module: [http_2xx]
                    relabel_configs:
                      - source_labels: [__address__]
                        target_label: __param_target
                      - source_labels: [__param_target]
                        target_label: instance
                      - target_label: __address__
                        replacement: 127.0.0.1:%d
                    static_configs:
                      - targets:
                """.formatted(blackboxPort));
        for (int i = 0; i < targets; i++) {
            prometheusConfig.append("          - http://127.0.0.1:").append(ports[i % ports.length]).append("/s/")
                    .append(i).append('\n');
        }
        Path prometheusYml = dir.resolve("prometheus.yml");
        Files.writeString(prometheusYml, prometheusConfig);
        Path storage = dir.resolve("tsdb");

        Process blackbox = null;
        Process prometheus = null;
        try {
            blackbox = new ProcessBuilder(blackboxBinary.toString(), "--config.file=" + blackboxConfig,
                    "--web.listen-address=127.0.0.1:" + blackboxPort, "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("blackbox.log").toFile()).start();
            if (Procs.awaitStatus(blackboxPort, "/-/healthy", 200, Duration.ofSeconds(10), 20) < 0) {
                return problem("blackbox_exporter did not start; see " + dir.resolve("blackbox.log"));
            }
            prometheus = new ProcessBuilder(prometheusBinary.toString(), "--config.file=" + prometheusYml,
                    "--storage.tsdb.path=" + storage, "--web.listen-address=127.0.0.1:" + prometheusPort,
                    "--log.level=warn").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            if (Procs.awaitStatus(prometheusPort, "/-/ready", 200, Duration.ofSeconds(30), 50) < 0) {
                return problem("prometheus did not start; see " + dir.resolve("prometheus.log"));
            }
            // Prometheus applies new target sets every 5 s: wait until every target has been scraped once, then warm up.
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            long allUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!(query(client, prometheusPort, "count(up{job=\"blackbox\"})", System.currentTimeMillis() / 1000.0)
                    >= targets) && System.nanoTime() < allUp) {
                Thread.sleep(200);
            }
            Thread.sleep(warmup.toMillis());
            long blackboxPid = blackbox.pid();
            long prometheusPid = prometheus.pid();
            List<long[]> bounds = new ArrayList<>();
            List<double[]> cpu = new ArrayList<>();
            for (int w = 0; w < windows; w++) {
                double b0 = Procs.cpuSeconds(blackboxPid);
                double p0 = Procs.cpuSeconds(prometheusPid);
                long t0 = System.currentTimeMillis();
                Thread.sleep(window.toMillis());
                long t1 = System.currentTimeMillis();
                bounds.add(new long[] {t0, t1});
                cpu.add(new double[] {Procs.cpuSeconds(blackboxPid) - b0, Procs.cpuSeconds(prometheusPid) - p0});
            }
            long blackboxRss = Procs.rssKb(blackboxPid);
            long prometheusRss = Procs.rssKb(prometheusPid);
            Thread.sleep(1500); // the last window's scrapes (1 s timeout) are in the head before we ask
            List<Double> rates = new ArrayList<>();
            List<Double> blackboxUs = new ArrayList<>();
            List<Double> prometheusUs = new ArrayList<>();
            List<Double> blackboxCores = new ArrayList<>();
            List<Double> prometheusCores = new ArrayList<>();
            long scrapes = 0;
            long failedScrapes = 0;
            long failedProbes = 0;
            List<Double> durationAvg = new ArrayList<>();
            List<Double> durationP99 = new ArrayList<>();
            List<Double> samples = new ArrayList<>();
            for (int w = 0; w < bounds.size(); w++) {
                long t0 = bounds.get(w)[0];
                long t1 = bounds.get(w)[1];
                double seconds = (t1 - t0) / 1000.0;
                String range = "[" + (t1 - t0) + "ms]";
                double at = t1 / 1000.0;
                double scraped = query(client, prometheusPort, "sum(count_over_time(up{job=\"blackbox\"}" + range + "))",
                        at);
                double up = query(client, prometheusPort, "sum(sum_over_time(up{job=\"blackbox\"}" + range + "))", at);
                double probed = query(client, prometheusPort, "sum(count_over_time(probe_success{job=\"blackbox\"}"
                        + range + "))", at);
                double succeeded = query(client, prometheusPort, "sum(sum_over_time(probe_success{job=\"blackbox\"}"
                        + range + "))", at);
                durationAvg.add(query(client, prometheusPort, "avg(avg_over_time(scrape_duration_seconds{job="
                        + "\"blackbox\"}" + range + "))", at) * 1000);
                durationP99.add(query(client, prometheusPort, "quantile(0.99, max_over_time(scrape_duration_seconds{"
                        + "job=\"blackbox\"}" + range + "))", at) * 1000);
                samples.add(query(client, prometheusPort, "sum(sum_over_time(scrape_samples_scraped{job=\"blackbox\"}"
                        + range + "))", at) / seconds);
                scrapes += (long) zeroIfNaN(scraped);
                failedScrapes += (long) (zeroIfNaN(scraped) - zeroIfNaN(up));
                failedProbes += (long) (zeroIfNaN(probed) - zeroIfNaN(succeeded));
                double ok = zeroIfNaN(succeeded);
                rates.add(ok / seconds);
                double[] used = cpu.get(w);
                blackboxUs.add(ok == 0 ? Double.NaN : used[0] * 1e6 / ok);
                prometheusUs.add(ok == 0 ? Double.NaN : used[1] * 1e6 / ok);
                blackboxCores.add(used[0] / seconds);
                prometheusCores.add(used[1] / seconds);
            }
            double intervalP99 = intervalP99Ms(client, prometheusPort);
            return new Measurement(targets, Stats.of(rates), Stats.of(blackboxUs), Stats.of(prometheusUs),
                    Stats.of(blackboxCores), Stats.of(prometheusCores), scrapes, failedScrapes, failedProbes,
                    Stats.of(durationAvg).median(), Stats.of(durationP99).median(), Stats.of(samples).median(),
                    intervalP99, blackboxRss, prometheusRss, null);
        } finally {
            if (prometheus != null) {
                Procs.destroyTree(prometheus.toHandle());
            }
            if (blackbox != null) {
                Procs.destroyTree(blackbox.toHandle());
            }
            deleteTree(storage);
        }
    }

    private static Measurement problem(String text) {
        return Measurement.problem(text);
    }

    private static double zeroIfNaN(double value) {
        return Double.isNaN(value) ? 0 : value;
    }

    /** One instant query of Prometheus' HTTP API at {@code time} (unix seconds); NaN when empty or failed. */
    private static double query(HttpClient client, int port, String promql, double time) {
        try {
            String uri = "http://127.0.0.1:" + port + "/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8) + "&time="
                    + String.format(Locale.ROOT, "%.3f", time);
            String body = client.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = VALUE.matcher(body);
            return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /**
     * Prometheus' own p99 of the time between two scrapes of a target, in ms (its
     * {@code prometheus_target_interval_length_seconds} summary, which covers the warm-up too): 1000 when
     * every scrape starts on time, more when it falls behind.
     */
    private static double intervalP99Ms(HttpClient client, int port) {
        try {
            String body = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith("prometheus_target_interval_length_seconds{") && line.contains("interval=\"1s\"")
                        && line.contains("quantile=\"0.99\"")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) * 1000;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Double.NaN;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover in the work dir; nothing else depends on it
        }
    }
}
