package io.aegis.core.internal.alerting.rules;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
import io.aegis.api.Settings;
import io.aegis.api.Severity;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.internal.config.KeySuggestions;
import io.aegis.core.internal.config.TrackingSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The threshold rules of {@code alerting.rules} and how often they are evaluated ({@code alerting.evaluationInterval}).
 * Only these two keys of the {@code alerting:} section are read here; the rest (routes, silences, inhibition) belongs
 * to the alert lifecycle. Immutable.
 *
 * @param evaluationInterval how often every rule is evaluated for every service it watches
 * @param rules the rules, in file order
 */
public record RuleSet(Duration evaluationInterval, List<ThresholdRule> rules) {
    /** Prometheus' {@code evaluation_interval} is 1m by default; aegis checks every few seconds, so 15s. */
    public static final Duration DEFAULT_EVALUATION_INTERVAL = Duration.ofSeconds(15);
    static final Duration MIN_EVALUATION_INTERVAL = Duration.ofSeconds(1);
    static final Duration MAX_EVALUATION_INTERVAL = Duration.ofHours(1);
    private static final List<String> RESERVED_LABELS = List.of("alertname", "service", "severity");

    /** No rules. */
    public static RuleSet none() {
        return new RuleSet(DEFAULT_EVALUATION_INTERVAL, List.of());
    }

    /** Whether there is nothing to evaluate. */
    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /**
     * Reads {@code rules} and {@code evaluationInterval} of {@code alerting}, checking them against
     * {@code services} (each configured service's name and metadata). Every mistake goes to {@code problems}, with
     * its key path; a rule with a mistake is left out.
     */
    public static RuleSet parse(Settings alerting, Map<String, Map<String, String>> services,
            Consumer<ConfigProblem> problems) {
        Duration interval = DEFAULT_EVALUATION_INTERVAL;
        try {
            interval = alerting.duration("evaluationInterval", DEFAULT_EVALUATION_INTERVAL);
            if (interval.compareTo(MIN_EVALUATION_INTERVAL) < 0 || interval.compareTo(MAX_EVALUATION_INTERVAL) > 0) {
                problems.accept(new ConfigProblem(alerting.keyPath("evaluationInterval"), "expected from "
                        + Durations.format(MIN_EVALUATION_INTERVAL) + " to " + Durations.format(MAX_EVALUATION_INTERVAL)
                        + ", found " + Durations.format(interval)));
                interval = DEFAULT_EVALUATION_INTERVAL;
            }
        } catch (ConfigException e) {
            e.problems().forEach(problems);
        }
        List<Settings> items = new ArrayList<>();
        if (alerting instanceof TrackingSettings tracking) {
            items.addAll(tracking.trackedSections("rules", problems));
        } else {
            try {
                items.addAll(alerting.sections("rules"));
            } catch (ConfigException e) {
                e.problems().forEach(problems);
            }
        }
        List<ThresholdRule> rules = new ArrayList<>();
        for (Settings item : items) {
            rule(item, services, problems).ifPresent(rules::add);
            if (item instanceof TrackingSettings tracking) {
                tracking.unknownKeysHere().forEach(problems);
            }
        }
        checkOverlaps(rules, services, problems);
        return new RuleSet(interval, List.copyOf(rules));
    }

