package io.aegis.core.internal.anomaly;

import io.aegis.api.ConfigProblem;
import io.aegis.api.Severity;
import io.aegis.core.internal.config.TrackingSettings;
import io.aegis.core.internal.logs.LogsConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@code anomaly_detection:} block, read and checked: the seed's keys ({@code enabled}, {@code
 * detection_interval}, {@code history_size}, {@code thresholds.latency|error_rate|throughput[] {service, value}}) and
 * ours (learned baselines, hysteresis, the alert's severity and an action). Immutable.
 *
 * @param enabled whether anomalies are looked for; true when the block is present and does not say {@code false}
 * @param detectionInterval how often every signal is evaluated (each evaluation is one sample)
 * @param historySize how many evaluations a learned baseline remembers (its EWMA span)
 * @param sensitivity how many spreads (standard deviations) from its mean a value may be before it is out of bounds
 * @param warmUp how many evaluations a baseline learns before it judges
 * @param forEvaluations how many evaluations in a row out of bounds make an anomaly
 * @param resolveAfter how long a value must stay within bounds before its anomaly ends
 * @param relearnAfter how long a baseline anomaly lasts before its level is learned as the new normal
 * @param baselines whether baselines are learned for every service's signals (static thresholds apply either way)
 * @param severity the anomaly alerts' severity
 * @param action what an anomaly makes the engine do besides its event and alert
 * @param thresholds the static thresholds of {@code thresholds:}, in order
 */
public record AnomalyConfig(boolean enabled, Duration detectionInterval, int historySize, double sensitivity,
        int warmUp, int forEvaluations, Duration resolveAfter, Duration relearnAfter, boolean baselines,
        Severity severity, LogsConfig.Action action, List<Threshold> thresholds) {
    /** Default of {@code detection_interval}. */
    public static final Duration DEFAULT_DETECTION_INTERVAL = Duration.ofSeconds(30);
    /** The shortest {@code detection_interval}. */
    public static final Duration MIN_DETECTION_INTERVAL = Duration.ofMillis(10);
    /** Default of {@code history_size}. */
    public static final int DEFAULT_HISTORY_SIZE = 100;
    /** Default of {@code sensitivity}: three standard deviations. */
    public static final double DEFAULT_SENSITIVITY = 3;
    /** Default of {@code warmUp}. */
    public static final int DEFAULT_WARM_UP = 10;
    /** The largest {@code warmUp}: its samples are held until it ends. */
    public static final int MAX_WARM_UP = 10_000;
    /** Default of {@code for}. */
    public static final int DEFAULT_FOR = 3;
    /** Default of {@code resolveAfter}, in evaluations: as many as {@code for} asks to begin one. */
    private static final int DEFAULT_RESOLVE_EVALUATIONS = DEFAULT_FOR;


    /** Validates the values. */
    public AnomalyConfig {
        Objects.requireNonNull(detectionInterval, "detectionInterval");
        Objects.requireNonNull(resolveAfter, "resolveAfter");
        Objects.requireNonNull(relearnAfter, "relearnAfter");
        Objects.requireNonNull(severity, "severity");
        if (detectionInterval.isNegative() || detectionInterval.isZero() || historySize < 1 || warmUp < 1
                || warmUp > MAX_WARM_UP || forEvaluations < 1 || !(sensitivity > 0)) {
            throw new IllegalArgumentException("detectionInterval, historySize, warmUp (at most " + MAX_WARM_UP
                    + "), for and sensitivity must be above 0");
        }
        Objects.requireNonNull(action, "action");
        thresholds = List.copyOf(thresholds);
    }

    /** No {@code anomaly_detection:} block: nothing is looked for. */
    public static AnomalyConfig none() {
        return new AnomalyConfig(false, DEFAULT_DETECTION_INTERVAL, DEFAULT_HISTORY_SIZE, DEFAULT_SENSITIVITY,
                DEFAULT_WARM_UP, DEFAULT_FOR, DEFAULT_DETECTION_INTERVAL.multipliedBy(DEFAULT_RESOLVE_EVALUATIONS),
                DEFAULT_DETECTION_INTERVAL.multipliedBy(DEFAULT_HISTORY_SIZE), true, Severity.WARNING,
                LogsConfig.Action.NONE, List.of());
    }

    /**
     * One static threshold: {@code thresholds.<signal>[i]}, or a service's {@code metadata.latency_threshold} /
     * {@code error_rate_threshold}.
     *
     * @param service the service it applies to
     * @param signal what it bounds
     * @param value the bound, in the signal's unit: above it is an anomaly (for throughput, below it)
     * @param keyPath where it is in the configuration, for messages
     */
    public record Threshold(String service, Signal signal, double value, String keyPath) {
        /** Validates the values. */
        public Threshold {
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(signal, "signal");
            Objects.requireNonNull(keyPath, "keyPath");
        }
    }

    /** Reads the {@code anomaly_detection:} block (empty when absent), reporting every problem to {@code problems}. */
    public static AnomalyConfig parse(TrackingSettings block, Consumer<ConfigProblem> problems) {
        return new Parser(problems).parse(block);
    }

    /**
     * A threshold given in a service's {@code metadata} ({@code "500"}, as the seed writes it: metadata values are
     * text); empty with a problem when it is not a number in range.
     */
    public static Optional<Threshold> metadataThreshold(String service, Signal signal, String text, String keyPath,
            Consumer<ConfigProblem> problems) {
        double value;
        try {
            value = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            problems.accept(new ConfigProblem(keyPath, expectedValue(signal) + ", found \"" + text + "\""));
            return Optional.empty();
        }
        if (!inRange(signal, value)) {
            problems.accept(new ConfigProblem(keyPath, expectedValue(signal) + ", found \"" + text + "\""));
            return Optional.empty();
        }
        return Optional.of(new Threshold(service, signal, value, keyPath));
    }

    private static boolean inRange(Signal signal, double value) {
        return Double.isFinite(value) && value >= 0 && (signal != Signal.ERROR_RATE || value <= 1);
    }

    private static String expectedValue(Signal signal) {
        return switch (signal) {
            case LATENCY -> "expected a latency in milliseconds (a number of at least 0, such as 500)";
            case ERROR_RATE -> "expected a fraction from 0 to 1 (0.05 is 5%)";
            case THROUGHPUT -> "expected requests per second (a number of at least 0, such as 10)";
        };
    }

    private static final class Parser extends io.aegis.core.internal.config.BlockReads {
        Parser(Consumer<ConfigProblem> problems) {
            super(problems);
        }

        AnomalyConfig parse(TrackingSettings block) {
            boolean present = !block.keys().isEmpty();
            boolean enabled = read(() -> block.bool("enabled", present), present);
            String intervalKey = alias(block, "detection_interval", "detectionInterval");
            Duration interval = positive(block, intervalKey, DEFAULT_DETECTION_INTERVAL);
            if (interval.compareTo(MIN_DETECTION_INTERVAL) < 0) {
                problem(block, intervalKey, "expected a duration of at least 10ms");
                interval = DEFAULT_DETECTION_INTERVAL;
            }
            int historySize = whole(block, alias(block, "history_size", "historySize"), DEFAULT_HISTORY_SIZE, 1,
                    1_000_000);
            double sensitivity = DEFAULT_SENSITIVITY;
            Optional<Double> sensitivityValue = read(() -> block.number("sensitivity"), Optional.empty());
            if (sensitivityValue.isPresent()) {
                if (!(sensitivityValue.get() > 0) || sensitivityValue.get() > 100) {
                    problem(block, "sensitivity", "expected how many standard deviations from the baseline's mean are"
                            + " still normal, a number above 0 such as 3");
                } else {
                    sensitivity = sensitivityValue.get();
                }
            }
            int warmUp = whole(block, "warmUp", DEFAULT_WARM_UP, 1, MAX_WARM_UP);
            int forEvaluations = whole(block, "for", DEFAULT_FOR, 1, 10_000);
            Duration resolveAfter = positive(block, "resolveAfter", interval.multipliedBy(DEFAULT_RESOLVE_EVALUATIONS));
            Duration relearnAfter = positive(block, "relearnAfter", interval.multipliedBy(historySize));
            boolean baselines = read(() -> block.bool("baselines", true), true);
            Severity severity = severity(block, "severity", Severity.WARNING);
            LogsConfig.Action action = LogsConfig.readAction(this, block, "action",
                    "an event, DEGRADED and an alert only");
            List<Threshold> thresholds = new ArrayList<>();
            read(() -> block.trackedSection("thresholds"), Optional.<TrackingSettings>empty()).ifPresent(section -> {
                for (Signal signal : Signal.values()) {
                    java.util.Map<String, String> seen = new java.util.HashMap<>();
                    for (TrackingSettings entry : section.trackedSections(signal.key(), problems)) {
                        threshold(entry, signal).ifPresent(threshold -> {
                            String first = seen.putIfAbsent(threshold.service(), entry.path());
                            if (first != null) {
                                // the last one winning silently hid a typo in the other (hostile M6)
                                problems.accept(new ConfigProblem(entry.keyPath("service"), "another "
                                        + signal.key() + " threshold names service \"" + threshold.service()
                                        + "\" already (" + first + "); give one"));
                            } else {
                                thresholds.add(threshold);
                            }
                        });
                    }
                }
            });
            return new AnomalyConfig(enabled, interval, historySize, sensitivity, warmUp, forEvaluations, resolveAfter,
                    relearnAfter, baselines, severity, action, thresholds);
        }

        private Optional<Threshold> threshold(TrackingSettings entry, Signal signal) {
            // which services exist is checked by the configuration loader, which knows them
            String service = read(() -> entry.string("service"), Optional.<String>empty()).orElse(null);
            Optional<Double> value = read(() -> entry.number("value"), Optional.empty());
            if (value.isEmpty()) {
                if (!entry.has("value")) {
                    problems.accept(new ConfigProblem(entry.keyPath("value"), "missing: " + expectedValue(signal)));
                }
                return Optional.empty();
            }
            if (!inRange(signal, value.get())) {
                problem(entry, "value", expectedValue(signal));
                return Optional.empty();
            }
            return service == null ? Optional.empty()
                    : Optional.of(new Threshold(service, signal, value.get(), entry.keyPath("value")));
        }

        private int whole(TrackingSettings settings, String key, int fallback, int min, int max) {
            Optional<Long> value = read(() -> settings.integer(key), Optional.empty());
            if (value.isPresent() && (value.get() < min || value.get() > max)) {
                problem(settings, key, "expected a whole number from " + min + " to " + max);
                return fallback;
            }
            return value.map(Long::intValue).orElse(fallback);
        }

    }
}
