package io.aegis.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Start-up: from starting the {@code aegis} process to its first completed check (the log line of the
 * service's first transition to HEALTHY), median of 10, with metrics on as by default. The reference is the
 * demo service's own start-up (a JDK-only HTTP server) in the same run.
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
        List<Double> seconds = new ArrayList<>();
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
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                Process process = new ProcessBuilder(Procs.java(), "-jar", options.aegisExecutable().toString(),
                        "--config=" + config).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                try {
                    BufferedReader log = Procs.lines(process.getErrorStream());
                    Optional<String> healthy = Procs.awaitLine(log, line -> line.contains("-> HEALTHY"),
                            Duration.ofSeconds(30));
                    if (healthy.isPresent()) {
                        seconds.add((System.nanoTime() - t0) / 1e9);
                    }
                } finally {
                    Procs.stop(process.toHandle(), Duration.ofSeconds(10));
                }
            }
        } finally {
            target.stop(0);
        }
        Stats aegis = Stats.of(seconds);
        Stats demo = Stats.of(DemoService.startupSeconds(options, options.size(5, 1)));
        return new Result()
                .row("startup", "aegis start -> 1st check s", aegis.summary("s"),
                        "vs demo start " + Stats.ratio(aegis.median(), demo.median()) + " (demo " + demo.summary("s")
                                + ")", "n/a (no peer in the issue)")
                .note("startup: 'java -jar aegis' with one HTTP service and metrics on port 0; time to the log line"
                        + " of its first HEALTHY transition. Reference: the demo service's own JVM start to 200.");
    }
}
