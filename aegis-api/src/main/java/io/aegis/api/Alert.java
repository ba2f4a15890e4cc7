package io.aegis.api;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable alert about one service, firing or resolved, as handed to {@link Notifier}s.
 *
 * <p>Shaped after Alertmanager's alerts: a name, labels that identify it, a summary for people, a start
 * and, once resolved, an end. Build it with {@link #builder(String, String)}.
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
    private final Instant startsAt;
    private final Instant endsAt;

    private Alert(Builder builder) {
        this.name = Objects.requireNonNull(builder.name, "name");
        this.serviceName = Objects.requireNonNull(builder.serviceName, "serviceName");
        this.severity = Objects.requireNonNull(builder.severity, "severity");
        this.state = Objects.requireNonNull(builder.state, "state");
        this.summary = Objects.requireNonNull(builder.summary, "summary");
        this.labels = Map.copyOf(builder.labels);
        this.startsAt = Objects.requireNonNull(builder.startsAt, "startsAt");
        this.endsAt = builder.endsAt;
        if (state == State.RESOLVED && endsAt == null) {
            throw new IllegalArgumentException("a resolved alert needs endsAt");
        }
    }

    /** Starts building a firing alert called {@code name} about service {@code serviceName}. */
    public static Builder builder(String name, String serviceName) {
        return new Builder(name, serviceName);
    }

    /** The alert's name, such as {@code ServiceUnhealthy}. */
    public String name() {
        return name;
    }

    /** The service the alert is about. */
    public String serviceName() {
        return serviceName;
    }

    /** How urgent it is. */
    public Severity severity() {
        return severity;
    }

    /** Firing or resolved. */
    public State state() {
        return state;
    }

    /** One sentence for a person. */
    public String summary() {
        return summary;
    }

    /** Extra identifying labels (besides name, service and severity). */
    public Map<String, String> labels() {
        return labels;
    }

    /** When the condition began. */
    public Instant startsAt() {
        return startsAt;
    }

    /** When the condition ended; present once resolved. */
    public Optional<Instant> endsAt() {
        return Optional.ofNullable(endsAt);
    }

    /** A copy of this alert marked resolved at {@code at}. */
    public Alert resolve(Instant at) {
        return toBuilder().state(State.RESOLVED).endsAt(at).build();
    }

    /** A builder initialised with this alert's values. */
    public Builder toBuilder() {
        return new Builder(name, serviceName).severity(severity).state(state).summary(summary).labels(labels)
                .startsAt(startsAt).endsAt(endsAt);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Alert)) {
            return false;
        }
        Alert other = (Alert) o;
        return name.equals(other.name) && serviceName.equals(other.serviceName) && severity == other.severity
                && state == other.state && summary.equals(other.summary) && labels.equals(other.labels)
                && startsAt.equals(other.startsAt) && Objects.equals(endsAt, other.endsAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, serviceName, severity, state, summary, labels, startsAt, endsAt);
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
        private Instant startsAt;
        private Instant endsAt;

        private Builder(String name, String serviceName) {
            this.name = name;
            this.serviceName = serviceName;
        }

        /** How urgent; default {@link Severity#WARNING}. */
        public Builder severity(Severity severity) {
            this.severity = severity;
            return this;
        }

        /** Firing (default) or resolved. */
        public Builder state(State state) {
            this.state = state;
            return this;
        }

        /** One sentence for a person. */
        public Builder summary(String summary) {
            this.summary = summary;
            return this;
        }

        /** Replaces the extra labels. */
        public Builder labels(Map<String, String> labels) {
            this.labels = new LinkedHashMap<>(labels);
            return this;
        }

        /** Adds one extra label. */
        public Builder label(String key, String value) {
            this.labels.put(key, value);
            return this;
        }

        /** When the condition began; required. */
        public Builder startsAt(Instant startsAt) {
            this.startsAt = startsAt;
            return this;
        }

        /** When the condition ended; required for a resolved alert. */
        public Builder endsAt(Instant endsAt) {
            this.endsAt = endsAt;
            return this;
        }

        /** Builds the alert. */
        public Alert build() {
            return new Alert(this);
        }
    }
}
