package io.aegis.benchmarks;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the whole-system scenarios and prints one table ({@code benchmarks/run.sh [scenario...]}).
 *
 * <p>{@code java -jar benchmarks.jar [--smoke] [--repo=<root>] [scenario...]}; default: every scenario.
 */
public final class Driver {
    /** Every scenario, in the order the default run runs them. Adding one: a class and a line here. */
    static final List<Scenario> SCENARIOS = List.of(
            new FleetScenario(),
            new RecoveryScenario(),
            new StartupScenario(),
            new LogsScenario(),
            new AnomalyScenario());
    /** Scenarios that run only when named: they need a Docker engine and take minutes (not in --smoke). */
    static final List<Scenario> ON_REQUEST = List.of(
            new DockerScenario());

    private Driver() {
    }

    public static void main(String[] args) throws Exception {
        boolean smoke = false;
        Path repo = Path.of("").toAbsolutePath();
        List<String> names = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("--smoke")) {
                smoke = true;
            } else if (arg.startsWith("--repo=")) {
                repo = Path.of(arg.substring(7)).toAbsolutePath();
            } else if (arg.equals("-h") || arg.equals("--help")) {
                System.out.println("usage: run.sh [--smoke] [scenario...]; scenarios: " + names()
                        + "; only when named: " + ON_REQUEST.stream().map(Scenario::name).toList());
                return;
            } else {
                names.add(arg);
            }
        }
        Path work = Files.createTempDirectory("aegis-bench-");
        Options options = new Options(smoke, repo, System.getProperty("java.class.path"), work);
        int failures = run(options, names, System.out);
        System.exit(failures == 0 ? 0 : 1);
    }

    static List<String> names() {
        return SCENARIOS.stream().map(Scenario::name).toList();
    }

    /** Runs the named scenarios (all when empty), prints the table; returns how many failed. */
    public static int run(Options options, List<String> names, PrintStream out) {
        Map<String, Scenario> byName = new LinkedHashMap<>();
        SCENARIOS.forEach(s -> byName.put(s.name(), s));
        ON_REQUEST.forEach(s -> byName.put(s.name(), s));
        List<Scenario> chosen = new ArrayList<>();
        for (String name : names.isEmpty() ? names() : names) {
            Scenario scenario = byName.get(name);
            if (scenario == null) {
                throw new IllegalArgumentException("unknown scenario \"" + name + "\"; known: " + byName.keySet());
            }
            chosen.add(scenario);
        }
        long start = System.nanoTime();
        List<Result> results = new ArrayList<>();
        if (options.smoke()) {
            // The smoke run only proves every scenario still runs (its numbers mean nothing, and nothing asserts
            // them), and it mostly waits on child processes: all scenarios at once, so `mvn verify` pays for the
            // slowest one, not for their sum. A real run measures one scenario at a time on a quiet machine.
            List<java.util.concurrent.CompletableFuture<Result>> running = new ArrayList<>();
            for (Scenario scenario : chosen) {
                running.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> runOne(scenario, options),
                        command -> {
                            Thread thread = new Thread(command, "smoke-" + scenario.name());
                            thread.start();
                        }));
            }
            running.forEach(future -> results.add(future.join()));
        } else {
            for (Scenario scenario : chosen) {
                results.add(runOne(scenario, options));
            }
        }
        List<Result.Row> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int failures = 0;
        for (Result result : results) {
            rows.addAll(result.rows());
            notes.addAll(result.notes());
            failures += result.rows().stream().anyMatch(row -> row.metric().equals(FAILED)) ? 1 : 0;
        }
        print(rows, notes, options, Duration.ofNanos(System.nanoTime() - start), out);
        return failures;
    }

    /** The metric of the row that stands for a scenario that threw. */
    private static final String FAILED = "FAILED (the scenario threw)";

    /** One scenario; one that throws becomes a row saying so. */
    private static Result runOne(Scenario scenario, Options options) {
        long t0 = System.nanoTime();
        System.err.println("running " + scenario.name() + " ...");
        Result result;
        try {
            result = scenario.run(options);
        } catch (Exception | Error e) {
            result = new Result();
            result.row(scenario.name(), FAILED, String.valueOf(e), "", "");
            e.printStackTrace();
        }
        System.err.printf("  %s took %ds%n", scenario.name(), Duration.ofNanos(System.nanoTime() - t0).toSeconds());
        return result;
    }

    private static void print(List<Result.Row> rows, List<String> notes, Options options, Duration took,
            PrintStream out) {
        String[] header = {"scenario", "metric", "aegis: median [min-max]", "ratio to reference (same run)",
            "peers (aegis/peer)"};
        int[] width = new int[header.length];
        List<String[]> cells = new ArrayList<>();
        cells.add(header);
        for (Result.Row row : rows) {
            cells.add(new String[] {row.scenario(), row.metric(), row.aegis(), row.reference(), row.peers()});
        }
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                width[i] = Math.max(width[i], line[i].length());
            }
        }
        out.println();
        out.printf("aegis benchmarks%s: %d cores, %s, Java %s, %ds%n", options.smoke() ? " (SMOKE: sizes too small to"
                + " mean anything)" : "", Runtime.getRuntime().availableProcessors(), System.getProperty("os.name") + " "
                + System.getProperty("os.arch"), System.getProperty("java.version"), took.toSeconds());
        for (int r = 0; r < cells.size(); r++) {
            String[] line = cells.get(r);
            StringBuilder text = new StringBuilder("|");
            for (int i = 0; i < line.length; i++) {
                text.append(' ').append(line[i]).append(" ".repeat(width[i] - line[i].length())).append(" |");
            }
            out.println(text);
            if (r == 0) {
                StringBuilder rule = new StringBuilder("|");
                for (int w : width) {
                    rule.append('-').append("-".repeat(w)).append("-|");
                }
                out.println(rule);
            }
        }
        notes.forEach(note -> out.println("  * " + note));
        out.println("  work dir (configs, logs): " + options.workDir());
    }
}
