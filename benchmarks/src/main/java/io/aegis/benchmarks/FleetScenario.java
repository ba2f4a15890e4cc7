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
 * <p>The endpoints are served by {@link LoopbackServer} in processes of their own over min(N, 1000) ports
 * (distinct origins, so the HTTP client keeps a connection pool per port as with a real fleet), one server
 * process per 5,000 services (a process gets 20,000 descriptors here; each server reports its failed accepts
 * and peak descriptors, so a failure of the server is never counted against aegis silently). Rows: HTTP with
 * connection reuse (the checker's default), HTTP with a new connection per check (the server closes every
 * connection, as kubelet and blackbox_exporter probe), TCP connect checks (failures by kind beside the
 * server's accept failures), and overload: 20,000 HTTP services on the same cores, then the load dropped to
 * 10,000 (half of the services removed from the running engine) to show whether aegis recovers by itself.
 * Where installed, a real Prometheus scrapes a real blackbox_exporter for the same targets every second
 * ({@link BlackboxExporter}), compared with the "http new" row of the same size.
 */
public final class FleetScenario implements Scenario {
    /** The bar for "on time": at least 99% of the expected rate, lag p99 at most 50 ms, nothing failed. */
    private static final double ON_TIME_RATE = 0.99;
    private static final double ON_TIME_LAG_MS = 50;

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
        // Phase 1 (the table's figures) is measured after the process has run this long; the windows right after the
        // warm-up are reported beside it as the first seconds (a new JVM's JIT compiling the check path cost the
        // 10,000 "http new" row half its rate in them: 4,660 checks/s at 322 µs each, vs 9,936 at 110 µs at 20 s).
        Duration steadyAt = options.duration(Duration.ofSeconds(20), Duration.ZERO);
        Optional<Path[]> peer = BlackboxExporter.installed();
        for (int services : sizes) {
            int ports = Math.min(services, 1000);
            int servers = serverProcesses(services);
            // No /metrics scrape in the http runs: at 10,000 HTTP services main's engine did not keep up, and scrapes
            // on a saturated machine pushed that agent past its deadline (the tcp run's row is the /metrics row).
            String keep = "fleet " + services + " http keep";
            Agent http = measured(result, keep, () -> Agent.run(options, services, "http", ports, false, servers,
                    warmup, windows, window, 0, 0, 0, steadyAt));
            if (http != null) {
                http.report(result, keep, 1);
                http.reportServer(result, keep);
            }
            String tcpRow = "fleet " + services + " tcp";
            Agent tcp = measured(result, tcpRow, () -> Agent.run(options, services, "tcp", ports, false, servers,
                    warmup, windows, window, options.size(3, 1), 0, 0, steadyAt));
            if (tcp != null) {
                tcp.report(result, tcpRow, 1);
                tcp.reportFailures(result, tcpRow);
                tcp.reportScrape(result, "fleet " + services + " /metrics");
            }
            String newRow = "fleet " + services + " http new";
            Agent fresh = measured(result, newRow, () -> Agent.run(options, services, "http", ports, true, servers,
                    warmup, windows, window, 0, 0, 0, steadyAt));
            if (fresh != null) {
                fresh.report(result, newRow, 1);
                fresh.reportServer(result, newRow);
            }
            String peerRow = "fleet " + services + " blackbox+prometheus";
            if (!ROWS.matcher(peerRow).find()) {
                continue;
            }
            if (peer.isEmpty()) {
                result.row(peerRow, "probes/s, CPU per probe", "", "", BlackboxExporter.missing());
                continue;
            }
            try (Server server = Server.start(options, ports, true, servers)) {
                BlackboxExporter.Measurement measured = BlackboxExporter.measure(options, peer.get()[0], peer.get()[1],
                        server.ports, services, options.duration(Duration.ofSeconds(4), Duration.ofSeconds(1)),
                        windows, options.duration(Duration.ofSeconds(3), Duration.ofSeconds(2)));
                reportPeer(result, peerRow, measured, fresh, server.freshStats());
            }
        }
        int overload = options.size(20_000, 40);
        int dropTo = overload / 2;
        String overloadRow = "fleet " + overload + " http overload";
        Agent overloaded = measured(result, overloadRow, () -> Agent.run(options, overload, "http",
                Math.min(overload, 1000), false, serverProcesses(overload),
                options.duration(Duration.ofSeconds(5), Duration.ofMillis(500)), windows, window, 0, dropTo,
                options.size(5, 2), Duration.ZERO));
        if (overloaded != null) {
            overloaded.reportOverload(result, overloadRow, dropTo);
        }
        result.note("fleet: aegis runs in its own JVM (default heap and GC, metrics on); the endpoints in others"
                + " (one NIO thread each, min(N,1000) loopback ports, one process per 5,000 services); every service"
                + " is checked every 1s. Windows of " + window.toMillis() + "ms after " + warmup.toMillis()
                + "ms warm-up (the 'first seconds' row), then the table's windows from " + steadyAt.toSeconds()
                + " s after start (except overload); median [min-max] over windows. CPU per check is the aegis"
                + " process' CPU in a window over"
                + " the checks completed in it (ms per 1000 checks = µs per check); cores = CPU s per s.");
        result.note("lag = when the engine called check() minus the service's planned tick (phase estimated from its"
                + " calls in the windows: where their arc on the 1 s circle begins), so a lower bound; lags over"
                + " about half an interval cannot be told from early ones, so under overload read checks/s and skips. 'vs plain client' = aegis CPU per check / CPU per plain JDK"
                + " HttpClient request (or plain connect) to the same server, measured in the same JVM first.");
        result.note("failed checks are counted by kind from the result (refused, reset, timeout, other); the"
                + " endpoint server prints its failed accepts and peak descriptors: the endpoints always answer 200,"
                + " so with 0 failed accepts every failed check is a false failure of aegis.");
        result.note("overload: " + overload + " HTTP services (keep-alive) for " + windows + " windows after a "
                + options.duration(Duration.ofSeconds(5), Duration.ofMillis(500)).toMillis() + "ms warm-up; then"
                + " services " + dropTo + ".." + (overload - 1) + " are removed from the running engine (the service-set"
                + " seam hot reload uses, as a reload that shrinks the fleet would) and " + options.size(5, 2)
                + " windows show whether the " + dropTo + " left are back on time with nothing else done: on time ="
                + " >= 99% of the expected rate, lag p99 <= 50 ms, no failed check. Skipped ="
                + " aegis_health_checks_skipped_total read from aegis' /metrics after the warm-up and after each"
                + " phase, summed by reason.");
        result.note("blackbox+prometheus: a real prometheus (scrape_interval 1s, scrape_timeout 1s, one job with"
                + " metrics_path /probe, module http_2xx and the standard relabel config) scraping a real"
                + " blackbox_exporter for the same N targets, served by the same kind of server as 'http new':"
                + " blackbox_exporter opens a new connection for every probe (no keep-alive option), so it is compared"
                + " with 'http new'. Probes/s, failed scrapes (up == 0) and failed probes (probe_success == 0) are read"
                + " from Prometheus' own API; CPU per successful probe of each process from /proc.");
        return result;
    }

    /**
     * One endpoint-server process per 5,000 services: a process gets 20,000 descriptors here, and one NIO thread
     * on a loaded 2-core box fell behind 10,000 connects/s (its accept queues filled and connects timed out).
     */
    static int serverProcesses(int services) {
        return Math.max(1, (services + 4_999) / 5_000);
    }

    private interface Run {
        Agent run() throws IOException, InterruptedException;
    }

    /** Runs one agent; a run that fails becomes a FAILED row and the other rows are still measured. */
    /**
     * The rows to run: {@code AEGIS_BENCH_FLEET_ROWS} (a regular expression found in a row's name, e.g.
     * {@code "10000 http keep"}) narrows a run to the rows one is working on; empty runs them all.
     */
    private static final java.util.regex.Pattern ROWS =
            java.util.regex.Pattern.compile(System.getProperty("aegis.bench.fleetRows", ""));

    private static Agent measured(Result result, String row, Run run) throws InterruptedException {
        if (!ROWS.matcher(row).find()) {
            return null;
        }
        try {
            return run.run();
        } catch (IOException e) {
            result.row(row, "FAILED", e.getMessage(), "", "");
            System.err.println(row + ": " + e);
            return null;
        }
    }

    private static void reportPeer(Result result, String row, BlackboxExporter.Measurement peer, Agent aegis,
            Map<String, Double> server) {
        if (aegis == null) {
            result.row(row, "probes/s, CPU per probe", "", "", "not compared: the aegis 'http new' run failed");
            return;
        }
        if (peer.problem() != null) {
            result.row(row, "probes/s, CPU per probe", "", "", peer.problem());
            return;
        }
        double aegisRate = aegis.windowStat("checks_per_s").median();
        double aegisUs = aegis.windowStat("cpu_ms_per_1000").median();
        double aegisCores = aegis.windowStat("cores").median();
        result.row(row, "probes/s (expected " + peer.targets() + ")", "aegis http new " + Stats.num(aegisRate),
                "achieved/expected " + Stats.ratio(peer.probesPerSecond().median(), peer.targets()) + "; "
                        + peer.failedScrapes() + " failed scrapes (up=0), " + peer.failedProbes()
                        + " failed probes (probe_success=0) of " + peer.scrapes(),
                "blackbox+prometheus " + peer.probesPerSecond().summary("/s") + "; aegis/peer "
                        + Stats.ratio(aegisRate, peer.probesPerSecond().median()));
        result.row(row, "CPU µs per probe (check)", "aegis http new " + Stats.num(aegisUs) + " µs",
                "blackbox " + peer.blackboxUsPerProbe().summary("µs") + " + prometheus "
                        + peer.prometheusUsPerProbe().summary("µs"),
                "both " + Stats.num(peer.usPerProbe()) + " µs; aegis/peer " + Stats.ratio(aegisUs, peer.usPerProbe())
                        + " (blackbox alone: " + Stats.ratio(aegisUs, peer.blackboxUsPerProbe().median()) + ")");
        result.row(row, "cores used", "aegis http new " + Stats.num(aegisCores),
                "blackbox " + Stats.num(peer.blackboxCores().median()) + " + prometheus "
                        + Stats.num(peer.prometheusCores().median()),
                "aegis/peer " + Stats.ratio(aegisCores, peer.blackboxCores().median()
                        + peer.prometheusCores().median()));
        result.row(row, "scrapes: interval p99, duration, samples", "",
                "interval p99 " + Stats.num(peer.intervalP99Ms()) + " ms (1000 = on time); scrape_duration avg "
                        + Stats.num(peer.scrapeDurationAvgMs()) + " ms, p99 " + Stats.num(peer.scrapeDurationP99Ms())
                        + " ms; " + Stats.num(peer.samplesPerSecond()) + " samples/s",
                "RSS blackbox " + peer.blackboxRssKb() / 1024 + " MB, prometheus " + peer.prometheusRssKb() / 1024
                        + " MB; endpoint server: " + serverSummary(server));
    }

    static String serverSummary(Map<String, Double> stats) {
        if (stats.isEmpty()) {
            return "no STATS";
        }
        return (long) (double) stats.getOrDefault("accept_failures", 0.0) + " failed accepts, peak "
                + (long) (double) stats.getOrDefault("peak_fds", 0.0) + " fds (limit "
                + Procs.descriptorLimit() + ")";
    }

    /** The loopback endpoints, in processes of their own; their STATS lines are kept (summed over processes). */
    private static final class Server implements AutoCloseable {
        final List<Process> processes;
        final boolean close;
        final List<Map<String, Double>> latest;
        /** Per process: a permit for each {@code STATS ... requested=1} line read. */
        final List<java.util.concurrent.Semaphore> answered;
        final Path portsFile;
        final int[] ports;

        private Server(List<Process> processes, boolean close, List<Map<String, Double>> latest,
                List<java.util.concurrent.Semaphore> answered, Path portsFile, int[] ports) {
            this.processes = processes;
            this.close = close;
            this.latest = latest;
            this.answered = answered;
            this.portsFile = portsFile;
            this.ports = ports;
        }

        static Server start(Options options, int ports, boolean close, int processCount) throws IOException {
            List<Process> processes = new ArrayList<>();
            List<Map<String, Double>> latest = new ArrayList<>();
            List<java.util.concurrent.Semaphore> answered = new ArrayList<>();
            List<String> all = new ArrayList<>();
            try {
                for (int p = 0; p < processCount; p++) {
                    Path log = options.workDir().resolve("loopback-server.log");
                    int share = ports / processCount + (p < ports % processCount ? 1 : 0);
                    Process process = Procs.start(Procs.javaCommand(options, List.of("-Xmx256m", "-XX:+UseSerialGC"),
                            LoopbackServer.class, Integer.toString(Math.max(1, share)), close ? "close" : "keep", "900"),
                            log);
                    processes.add(process);
                    BufferedReader out = Procs.lines(process.getInputStream());
                    String line = Procs.awaitLine(out, l -> l.startsWith("PORTS "), Duration.ofSeconds(30))
                            .orElseThrow(() -> new IOException("the loopback server did not start; see " + log));
                    all.addAll(List.of(line.substring(6).split(",")));
                    Map<String, Double> stats = new java.util.concurrent.ConcurrentHashMap<>();
                    latest.add(stats);
                    java.util.concurrent.Semaphore answers = new java.util.concurrent.Semaphore(0);
                    answered.add(answers);
                    Thread reader = new Thread(() -> {
                        try {
                            String l;
                            while ((l = out.readLine()) != null) {
                                if (l.startsWith("STATS ")) {
                                    Map<String, Double> parsed = Agent.parse(l);
                                    boolean requested = parsed.remove("requested") != null;
                                    stats.putAll(parsed);
                                    if (requested) {
                                        answers.release();
                                    }
                                }
                            }
                        } catch (IOException e) {
                            // the server is gone
                        }
                    }, "loopback-server-stats");
                    reader.setDaemon(true);
                    reader.start();
                }
            } catch (IOException | RuntimeException e) {
                processes.forEach(p -> Procs.destroyTree(p.toHandle()));
                throw e;
            }
            String list = String.join(",", all);
            Path file = options.workDir().resolve("ports-" + processes.get(0).pid() + ".txt");
            Files.writeString(file, list);
            int[] parsed = all.stream().mapToInt(Integer::parseInt).toArray();
            return new Server(processes, close, latest, answered, file, parsed);
        }

        /**
         * Asks every server process for a STATS line now (a byte on its stdin) and returns {@link #stats()} once all
         * have answered, so the counts cover everything up to this call; after 5 s, whatever the last lines said.
         */
        Map<String, Double> freshStats() throws InterruptedException {
            for (int p = 0; p < processes.size(); p++) {
                answered.get(p).drainPermits();
                try {
                    processes.get(p).getOutputStream().write('\n');
                    processes.get(p).getOutputStream().flush();
                } catch (IOException e) {
                    // the server is gone: its last line is all there is
                }
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            for (java.util.concurrent.Semaphore answers : answered) {
                answers.tryAcquire(Math.max(0, deadline - System.nanoTime()),
                        java.util.concurrent.TimeUnit.NANOSECONDS);
            }
            return stats();
        }

        /** The servers' last STATS: counts summed, peaks the highest of any process. */
        Map<String, Double> stats() {
            Map<String, Double> sum = new HashMap<>();
            for (Map<String, Double> one : latest) {
                one.forEach((k, v) -> sum.merge(k, v, k.startsWith("peak") ? Math::max : Double::sum));
            }
            return sum;
        }

        @Override
        public void close() {
            processes.forEach(p -> Procs.destroyTree(p.toHandle()));
        }
    }

    /** One run of {@link FleetAgent}: its lines, parsed. */
    private static final class Agent {
        final List<Map<String, Double>> windows = new ArrayList<>();
        final List<Map<String, Double>> lags = new ArrayList<>();
        final List<Map<String, Double>> skipped = new ArrayList<>();
        Map<String, Double> scrape = Map.of();
        Map<String, Double> drop = Map.of();
        Map<String, Double> end = Map.of();
        Map<String, Double> server = Map.of();
        int services;
        int scrapes;
        long windowMs;
        long warmupMs;
        long steadyAtMs;
        String incomplete;

        static Agent run(Options options, int services, String type, int ports, boolean close, int servers,
                Duration warmup, int windows, Duration window, int scrapes, int dropTo, int dropWindows,
                Duration steadyAt) throws IOException, InterruptedException {
            try (Server server = Server.start(options, ports, close, servers)) {
                return run(options, services, type, server, warmup, windows, window, scrapes, dropTo, dropWindows,
                        steadyAt);
            }
        }

        static Agent run(Options options, int services, String type, Server server, Duration warmup, int windows,
                Duration window, int scrapes, int dropTo, int dropWindows, Duration steadyAt)
                throws IOException, InterruptedException {
            Agent agent = new Agent();
            agent.services = services;
            agent.scrapes = scrapes;
            agent.windowMs = window.toMillis();
            agent.warmupMs = warmup.toMillis();
            agent.steadyAtMs = steadyAt.toMillis();
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
                    type, server.portsFile.toString(), Long.toString(warmup.toMillis()), Integer.toString(windows),
                    Long.toString(window.toMillis()), Integer.toString(dropTo > 0 ? 0 : options.size(3000, 100)),
                    Integer.toString(scrapes), Integer.toString(dropTo), Integer.toString(dropWindows),
                    Long.toString(steadyAt.toMillis())), log);
            // generous: on a loaded box one round of /metrics scrapes at 10,000 services took 50 s
            long limit = Math.max(warmup.toMillis() + windows * window.toMillis(), steadyAt.toMillis())
                    + (windows + dropWindows) * window.toMillis() + 120_000 + scrapes * 90_000L;
            try {
                BufferedReader out = Procs.lines(process.getInputStream());
                // read by a thread of its own: an agent that prints nothing for minutes must not hold the run
                java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
                Thread reader = new Thread(() -> {
                    try {
                        String l;
                        while ((l = out.readLine()) != null) {
                            lines.add(l);
                        }
                    } catch (IOException e) {
                        // the agent is gone
                    }
                    lines.add("\0EOF");
                }, "fleet-agent-output");
                reader.setDaemon(true);
                reader.start();
                long deadline = System.currentTimeMillis() + limit;
                String line;
                while ((line = lines.poll(Math.max(1, deadline - System.currentTimeMillis()),
                        java.util.concurrent.TimeUnit.MILLISECONDS)) != null && !line.equals("\0EOF")) {
                    System.err.println("  " + services + " " + type + (server.close ? " new" : "") + ": " + line);
                    if (line.startsWith("WINDOW ")) {
                        agent.windows.add(parse(line));
                    } else if (line.startsWith("LAG ")) {
                        agent.lags.add(parse(line));
                    } else if (line.startsWith("SKIPPED ")) {
                        agent.skipped.add(parse(line));
                    } else if (line.startsWith("SCRAPE ")) {
                        agent.scrape = parse(line);
                    } else if (line.startsWith("DROP ")) {
                        agent.drop = parse(line);
                    } else if (line.startsWith("END ")) {
                        agent.end = parse(line);
                    } else if (line.equals("DONE")) {
                        break;
                    }
                }
                if (agent.end.isEmpty() && agent.windows.isEmpty()) {
                    throw new IOException("the fleet agent (" + services + " " + type + ") gave no result; see " + log);
                }
                if (agent.end.isEmpty()) {
                    // its windows are measured; what comes after them (heap, lag) is missing: say so in the table
                    agent.incomplete = "the agent did not finish within " + limit / 1000 + " s (no heap, lag or"
                            + " later lines); see " + log;
                }
            } finally {
                process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                Procs.destroyTree(process.toHandle());
            }
            agent.server = server.freshStats(); // covering the end of the run
            return agent;
        }

        static Map<String, Double> parse(String line) {
            Map<String, Double> values = new HashMap<>();
            for (String pair : line.substring(line.indexOf(' ') + 1).split(" ")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    try {
                        values.put(pair.substring(0, eq), Double.parseDouble(pair.substring(eq + 1)));
                    } catch (NumberFormatException e) {
                        // not a number: not ours
                    }
                }
            }
            return values;
        }

        /** The cost of {@code GET /metrics} at this many services, taken while the checks ran. */
        void reportScrape(Result result, String scenario) {
            if (scrapes == 0) {
                return;
            }
            if (scrape.isEmpty()) {
                result.row(scenario, "render + send ms", "no SCRAPE line", "", "");
                return;
            }
            result.row(scenario, "render + send ms", Stats.num(scrape.get("gzip_ms")) + " ms gzip ("
                    + Stats.num(scrape.get("gzip_kb")) + " KB), " + Stats.num(scrape.get("plain_ms")) + " ms plain ("
                    + Stats.num(scrape.get("plain_kb")) + " KB); 4 gzip scrapes at once: "
                    + Stats.num(scrape.get("four_at_once_ms")) + " ms", "median of " + scrapes + " scrapes", "");
        }

        List<Map<String, Double>> phase(List<Map<String, Double>> lines, int phase) {
            return lines.stream().filter(w -> w.getOrDefault("phase", 1.0) == phase).toList();
        }

        Stats windowStat(String key) {
            return windowStat(key, 1);
        }

        Stats windowStat(String key, int phase) {
            return Stats.of(phase(windows, phase).stream().map(w -> w.getOrDefault(key, Double.NaN)).toList());
        }

        Stats lagStat(String key, int phase) {
            return Stats.of(phase(lags, phase).stream().map(w -> w.getOrDefault(key, Double.NaN)).toList());
        }

        long sum(String key, int phase) {
            return (long) phase(windows, phase).stream().mapToDouble(w -> w.getOrDefault(key, 0.0)).sum();
        }

        /** {@code F failed (refused a, reset b, timeout c, other d)} over the windows of a phase. */
        String failures(int phase) {
            long failed = sum("failed", phase);
            if (failed == 0) {
                return "0 failed";
            }
            return failed + " failed (refused " + sum("fail_refused", phase) + ", reset " + sum("fail_reset", phase)
                    + ", timeout " + sum("fail_timeout", phase) + ", other " + sum("fail_other", phase) + ")";
        }

        void report(Result result, String scenario, int phase) {
            report(result, scenario, phase, true);
        }

        void report(Result result, String scenario, int phase, boolean heap) {
            Stats rate = windowStat("checks_per_s", phase);
            Stats cpu = windowStat("cpu_ms_per_1000", phase);
            double expected = windowStat("scheduled_per_s", phase).median();
            result.row(scenario, "checks/s (expected " + Stats.num(expected) + ")", rate.summary(""),
                    "achieved/expected " + Stats.ratio(rate.median(), expected) + "; " + failures(phase), "");
            result.row(scenario, "sched. lag p50 ms", lagStat("p50_ms", phase).summary(""), "", "");
            result.row(scenario, "sched. lag p99 ms", lagStat("p99_ms", phase).summary(""), "", "");
            result.row(scenario, "sched. lag max ms", lagStat("max_ms", phase).summary(""), "", "");
            result.row(scenario, "CPU µs/check; cores", cpu.summary("µs") + "; "
                    + Stats.num(windowStat("cores", phase).median()) + " cores",
                    phase == 1 && end.containsKey("raw_cpu_ms_per_1000") && Double.isFinite(end.get("raw_cpu_ms_per_1000"))
                            && end.get("raw_cpu_ms_per_1000") > 0
                            ? "vs plain client " + Stats.ratio(cpu.median(), end.get("raw_cpu_ms_per_1000")) : "", "");
            if (phase == 1 && !phase(windows, 0).isEmpty()) {
                Stats firstRate = windowStat("checks_per_s", 0);
                result.row(scenario, "first seconds: checks/s; CPU µs/check", firstRate.summary("") + "; "
                        + windowStat("cpu_ms_per_1000", 0).summary("µs"), "achieved/expected "
                        + Stats.ratio(firstRate.median(), expected) + "; " + failures(0)
                        + " (seconds " + Stats.num(warmupMs / 1000.0) + "-" + Stats.num((warmupMs + phase(windows, 0)
                        .size() * windowMs) / 1000.0) + " after start; the rows above: from second "
                        + Stats.num(steadyAtMs / 1000.0) + " on)", "");
            }
            if (phase == 1 && incomplete != null) {
                result.row(scenario, "INCOMPLETE", incomplete, "", "");
            } else if (phase == 1 && heap) {
                result.row(scenario, "heap KB/service (after GC), threads",
                        Stats.num(end.get("heap_per_service_bytes") / 1024) + " KB, "
                                + end.get("threads").intValue() + " threads (peak " + end.get("peak_threads").intValue()
                                + ")", "", "");
            }
        }

        /** The endpoint server's side: whether it, not aegis, failed any connection. */
        void reportServer(Result result, String scenario) {
            result.row(scenario, "endpoint server", serverSummary(server), (long) (double) server.getOrDefault(
                    "accepted", 0.0) + " connections accepted, " + (long) (double) server.getOrDefault("served", 0.0)
                    + " requests served", "");
        }

        /** Failed checks by kind beside the server's failed accepts: whose fault each failure was. */
        void reportFailures(Result result, String scenario) {
            long checks = (long) phase(windows, 1).stream().mapToDouble(w -> w.getOrDefault("checks_per_s", 0.0)
                    * windowMs / 1000).sum();
            result.row(scenario, "failed checks by kind", "refused " + sum("fail_refused", 1) + ", reset "
                    + sum("fail_reset", 1) + ", timeout " + sum("fail_timeout", 1) + ", other " + sum("fail_other", 1)
                    + " (of ~" + checks + ")", "endpoint server: " + serverSummary(server) + "; "
                    + (long) (double) server.getOrDefault("accepted", 0.0) + " accepted", "");
        }

        void reportOverload(Result result, String scenario, int dropTo) {
            report(result, scenario, 1, false); // the heap is taken after the drop: not per service of this phase
            result.row(scenario, "skipped checks by reason", skippedText(1), "", "");
            result.row(scenario, "endpoint server", serverSummary(server), "(the whole run, both phases)", "");
            String after = scenario + ", dropped to " + dropTo;
            if (drop.getOrDefault("removed", 0.0) == 0) {
                if (drop.isEmpty()) {
                    result.row(after, "load dropped", "no DROP line: the agent did not get there (see its log)", "", "");
                    return;
                }
                result.row(after, "load dropped", "no: the engine has no removeService seam (see the agent's log)",
                        "", "");
                return;
            }
            report(result, after, 2);
            result.row(after, "skipped checks by reason", skippedText(2), "", "");
            List<Map<String, Double>> w2 = phase(windows, 2);
            List<Map<String, Double>> l2 = phase(lags, 2);
            StringBuilder onTime = new StringBuilder();
            int first = -1;
            int count = 0;
            for (int i = 0; i < w2.size(); i++) {
                Map<String, Double> w = w2.get(i);
                double lag = i < l2.size() ? l2.get(i).getOrDefault("p99_ms", Double.NaN) : Double.NaN;
                boolean ok = w.getOrDefault("checks_per_s", 0.0) >= ON_TIME_RATE * w.getOrDefault("scheduled_per_s",
                        1.0) && w.getOrDefault("failed", 1.0) == 0 && lag <= ON_TIME_LAG_MS;
                onTime.append(ok ? 'Y' : '-');
                if (ok) {
                    count++;
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            result.row(after, "windows on time after the drop", count + " of " + w2.size() + " [" + onTime + "]",
                    first < 0 ? "never back on time" : "first on time: the window ending "
                            + Stats.num((first + 1) * windowMs / 1000.0) + " s after the drop",
                    "removed " + (long) (double) drop.get("removed") + " of " + (services - dropTo) + " services in "
                            + Stats.num(drop.getOrDefault("took_ms", Double.NaN) / 1000) + " s"
                            + (drop.get("removed") < services - dropTo ? " (stopped at the time budget; "
                            + (long) (double) drop.get("services") + " left)" : ""));
        }

        private String skippedText(int phase) {
            Map<String, Double> line = phase(skipped, phase).stream().findFirst().orElse(Map.of());
            if (line.isEmpty()) {
                return "not read";
            }
            StringBuilder text = new StringBuilder();
            double seconds = line.getOrDefault("seconds", Double.NaN);
            line.forEach((k, v) -> {
                if (k.startsWith("reason_")) {
                    text.append(text.length() == 0 ? "" : ", ").append(k.substring(7)).append(' ')
                            .append((long) (double) v);
                }
            });
            return (text.length() == 0 ? "none" : text) + "; total " + (long) (double) line.getOrDefault("total", 0.0)
                    + (Double.isNaN(seconds) ? "" : " in " + Stats.num(seconds) + " s");
        }
    }
}
