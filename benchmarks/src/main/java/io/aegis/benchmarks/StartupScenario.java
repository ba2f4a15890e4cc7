package io.aegis.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Start-up: from starting the {@code aegis} executable (its launcher stub, as users run it) to its first completed
 * check (the log line of the service's first transition to HEALTHY), median of 10, with metrics on as by default.
 * The reference is the demo service's own start-up (a JDK-only HTTP server) in the same run.
 *
 * <p>The launcher's class-data-sharing archive is made before timing: one untimed start that waits for the
 * launcher's background training run to finish (its cache is in the work directory, never in the user's). Set
 * {@code AEGIS_CDS=off} in the environment to time it without. {@code AEGIS_BENCH_STARTUP_BASELINE=<executable>}
 * times another executable too (an older build), alternated with this one start by start, so that both see the
 * same load: the ratio is then the figure to trust on a busy machine. When the distribution tarball is built
 * ({@code aegis-dist}), it is unpacked into the work directory and its {@code bin/aegis} (its own Java runtime) is
 * timed the same way, alternated too; not in the smoke run, which keeps {@code mvn verify} short.
 */
public final class StartupScenario implements Scenario {
    @Override
    public String name() {
        return "startup";
    }

    @Override
    public Result run(Options options) throws Exception {
        int runs = options.size(10, 1);
        HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        target.createContext("/health", exchange -> {
            byte[] body = "OK".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        target.start();
        Map<String, Path> executables = new LinkedHashMap<>();
        executables.put("aegis", options.aegisExecutable());
        Optional.ofNullable(System.getenv("AEGIS_BENCH_STARTUP_BASELINE")).filter(path -> !path.isBlank())
                .ifPresent(path -> executables.put("baseline", Path.of(path).toAbsolutePath()));
        Optional<Path> tarball = options.smoke() ? Optional.empty() : options.distTarball();
        if (tarball.isPresent()) {
            executables.put("tarball", unpack(tarball.get(), options.workDir().resolve("dist")));
        }
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        Path cache = options.workDir().resolve("startup-cds");
        try {
            Path config = options.workDir().resolve("startup.yaml");
            Files.writeString(config, """
                    global:
                      logLevel: info
                      metricsEnabled: true
                      metricsPort: 0
                    services:
                      - name: web
                        type: http
                        endpoint: http://127.0.0.1:%d/health
                        interval: 1s
                    """.formatted(target.getAddress().getPort()));
            for (Map.Entry<String, Path> executable : executables.entrySet()) {
                warmUp(executable.getValue(), config, cache);
                seconds.put(executable.getKey(), new ArrayList<>());
                cpu.put(executable.getKey(), new ArrayList<>());
            }
            for (int i = 0; i < runs; i++) {
                for (Map.Entry<String, Path> executable : executables.entrySet()) {
                    start(executable.getValue(), config, cache, false).ifPresent(s -> {
                        seconds.get(executable.getKey()).add(s[0]);
                        cpu.get(executable.getKey()).add(s[1]);
                    });
                }
            }
        } finally {
            target.stop(0);
        }
        Stats aegis = Stats.of(seconds.get("aegis"));
        Stats aegisCpu = Stats.of(cpu.get("aegis"));
        Stats demo = Stats.of(DemoService.startupSeconds(options, options.size(5, 1)));
        boolean cds = !"off".equals(System.getenv("AEGIS_CDS"));
        Result result = new Result()
                .row("startup", "aegis start -> 1st check s", aegis.summary("s"),
                        "vs demo start " + Stats.ratio(aegis.median(), demo.median()) + " (demo " + demo.summary("s")
                                + ")", "n/a (no peer in the issue)")
                .row("startup", "aegis CPU to 1st check s", aegisCpu.summary("s"),
                        "user+sys of the JVM up to that line (less sensitive to other load than the wall time)", "");
        for (String other : List.of("baseline", "tarball")) {
            if (!seconds.containsKey(other)) {
                continue;
            }
            Stats time = Stats.of(seconds.get(other));
            Stats otherCpu = Stats.of(cpu.get(other));
            result.row("startup", other + " start -> 1st check s", time.summary("s"),
                    "aegis/" + other + " " + Stats.ratio(aegis.median(), time.median()) + " (min "
                            + Stats.ratio(aegis.min(), time.min()) + "), alternated",
                    executables.get(other).toString());
            result.row("startup", other + " CPU to 1st check s", otherCpu.summary("s"),
                    "aegis/" + other + " " + Stats.ratio(aegisCpu.median(), otherCpu.median()) + " (min "
                            + Stats.ratio(aegisCpu.min(), otherCpu.min()) + "), alternated", "");
        }
        return result.note("startup: the aegis executable with one HTTP service and metrics on port 0; time to the"
                + " log line of its first HEALTHY transition. " + (cds ? "Class-data-sharing archive made by an"
                + " untimed first start (the launcher's background training) before timing." : "AEGIS_CDS=off: no"
                + " class-data-sharing archive.") + " Reference: the demo service's own JVM start to 200."
                + (executables.containsKey("tarball") ? " tarball: bin/aegis of the unpacked aegis-dist tarball, on"
                        + " the Java runtime it ships (its archive made the same way)." : ""));
    }

    /** Unpacks the distribution tarball into {@code dir} with {@code tar}, as a user would; returns its bin/aegis. */
    private static Path unpack(Path tarball, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", dir.toString()).inheritIO().start();
        if (tar.waitFor() != 0) {
            throw new IOException("tar -xzf " + tarball + " exited with " + tar.exitValue());
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(home -> home.resolve("bin/aegis")).filter(Files::isExecutable).findFirst()
                    .orElseThrow(() -> new IOException("no aegis-<version>/bin/aegis in " + tarball));
        }
    }

    /**
     * One untimed start; when the launcher trains a class-data-sharing archive in the background, waits (up to
     * 3 minutes) for it to finish, as the second start of an installation would find it.
     */
    private static void warmUp(Path executable, Path config, Path cache) throws IOException, InterruptedException {
        start(executable, config, cache, true);
    }

    /**
     * Seconds from exec to the first HEALTHY line and the CPU seconds (user + system) the JVM had used by then (the
     * launcher stub execs it: same process), if the line came within 30 s.
     */
    private static Optional<double[]> start(Path executable, Path config, Path cache, boolean awaitTraining)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(executable.toString(), "--config=" + config)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("AEGIS_CDS_DIR", cache.toString());
        long t0 = System.nanoTime();
        Process process = builder.start();
        try {
            BufferedReader log = Procs.lines(process.getErrorStream());
            Optional<String> healthy = Procs.awaitLine(log, line -> line.contains("-> HEALTHY"),
                    Duration.ofSeconds(30));
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double cpuSeconds = Procs.cpuSeconds(process.pid());
            if (awaitTraining) {
                long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                // The launcher forks the training twice (init reaps it): it is no descendant of aegis, so it is
                // found by the archive directory its command lines name.
                while (System.nanoTime() < deadline && (trainingRuns(cache) || temporaryFiles(cache))) {
                    Procs.sleep(Duration.ofMillis(200));
                }
            }
            return healthy.map(line -> new double[] {elapsed, cpuSeconds});
        } finally {
            Procs.stop(process.toHandle(), Duration.ofSeconds(10));
        }
    }

    private static boolean trainingRuns(Path cache) {
        return ProcessHandle.allProcesses().anyMatch(handle -> handle.isAlive()
                && handle.info().commandLine().orElse("").contains(cache + "/"));
    }

    private static boolean temporaryFiles(Path cache) throws IOException {
        if (!Files.isDirectory(cache)) {
            return false;
        }
        try (Stream<Path> files = Files.list(cache)) {
            return files.anyMatch(file -> file.getFileName().toString().endsWith(".tmp"));
        }
    }
}
