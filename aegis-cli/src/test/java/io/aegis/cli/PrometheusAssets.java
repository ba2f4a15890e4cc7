package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * The Prometheus and Grafana assets under {@code examples/} ({@code prometheus/prometheus.yml},
 * {@code prometheus/aegis-rules.yml}, its unit test, {@code grafana/aegis-dashboard.json}): where they are, the
 * PromQL expressions they hold, the aegis metrics those name, and {@code promtool} to check them with.
 */
final class PrometheusAssets {
    /** An aegis series name in PromQL; not preceded by a name character, so {@code my_aegis_x} is not one. */
    private static final Pattern AEGIS_NAME = Pattern.compile("(?<![A-Za-z0-9_:])aegis_[a-z0-9_]*[a-z0-9]");

    /** Grafana's {@code label_values(selector, label)} variable query, around a PromQL selector. */
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*[A-Za-z_][A-Za-z0-9_]*\\)");

    private PrometheusAssets() {
    }

    /** {@code examples/}, found from the working directory up (failsafe and surefire run in {@code aegis-cli}). */
    static Path examples() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("examples/prometheus"))) {
                return dir.resolve("examples");
            }
        }
        throw new AssertionError("no examples/prometheus above " + Path.of("").toAbsolutePath());
    }

    static Path prometheusConfig() {
        return examples().resolve("prometheus/prometheus.yml");
    }

    static Path rules() {
        return examples().resolve("prometheus/aegis-rules.yml");
    }

    static Path rulesTest() {
        return examples().resolve("prometheus/aegis-rules.test.yml");
    }

    static Path dashboard() {
        return examples().resolve("grafana/aegis-dashboard.json");
    }

    /** The {@code expr} of every rule in the rules file. */
    static List<String> ruleExpressions() {
        List<String> expressions = new ArrayList<>();
        for (JsonNode group : read(new ObjectMapper(new YAMLFactory()), rules()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                expressions.add(rule.path("expr").asText());
            }
        }
        assertThat(expressions).as("rules in %s", rules()).isNotEmpty().doesNotContain("");
        return expressions;
    }

    /**
     * The PromQL of every panel target and every query variable of the dashboard (the selector of a
     * {@code label_values(selector, label)}), with Grafana's variables ({@code $job}, {@code $__rate_interval}) as
     * written.
     */
    static List<String> dashboardExpressions() {
        JsonNode dashboard = dashboardJson();
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                expressions.add(target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                String query = variable.path("definition").asText();
                Matcher labelValues = LABEL_VALUES.matcher(query);
                expressions.add(labelValues.matches() ? labelValues.group(1) : query);
            }
        }
        assertThat(expressions).as("queries in %s", dashboard()).isNotEmpty().doesNotContain("");
        return expressions;
    }

    static JsonNode dashboardJson() {
        return read(new ObjectMapper(), dashboard());
    }

    /** The aegis series names {@code expressions} select, e.g. {@code aegis_health_check_duration_seconds_bucket}. */
    static Set<String> aegisNames(List<String> expressions) {
        return expressions.stream()
                .flatMap(expression -> AEGIS_NAME.matcher(expression).results().map(match -> match.group()))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * The names of the aegis samples in a text-format scrape: the series names Prometheus stores, so a classic
     * histogram appears as its {@code _bucket}, {@code _sum} and {@code _count} series, never by its bare name
     * (a query of the bare name would find nothing), and a counter with its {@code _total}.
     */
    static Set<String> exportedSampleNames(String scrape) {
        return scrape.lines()
                .filter(line -> !line.startsWith("#"))
                .map(line -> AEGIS_NAME.matcher(line))
                .filter(match -> match.lookingAt())
                .map(match -> match.group())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static JsonNode read(ObjectMapper mapper, Path file) {
        try {
            return mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    /** promtool, from the prometheus package; CI installs it, a laptop may skip. */
    static Path promtool() {
        return fromPrometheusPackage("promtool");
    }

    /** The Prometheus server, from the prometheus package; CI installs it, a laptop may skip. */
    static Path prometheus() {
        return fromPrometheusPackage("prometheus");
    }

    /**
     * {@code name} on the PATH. Missing, the test is skipped with a message saying what to install, except when
     * {@code CI} is set: then it fails, so that CI never passes by skipping.
     */
    private static Path fromPrometheusPackage(String name) {
        Optional<Path> found = Optional.ofNullable(System.getenv("PATH")).stream()
                .flatMap(path -> Pattern.compile(":").splitAsStream(path))
                .map(entry -> Path.of(entry, name))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty() && System.getenv("CI") != null) {
            throw new AssertionError(name + " is not installed but CI is set: .ci/run must install the"
                    + " prometheus package");
        }
        Assumptions.assumeTrue(found.isPresent(),
                name + " not found on PATH: install the prometheus package (apt-get install prometheus) to run"
                        + " this check; CI does");
        return found.orElseThrow();
    }

    /** What a promtool run printed and how it ended. */
    record PromtoolRun(int exitCode, String output) {
    }

    /** Runs {@code promtool args} in {@code dir} to its end (at most a minute). */
    static PromtoolRun promtool(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(promtool().toString());
        command.addAll(List.of(args));
        try {
            Path output = Files.createTempFile("promtool-", ".txt");
            try {
                Process process = new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .start();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(command + " did not finish within a minute");
                }
                return new PromtoolRun(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while " + command + " ran", e);
        }
    }
}
