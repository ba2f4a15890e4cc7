package io.aegis.benchmarks;

import io.aegis.benchmarks.peers.BlackboxExporter;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fleet scale: N HTTP (or TCP) endpoints on loopback, all checked every second by one aegis process.
 *
 * <p>The endpoints are served by {@link LoopbackServer} in its own process over min(N, 1000) ports (distinct
 * origins, so the HTTP client keeps a connection pool per port as with a real fleet; 10,000 listening ports
 * plus 10,000 connections would not fit the 20,000 file descriptors a process gets here). Variants: HTTP
 * with connection reuse (the checker's default), HTTP with a new connection per check (the server closes
 * every connection, as kubelet and blackbox_exporter probe), and TCP connect checks. blackbox_exporter,
 * where installed, probes the same endpoints at the same rate, driven by this process as Prometheus would.
 */
public final class FleetScenario implements Scenario {
    @Override
    public String name() {
        return "fleet";
    }

    @Override
    public Result run(Options options) throws Exception {
        Result result = new Result();
        List<Integer> sizes = options.smoke() ? List.of(20) : List.of(1_000, 10_000);
        Duration warmup = options.duration(Duration.ofSeconds(2), Duration.ofMillis(500));
        int windows = options.size(3, 1);
        Duration window = options.duration(Duration.ofSeconds(2), Duration.ofSeconds(1));
        Optional<Path> blackbox = Procs.which("prometheus-blackbox-exporter").or(() -> Procs.which("blackbox_exporter"));
        for (int services : sizes) {
            int ports = Math.min(services, 1000);
            try (Server server = Server.start(options, ports, false)) {
                // Only the tcp run is scraped (its row is the /metrics row): at 10,000 HTTP services the engine does
                // not keep up, and scrapes on a saturated machine pushed that agent past its deadline.
                Agent http = Agent.run(options, services, "http", server.portsFile, warmup, windows, window, 0);
                http.report(result, "fleet " + services + " http keep-alive", null);
                Agent tcp = Agent.run(options, services, "tcp", server.portsFile, warmup, windows, window,
                        options.size(3, 1));
                tcp.report(result, "fleet " + services + " tcp connect", null);
                tcp.reportScrape(result, "fleet " + services + " /metrics");
            }
            try (Server server = Server.start(options, ports, true)) {
                Agent fresh = Agent.run(options, services, "http", server.portsFile, warmup, windows, window, 0);
                BlackboxExporter.Measurement peer = blackbox.isEmpty() ? null
                        : BlackboxExporter.measure(options, blackbox.get(), server.ports, services, warmup, windows,
                                window);
                fresh.report(result, "fleet " + services + " http new conn", blackbox.isEmpty()
                        ? BlackboxExporter.Measurement.NOT_INSTALLED : peer);
            }
        }
        result.note("fleet: aegis runs in its own JVM (default heap and GC, metrics on); the endpoints in another"
                + " (one NIO thread, min(N,1000) loopback ports); every service is checked every 1s. Windows of "
                + window.toMillis() + "ms after " + warmup.toMillis() + "ms warm-up; median [min-max] over windows.");
        result.note("lag = when the engine called check() minus the service's planned tick (phase estimated from its"
                + " earliest call), so a lower bound. 'ref' for CPU = aegis CPU per check / CPU per plain JDK"
                + " HttpClient request (or plain connect) to the same server, measured in the same JVM first.");
        result.note("blackbox_exporter is driven at N probes/s from the driver (max 256 in flight); its CPU is its"
                + " own process only (no scheduler: the driver plays Prometheus). It opens a new connection per"
                + " probe, so it is compared with 'http new conn'.");
        return result;
    }

    /** The loopback endpoints, in their own process. */
    private static final class Server implements AutoCloseable {
        final Process process;
        final Path portsFile;
        final int[] ports;

        private Server(Process process, Path portsFile, int[] ports) {
            this.process = process;
            this.portsFile = portsFile;
            this.ports = ports;
        }

        static Server start(Options options, int ports, boolean close) throws IOException {
            Path log = options.workDir().resolve("loopback-server.log");
            Process process = Procs.start(Procs.javaCommand(options, List.of("-Xmx256m", "-XX:+UseSerialGC"),
                    LoopbackServer.class, Integer.toString(ports), close ? "close" : "keep", "600"), log);
            BufferedReader out = Procs.lines(process.getInputStream());
            String line = Procs.awaitLine(out, l -> l.startsWith("PORTS "), Duration.ofSeconds(30))
                    .orElseThrow(() -> {
                        Procs.destroyTree(process.toHandle());
                        return new IOException("the loopback server did not start; see " + log);
                    });
            String list = line.substring(6);
            Path file = options.workDir().resolve("ports-" + process.pid() + ".txt");
            Files.writeString(file, list);
            int[] parsed = java.util.Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
            return new Server(process, file, parsed);
        }

        @Override
        public void close() {
            Procs.destroyTree(process.toHandle());
        }
    }

