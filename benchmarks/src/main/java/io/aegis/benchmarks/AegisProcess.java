package io.aegis.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The real {@code aegis} executable, started as a process with a generated configuration. */
public final class AegisProcess implements AutoCloseable {
    private final Process process;

    private AegisProcess(Process process) {
        this.process = process;
    }

    /** {@code java -jar aegis --config=file}; stderr (the log) goes to {@code log} unless the caller reads it. */
    public static AegisProcess start(Options options, Path config, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Procs.java(), "-jar", options.aegisExecutable().toString(),
                "--config=" + config).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (log != null) {
            builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        }
        return new AegisProcess(builder.start());
    }

    /** A YAML configuration for the demo service under the process runtime. */
    public static Path demoConfig(Options options, String fileName, int port, Duration interval, Duration timeout)
            throws IOException {
        return demoConfig(options, fileName, port, interval, timeout, Duration.ZERO);
    }

    /**
     * As above, with a start period: checks that fail while the demo JVM starts are not held against it. The 503 rows
     * need one: a first check that timed out during the start made aegis restart the demo and then wait out the
     * restart's verifyWithin (30 s), so a 503 asked for meanwhile went unanswered for 30 s (a flaky smoke run).
     */
    public static Path demoConfig(Options options, String fileName, int port, Duration interval, Duration timeout,
            Duration startPeriod) throws IOException {
        String yaml = """
                global:
                  logLevel: warn
                  metricsEnabled: false
                services:
                  - name: demo
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: %dms
                    timeout: %dms
                    failureThreshold: 1
                    startPeriod: %dms
                    actions:
                      onFailure: restart
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                      resetAfter: 500ms
                      budget: {max: 10000, window: 1h}
                      verifyWithin: 30s
                    runtime:
                      type: process
                      command: [%s]
                      stopGracePeriod: 2s
                      logFile: %s
                """.formatted(port, interval.toMillis(), timeout.toMillis(), startPeriod.toMillis(),
                String.join(", ", DemoService.command(options, port)),
                options.workDir().resolve("demo-under-aegis.log"));
        Path file = options.workDir().resolve(fileName);
        Files.writeString(file, yaml);
        return file;
    }

    public Process process() {
        return process;
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** SIGTERM (aegis stops the demo too), SIGKILL for anything left after 10 s. */
    @Override
    public void close() {
        Procs.stop(process.toHandle(), Duration.ofSeconds(10));
    }

}
