package io.aegis.benchmarks.peers;

import io.aegis.benchmarks.Options;
import io.aegis.benchmarks.Procs;
import io.aegis.benchmarks.Stats;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Prometheus' blackbox_exporter probing the fleet's endpoints, driven at the fleet's check rate by this
 * process (as Prometheus would scrape {@code /probe}), on a loopback port with its config in the work dir.
 */
public final class BlackboxExporter {
    private static final int MAX_IN_FLIGHT = 256;

    private BlackboxExporter() {
    }

    /** Probes per second and blackbox_exporter's own CPU per 1000 probes, per window. */
    public record Measurement(Stats rate, Stats cpuMsPer1000, String problem) {
        public static final Measurement NOT_INSTALLED = new Measurement(null, null, "blackbox_exporter: not installed");

        public String rateColumn(double aegis) {
            return problem != null ? problem
                    : "blackbox_exporter " + rate.summary("/s") + "; aegis/peer " + Stats.ratio(aegis, rate.median());
        }

        public String cpuColumn(double aegis) {
            return problem != null ? problem : "blackbox_exporter " + cpuMsPer1000.summary("ms")
                    + "; aegis/peer " + Stats.ratio(aegis, cpuMsPer1000.median());
        }
    }

    public static Measurement measure(Options options, Path binary, int[] ports, int targets, Duration warmup,
            int windows, Duration window) throws Exception {
        Path dir = Files.createDirectories(options.workDir().resolve("blackbox"));
        Path config = dir.resolve("blackbox.yml");
        Files.writeString(config, "modules:\n  http_2xx:\n    prober: http\n    timeout: 2s\n    http:\n"
                + "      preferred_ip_protocol: ip4\n");
        int port = Procs.freePort();
        Process process = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("blackbox.log").toFile()).start();
        try {
            if (Procs.awaitStatus(port, "/-/healthy", 200, Duration.ofSeconds(10), 20) < 0) {
                return new Measurement(null, null, "blackbox_exporter did not start; see " + dir.resolve("blackbox.log"));
            }
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<URI> uris = new ArrayList<>(targets);
            for (int i = 0; i < targets; i++) {
                uris.add(URI.create("http://127.0.0.1:" + port + "/probe?module=http_2xx&target=http://127.0.0.1:"
                        + ports[i % ports.length] + "/s/" + i));
            }
            drive(client, uris, targets, warmup, new LongAdder(), new Semaphore(MAX_IN_FLIGHT));
            List<Double> rates = new ArrayList<>();
            List<Double> cpus = new ArrayList<>();
            Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
            for (int w = 0; w < windows; w++) {
                LongAdder succeeded = new LongAdder();
                double cpu0 = Procs.cpuSeconds(process.pid());
                long t0 = System.nanoTime();
                drive(client, uris, targets, window, succeeded, inFlight);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double cpu1 = Procs.cpuSeconds(process.pid());
                long n = succeeded.sum();
                rates.add(n / seconds);
                cpus.add(n == 0 ? Double.NaN : (cpu1 - cpu0) * 1000 / n * 1000);
            }
            inFlight.tryAcquire(MAX_IN_FLIGHT, 5, java.util.concurrent.TimeUnit.SECONDS);
            return new Measurement(Stats.of(rates), Stats.of(cpus), null);
        } finally {
            Procs.destroyTree(process.toHandle());
        }
    }

    /** Issues {@code perSecond} probes a second, evenly, for {@code duration}; counts successful probes. */
    private static void drive(HttpClient client, List<URI> uris, int perSecond, Duration duration,
            LongAdder succeeded, Semaphore inFlight) throws InterruptedException {
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long issued = 0;
        int next = 0;
        while (System.nanoTime() < end) {
            long due = (long) ((System.nanoTime() - start) / 1e9 * perSecond);
            while (issued < due) {
                issued++;
                if (!inFlight.tryAcquire()) {
                    continue; // the peer cannot keep up: this probe is skipped, as a scrape would time out
                }
                URI uri = uris.get(next);
                next = (next + 1) % uris.size();
                client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                            inFlight.release();
                            if (error == null && response.statusCode() == 200
                                    && response.body().contains("probe_success 1")) {
                                succeeded.increment();
                            }
                        });
            }
            Thread.sleep(2);
        }
    }
}
