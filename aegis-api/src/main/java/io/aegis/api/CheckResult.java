package io.aegis.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The immutable outcome of one health check.
 *
 * <p>Create it with the static factories: {@code CheckResult.healthy(latency)},
 * {@code CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", latency)}. A result that does not pass
 * ({@link HealthStatus#UNHEALTHY} or {@link HealthStatus#UNKNOWN}) always carries a {@link FailureReason}.
 */
public final class CheckResult {
    private static final int MAX_MESSAGE_LENGTH = 4096;

    private final HealthStatus status;
    private final Duration latency;
    private final String message;
    private final FailureReason failureReason;

    private CheckResult(HealthStatus status, Duration latency, String message, FailureReason failureReason) {
        this.status = Objects.requireNonNull(status, "status");
        this.latency = Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative: " + latency);
        }
        String text = message == null ? "" : message;
        this.message = text.length() > MAX_MESSAGE_LENGTH ? text.substring(0, MAX_MESSAGE_LENGTH) : text;
        if (!status.isPassing() && failureReason == null) {
            throw new IllegalArgumentException("a " + status + " result needs a failure reason");
        }
        this.failureReason = failureReason;
    }

    /**
     * A passing result with an empty message.
     *
     * @param latency how long the check took
     * @return a healthy result
     */
    public static CheckResult healthy(Duration latency) {
        return new CheckResult(HealthStatus.HEALTHY, latency, "", null);
    }

    /**
     * A passing result with a message (for example the response status line).
     *
     * @param latency how long the check took
     * @param message a short human-readable explanation; may be empty
     * @return a healthy result
     */
    public static CheckResult healthy(Duration latency, String message) {
        return new CheckResult(HealthStatus.HEALTHY, latency, message, null);
    }

    /**
     * A passing result that signals a problem; {@code reason} may be {@code null}.
     *
     * @param reason what is wrong, or {@code null}
     * @param message a short human-readable explanation; may be empty
     * @param latency how long the check took
     * @return a degraded result
     */
    public static CheckResult degraded(FailureReason reason, String message, Duration latency) {
        return new CheckResult(HealthStatus.DEGRADED, latency, message, reason);
    }

    /**
     * A failing result: the service is down or answered wrongly.
     *
     * @param reason why the check did not pass
     * @param message a short human-readable explanation; may be empty
     * @param latency how long the check took
     * @return an unhealthy result
     */
    public static CheckResult unhealthy(FailureReason reason, String message, Duration latency) {
        return new CheckResult(HealthStatus.UNHEALTHY, latency, message, Objects.requireNonNull(reason, "reason"));
    }

    /**
     * A result without a verdict: the check itself could not tell.
     *
     * @param reason why the check did not pass
     * @param message a short human-readable explanation; may be empty
     * @param latency how long the check took
     * @return a result with status {@link HealthStatus#UNKNOWN}
     */
    public static CheckResult unknown(FailureReason reason, String message, Duration latency) {
        return new CheckResult(HealthStatus.UNKNOWN, latency, message, Objects.requireNonNull(reason, "reason"));
    }

    /** {@return the verdict} */
    public HealthStatus status() {
        return status;
    }

    /** {@return how long the check took, from the start of the attempt to its verdict} */
    public Duration latency() {
        return latency;
    }

    /** {@return a short human-readable explanation, at most 4096 characters; empty when there is nothing to say} */
    public String message() {
        return message;
    }

    /** {@return why the check did not pass; empty for a plain healthy result} */
    public Optional<FailureReason> failureReason() {
        return Optional.ofNullable(failureReason);
    }

    /**
     * Shortcut for {@code status().isPassing()}.
     *
     * @return whether the check passed (healthy or degraded)
     */
    public boolean isPassing() {
        return status.isPassing();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CheckResult)) {
            return false;
        }
        CheckResult other = (CheckResult) o;
        return status == other.status && latency.equals(other.latency) && message.equals(other.message)
                && failureReason == other.failureReason;
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, latency, message, failureReason);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(status.name());
        if (failureReason != null) {
            sb.append('(').append(failureReason.label()).append(')');
        }
        sb.append(" in ").append(latency.toMillis()).append("ms");
        if (!message.isEmpty()) {
            sb.append(": ").append(message);
        }
        return sb.toString();
    }
}