    /** One run of {@link FleetAgent}: its window lines, parsed. */
    private static final class Agent {
        final List<Map<String, Double>> windows = new ArrayList<>();
        final List<Map<String, Double>> lags = new ArrayList<>();
        Map<String, Double> scrape = Map.of();
        Map<String, Double> end = Map.of();
        int services;
        int scrapes;

        static Agent run(Options options, int services, String type, Path portsFile, Duration warmup, int windows,
                Duration window, int scrapes) throws IOException, InterruptedException {
            Agent agent = new Agent();
            agent.services = services;
            agent.scrapes = scrapes;
            List<String> jvm = new ArrayList<>(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
            if (options.smoke()) {
                jvm.add("-XX:TieredStopAtLevel=1"); // the smoke run only proves the path works: start fast
            }
            String extra = System.getProperty("aegis.bench.agentJvmArgs", "");
            if (!extra.isBlank()) {
                jvm.addAll(List.of(extra.trim().split("\\s+")));
            }
            Path log = options.workDir().resolve("fleet-agent-" + services + "-" + type + ".log");
            Process process = Procs.start(Procs.javaCommand(options, jvm, FleetAgent.class, Integer.toString(services),
                    type, portsFile.toString(), Long.toString(warmup.toMillis()), Integer.toString(windows),
                    Long.toString(window.toMillis()), Integer.toString(options.size(3000, 100)),
                    Integer.toString(scrapes)), log);
            long limit = warmup.toMillis() + windows * window.toMillis() + 60_000;
            try {
                BufferedReader out = Procs.lines(process.getInputStream());
                long deadline = System.currentTimeMillis() + limit;
                String line;
                while (System.currentTimeMillis() < deadline && (line = out.readLine()) != null) {
                    if (line.startsWith("WINDOW ")) {
                        agent.windows.add(parse(line));
                    } else if (line.startsWith("LAG ")) {
                        agent.lags.add(parse(line));
                    } else if (line.startsWith("SCRAPE ")) {
                        agent.scrape = parse(line);
                    } else if (line.startsWith("END ")) {
                        agent.end = parse(line);
                        break;
                    }
                }
                if (agent.end.isEmpty()) {
                    throw new IOException("the fleet agent (" + services + " " + type + ") gave no result; see " + log);
                }
            } finally {
                process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                Procs.destroyTree(process.toHandle());
            }
            return agent;
        }

        private static Map<String, Double> parse(String line) {
            Map<String, Double> values = new HashMap<>();
            for (String pair : line.substring(line.indexOf(' ') + 1).split(" ")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    values.put(pair.substring(0, eq), Double.parseDouble(pair.substring(eq + 1)));
                }
            }
            return values;
        }

        /** The cost of {@code GET /metrics} at this many services, taken while the checks ran. */
        void reportScrape(Result result, String scenario) {
            if (scrape.isEmpty()) {
                result.row(scenario, "render + send ms", "no SCRAPE line", "", "");
                return;
            }
            result.row(scenario, "render + send ms", Stats.num(scrape.get("gzip_ms")) + " ms gzip ("
                    + Stats.num(scrape.get("gzip_kb")) + " KB), " + Stats.num(scrape.get("plain_ms")) + " ms plain ("
                    + Stats.num(scrape.get("plain_kb")) + " KB); 4 gzip scrapes at once: "
                    + Stats.num(scrape.get("four_at_once_ms")) + " ms", "median of " + scrapes + " scrapes", "");
        }

        Stats windowStat(String key) {
            return Stats.of(windows.stream().map(w -> w.getOrDefault(key, Double.NaN)).toList());
        }

        Stats lagStat(String key) {
            return Stats.of(lags.stream().map(w -> w.getOrDefault(key, Double.NaN)).toList());
        }

        void report(Result result, String scenario, BlackboxExporter.Measurement peer) {
            Stats rate = windowStat("checks_per_s");
            Stats cpu = windowStat("cpu_ms_per_1000");
            String peerRate = peer == null ? "" : peer.rateColumn(rate.median());
            String peerCpu = peer == null ? "" : peer.cpuColumn(cpu.median());
            double failed = windows.stream().mapToDouble(w -> w.getOrDefault("failed", 0.0)).sum();
            result.row(scenario, "checks/s (scheduled " + services + ")", rate.summary(""),
                    "achieved/scheduled " + Stats.ratio(rate.median(), services)
                            + (failed > 0 ? ", " + (long) failed + " failed" : ""), peerRate);
            result.row(scenario, "sched. lag p50 ms", lagStat("p50_ms").summary(""), "", "");
            result.row(scenario, "sched. lag p99 ms", lagStat("p99_ms").summary(""), "", "");
            result.row(scenario, "sched. lag max ms", lagStat("max_ms").summary(""), "", "");
            result.row(scenario, "CPU ms / 1000 checks", cpu.summary(""),
                    "vs plain client " + Stats.ratio(cpu.median(), end.getOrDefault("raw_cpu_ms_per_1000", Double.NaN)),
                    peerCpu);
            result.row(scenario, "heap KB/service, threads", Stats.num(end.get("heap_per_service_bytes") / 1024)
                    + " KB, " + end.get("threads").intValue() + " threads (peak " + end.get("peak_threads").intValue()
                    + ")", "", "");
        }
    }
}