    private static Optional<ThresholdRule> rule(Settings rule, Map<String, Map<String, String>> services,
            Consumer<ConfigProblem> problems) {
        Counting counting = new Counting(problems);
        String alert = read(counting, () -> {
            String name = rule.requireString("alert", "the alert's name, such as SlowChecks");
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ConfigException(rule.keyPath("alert"), "expected an alert name of letters, digits and _"
                        + " (not starting with a digit), such as SlowChecks, found \"" + name + "\"");
            }
            return name;
        });
        RuleExpression expression = read(counting, () -> {
            String text = rule.requireString("expr", "a condition such as p95(check_latency[5m]) > 500ms");
            try {
                return RuleExpression.parse(text);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(rule.keyPath("expr"), e.getMessage());
            }
        });
        Duration holdFor = read(counting, () -> rule.duration("for", Duration.ZERO));
        Severity severity = read(counting, () -> rule.string("severity").map(text -> {
            try {
                return Severity.valueOf(text.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(rule.keyPath("severity"), "expected one of "
                        + Arrays.stream(Severity.values()).map(Severity::label).collect(Collectors.joining(", "))
                        + ", found \"" + text + "\"");
            }
        }).orElse(Severity.WARNING));
        Optional<Set<String>> listed = read(counting, () -> {
            if (!rule.has("services")) {
                return Optional.<Set<String>>empty();
            }
            List<String> names = rule.stringList("services");
            boolean isList = rule.raw("services").filter(List.class::isInstance).isPresent();
            for (int i = 0; i < names.size(); i++) {
                if (!services.containsKey(names.get(i))) {
                    String keyPath = rule.keyPath("services") + (isList ? "[" + i + "]" : "");
                    String suggestion = KeySuggestions.closest(names.get(i), services.keySet())
                            .map(s -> "; did you mean \"" + s + "\"?").orElse("; the services are: "
                                    + String.join(", ", services.keySet()));
                    counting.accept(new ConfigProblem(keyPath, "unknown service \"" + names.get(i) + "\"" + suggestion));
                }
            }
            return Optional.<Set<String>>of(Set.copyOf(names));
        });
        List<Matcher> matchers = read(counting, () -> {
            List<String> texts = rule.stringList("matchers");
            List<Matcher> parsed = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                try {
                    parsed.add(Matcher.parse(texts.get(i))); // as routes, silences and inhibition rules write them
                } catch (IllegalArgumentException e) {
                    counting.accept(new ConfigProblem(rule.keyPath("matchers") + "[" + i + "]", e.getMessage()));
                }
            }
            return List.copyOf(parsed);
        });
        Map<String, String> labels = read(counting, () -> {
            Map<String, String> map = rule.stringMap("labels");
            map.keySet().forEach(name -> {
                if (RESERVED_LABELS.contains(name)) {
                    counting.accept(new ConfigProblem(rule.keyPath("labels") + "." + name, "label " + name + " is set"
                            + " by aegis (alertname from alert:, service from the service, severity from severity:);"
                            + " remove it from labels"));
                } else if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    counting.accept(new ConfigProblem(rule.keyPath("labels") + "." + name, "expected a label name of"
                            + " letters, digits and _ (as in Prometheus), found \"" + name + "\""));
                }
            });
            return new TreeMap<>(map);
        });
        Map<String, String> annotations = read(counting, () -> {
            Map<String, String> map = rule.stringMap("annotations");
            map.forEach((name, template) -> {
                String unknown = Templates.firstUnknown(template);
                if (unknown != null) {
                    counting.accept(new ConfigProblem(rule.keyPath("annotations") + "." + name, "unknown placeholder "
                            + unknown + "; the placeholders are {{" + String.join("}}, {{", Templates.NAMES) + "}}"));
                }
            });
            return new TreeMap<>(map);
        });
        if (counting.count > 0 || alert == null || expression == null) {
            return Optional.empty();
        }
        Optional<String> summary = Optional.ofNullable(annotations.remove("summary"));
        return Optional.of(new ThresholdRule(rule.path(), alert, expression, holdFor, severity, listed, matchers,
                Map.copyOf(labels), summary, Map.copyOf(annotations)));
    }

    /**
     * Two rules raising the same alert (same name and labels) for the same service would fight over one
     * fingerprint: one resolving what the other fires. Same name for other services is fine (a threshold per
     * service).
     */
    private static void checkOverlaps(List<ThresholdRule> rules, Map<String, Map<String, String>> services,
            Consumer<ConfigProblem> problems) {
        for (int i = 0; i < rules.size(); i++) {
            for (int j = 0; j < i; j++) {
                ThresholdRule earlier = rules.get(j);
                ThresholdRule later = rules.get(i);
                if (!earlier.alert().equals(later.alert()) || !earlier.labels().equals(later.labels())) {
                    continue;
                }
                Set<String> both = new LinkedHashSet<>();
                services.forEach((name, metadata) -> {
                    if (earlier.appliesTo(name, metadata) && later.appliesTo(name, metadata)) {
                        both.add(name);
                    }
                });
                if (!both.isEmpty() || services.isEmpty()) {
                    problems.accept(new ConfigProblem(later.keyPath() + ".alert", "raises the same alert as "
                            + earlier.keyPath() + " (" + later.alert() + " with the same labels)"
                            + (both.isEmpty() ? "" : " for service(s) " + String.join(", ", both))
                            + ": the two would resolve each other's alert; give one of them other services or"
                            + " another label"));
                }
            }
        }
    }

    private static <T> T read(Consumer<ConfigProblem> problems, java.util.function.Supplier<T> reader) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            e.problems().forEach(problems);
            return null;
        }
    }

    /** Counts what passes through, to tell a rule with a mistake from a good one. */
    private static final class Counting implements Consumer<ConfigProblem> {
        private final Consumer<ConfigProblem> target;
        private int count;

        Counting(Consumer<ConfigProblem> target) {
            this.target = target;
        }

        @Override
        public void accept(ConfigProblem problem) {
            count++;
            target.accept(problem);
        }
    }
}
