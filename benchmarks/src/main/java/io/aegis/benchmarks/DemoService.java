package io.aegis.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** The demo service as the workload of the recovery and start-up scenarios, and the reference they use. */
public final class DemoService {
    private DemoService() {
    }

    /** {@code java -jar demo-service.jar --port=port}: the command every supervisor gets. */
    public static List<String> command(Options options, int port) {
        return List.of(Procs.java(), "-jar", options.demoJar().toString(), "--port=" + port);
    }

    /**
     * The reference: seconds from starting the demo's JVM to its first 200 on {@code /health}, {@code runs}
     * times, each on a fresh port.
     */
    public static List<Double> startupSeconds(Options options, int runs) throws Exception {
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            int port = Procs.freePort();
            long t0 = System.nanoTime();
            Process process = new ProcessBuilder(command(options, port)).redirectErrorStream(true)
                    .redirectOutput(options.workDir().resolve("demo-reference.log").toFile()).start();
            try {
                long t1 = Procs.awaitStatus(port, "/health", 200, Duration.ofSeconds(20), 2);
                if (t1 > 0) {
                    seconds.add((t1 - t0) / 1e9);
                }
            } finally {
                Procs.destroyTree(process.toHandle());
            }
        }
        return seconds;
    }

    /**
     * Makes {@code /health} answer 503 ({@code POST /health/fail}) {@code times} times and returns the
     * seconds from each to the first 200 again (necessarily from a restarted process); stops at the
     * first round that does not recover within {@code timeout}.
     */
    public static List<Double> failToHealthy(int port, int times, Duration settle, Duration timeout)
            throws Exception {
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            if (Procs.awaitStatus(port, "/health", 200, Duration.ofSeconds(20), 5) < 0) {
                break;
            }
            Procs.sleep(settle);
            long t0 = System.nanoTime();
            if (Procs.httpStatus(port, "POST", "/health/fail", 1000) < 0) {
                break;
            }
            long t1 = Procs.awaitStatus(port, "/health", 200, timeout, 2);
            if (t1 < 0) {
                break;
            }
            seconds.add((t1 - t0) / 1e9);
        }
        return seconds;
    }

    /** The demo process under {@code parent}. */
    public static Supplier<Optional<ProcessHandle>> under(ProcessHandle parent) {
        return () -> Procs.descendant(parent, "demo-service.jar");
    }

    /** The demo process whose pid is in {@code pidFile}. */
    public static Supplier<Optional<ProcessHandle>> byPidFile(Path pidFile) {
        return () -> {
            try {
                return ProcessHandle.of(Long.parseLong(java.nio.file.Files.readString(pidFile).trim()))
                        .filter(p -> Procs.commandLine(p.pid()).contains("demo-service.jar"));
            } catch (Exception e) {
                return Optional.empty();
            }
        };
    }
}
