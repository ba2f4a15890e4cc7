package io.aegis.api;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable alert about one service, firing or resolved, as handed to {@link Notifier}s.
 *
 * <p>Shaped after Alertmanager's alerts: a name, labels that identify it, annotations for people (a summary,
 * a description, a runbook URL), a start and, once resolved, an end. Its identity is its {@linkplain #labelSet()
 * label set} (alertname, service, severity and the extra labels), and {@link #fingerprint()} hashes it the way
 * Alertmanager does, so the same alert has the same fingerprint in aegis and in Alertmanager. Build it with
 * {@link #builder(String, String)}.
 */
public final class Alert {

    /** Whether the alert is active. */
    public enum State {
        /** The condition holds. */
        FIRING,
        /** The condition no longer holds. */
        RESOLVED
    }

    private final String name;
    private final String serviceName;
    private final Severity severity;
    private final State state;
    private final String summary;
    private final Map<String, String> labels;
    private final Map<String, String> annotations;
    /** Computed once: routing, grouping, silences and inhibition ask for them again and again. */
    private final Map<String, String> labelSet;
    private final String fingerprint;
    private final Instant startsAt;
    private final Instant endsAt;

    private Alert(Builder builder) {
        this.name = Objects.requireNonNull(builder.name, "name");
        this.serviceName = Objects.requireNonNull(builder.serviceName, "serviceName");
        this.severity = Objects.requireNonNull(builder.severity, "severity");
        this.state = Objects.requireNonNull(builder.state, "state");
        this.summary = Objects.requireNonNull(builder.summary, "summary");
        this.labels = Collections.unmodifiableMap(new TreeMap<>(builder.labels));
        this.annotations = Collections.unmodifiableMap(new TreeMap<>(builder.annotations));
        for (String reserved : new String[] {"alertname", "service", "severity"}) {
            if (labels.containsKey(reserved)) {
                throw new IllegalArgumentException("label " + reserved + " is set by the alert itself; it cannot be"
                        + " an extra label");
            }
        }
        TreeMap<String, String> all = new TreeMap<>(labels);
        all.put("alertname", name);
        all.put("service", serviceName);
        all.put("severity", severity.label());
        this.labelSet = Collections.unmodifiableMap(all);
        long hash = 0xcbf29ce484222325L;
        for (Map.Entry<String, String> label : labelSet.entrySet()) {
            hash = fnv(hash, label.getKey());
            hash = fnv(hash, label.getValue());
        }
        this.fingerprint = String.format("%016x", hash);
        this.startsAt = Objects.requireNonNull(builder.startsAt, "startsAt");
        this.endsAt = builder.endsAt;
        if (state == State.RESOLVED && endsAt == null) {
            throw new IllegalArgumentException("a resolved alert needs endsAt");
        }
    }

    /**
     * Starts building a firing alert called {@code name} about service {@code serviceName}.
     *
     * @param name the alert's name, such as {@code ServiceUnhealthy}
     * @param serviceName the service the alert is about
     * @return a builder of a firing alert, to be given at least {@code startsAt}
     */
    public static Builder builder(String name, String serviceName) {
        return new Builder(name, serviceName);
    }

    /** {@return the alert's name, such as {@code ServiceUnhealthy}} */
    public String name() {
        return name;
    }

    /** {@return the service the alert is about} */
    public String serviceName() {
        return serviceName;
    }

    /** {@return how urgent it is} */
    public Severity severity() {
        return severity;
    }

    /** {@return firing or resolved} */
    public State state() {
        return state;
    }

    /** {@return one sentence for a person} */
    public String summary() {
        return summary;
    }

    /** {@return extra identifying labels (besides name, service and severity), sorted by name} */
    public Map<String, String> labels() {
        return labels;
    }

    /**
     * {@return every label that identifies the alert, sorted by name: {@code alertname}, {@code service}, {@code
     * severity} and the {@linkplain #labels() extra labels}} Matchers (routes, silences, inhibition) and grouping use
     * these.
     */
    public Map<String, String> labelSet() {
        return labelSet;
    }

    /**
     * {@return the alert's identity as 16 hex digits: FNV-1a 64 over its {@link #labelSet()}, names sorted, each name
     * and value followed by a 0xFF byte, exactly as Prometheus and Alertmanager fingerprint a label set} Two alerts
     * with the same labels are the same alert (one is a newer state of the other); firing again after a resolve is a
     * new incident of it, told apart by {@link #startsAt()}.
     */
    public String fingerprint() {
        return fingerprint;
    }

    private static long fnv(long hash, String text) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        hash ^= 0xff; // Prometheus' separator byte
        hash *= 0x100000001b3L;
        return hash;
    }

    /**
     * {@return text for people, sorted by name, besides the {@link #summary()}: {@code description}, {@code
     * runbook_url} and any other annotation} Annotations do not identify the alert.
     */
    public Map<String, String> annotations() {
        return annotations;
    }

    /** {@return the {@code description} annotation: more detail than the summary, when there is any} */
    public Optional<String> description() {
        return Optional.ofNullable(annotations.get("description"));
    }

    /** {@return the {@code runbook_url} annotation: where a person finds what to do, when there is one} */
    public Optional<String> runbookUrl() {
        return Optional.ofNullable(annotations.get("runbook_url"));
    }

    /** {@return when the condition began} */
    public Instant startsAt() {
        return startsAt;
    }

    /** {@return when the condition ended; present once resolved} */
    public Optional<Instant> endsAt() {
        return Optional.ofNullable(endsAt);
    }

    /**
     * {@return a copy of this alert marked resolved at {@code at}}
     *
     * @param at when the condition ended
     */
    public Alert resolve(Instant at) {
        return toBuilder().state(State.RESOLVED).endsAt(at).build();
    }

    /** {@return a builder initialised with this alert's values} */
    public Builder toBuilder() {
        return new Builder(name, serviceName).severity(severity).state(state).summary(summary).labels(labels)
                .annotations(annotations).startsAt(startsAt).endsAt(endsAt);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Alert)) {
            return false;
        }
        Alert other = (Alert) o;
        return name.equals(other.name) && serviceName.equals(other.serviceName) && severity == other.severity
                && state == other.state && summary.equals(other.summary) && labels.equals(other.labels)
                && annotations.equals(other.annotations)
                && startsAt.equals(other.startsAt) && Objects.equals(endsAt, other.endsAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, serviceName, severity, state, summary, labels, annotations, startsAt, endsAt);
    }

    @Override
    public String toString() {
        return state + " " + severity.label() + " " + name + "{service=" + serviceName + "}: " + summary;
    }

    /** Builds an {@link Alert}. */
    public static final class Builder {
        private final String name;
        private final String serviceName;
        private Severity severity = Severity.WARNING;
        private State state = State.FIRING;
        private String summary = "";
        private Map<String, String> labels = new LinkedHashMap<>();
        private Map<String, String> annotations = new LinkedHashMap<>();
        private Instant startsAt;
        private Instant endsAt;

        private Builder(String name, String serviceName) {
            this.name = name;
            this.serviceName = serviceName;
        }

        /**
         * How urgent; default {@link Severity#WARNING}.
         *
         * @param severity how urgent the alert is
         * @return this builder
         */
        public Builder severity(Severity severity) {
            this.severity = severity;
            return this;
        }

        /**
         * Firing (default) or resolved.
         *
         * @param state firing or resolved
         * @return this builder
         */
        public Builder state(State state) {
            this.state = state;
            return this;
        }

        /**
         * One sentence for a person.
         *
         * @param summary one sentence for a person
         * @return this builder
         */
        public Builder summary(String summary) {
            this.summary = summary;
            return this;
        }

        /**
         * Replaces the extra labels.
         *
         * @param labels the extra identifying labels, by name
         * @return this builder
         */
        public Builder labels(Map<String, String> labels) {
            this.labels = new LinkedHashMap<>(labels);
            return this;
        }

        /**
         * Adds one extra label.
         *
         * @param key the label's name
         * @param value its value
         * @return this builder
         */
        public Builder label(String key, String value) {
            this.labels.put(key, value);
            return this;
        }

        /**
         * Replaces the annotations (text for people besides the summary).
         *
         * @param annotations the annotations, by name
         * @return this builder
         */
        public Builder annotations(Map<String, String> annotations) {
            this.annotations = new LinkedHashMap<>(annotations);
            return this;
        }

        /**
         * Adds one annotation, such as {@code dashboard}.
         *
         * @param key the annotation's name
         * @param value its text
         * @return this builder
         */
        public Builder annotation(String key, String value) {
            this.annotations.put(key, value);
            return this;
        }

        /**
         * Sets the {@code description} annotation.
         *
         * @param description more detail than the summary
         * @return this builder
         */
        public Builder description(String description) {
            return annotation("description", description);
        }

        /**
         * Sets the {@code runbook_url} annotation.
         *
         * @param url where a person finds what to do
         * @return this builder
         */
        public Builder runbookUrl(String url) {
            return annotation("runbook_url", url);
        }

        /**
         * When the condition began; required.
         *
         * @param startsAt when the condition began
         * @return this builder
         */
        public Builder startsAt(Instant startsAt) {
            this.startsAt = startsAt;
            return this;
        }

        /**
         * When the condition ended; required for a resolved alert.
         *
         * @param endsAt when the condition ended
         * @return this builder
         */
        public Builder endsAt(Instant endsAt) {
            this.endsAt = endsAt;
            return this;
        }

        /**
         * Builds the alert.
         *
         * @return the alert
         */
        public Alert build() {
            return new Alert(this);
        }
    }
}
