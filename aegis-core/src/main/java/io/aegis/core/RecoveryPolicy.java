package io.aegis.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How often the engine may try to recover one service: exponential backoff with jitter between
 * recoveries, reset after the service has stayed healthy for a while, and a budget after which the engine
 * gives up and marks the service FAILED.
 *
 * <p>Defaults follow kubelet's crash-loop backoff and Monit's restart limit, scaled for faster first
 * recovery: the first recovery runs at once, the next after 1s, then 2s, 4s ... up to 5m; a service healthy
 * for 10m starts again from the first step; more than 5 recoveries within 10m exhaust the budget.
 *
 * <p>In YAML, under a service's {@code actions:} block:
 * <pre>
 * actions:
 *   onFailure: restart
 *   backoff: {initial: 1s, multiplier: 2, max: 5m}
 *   resetAfter: 10m
 *   budget: {max: 5, window: 10m}
 *   verifyWithin: 30s
 *   restart: {attempts: 3}
 * </pre>
 *
 * <p>With a ladder ({@code onFailure: [restart, rollback, isolate]}) the budget does not end in FAILED: when it
 * is spent, or after {@code restart.attempts} restarts in one incident, the next step runs.
 */
public final class RecoveryPolicy {
    /** Default delay before the second recovery. */
    public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofSeconds(1);
    /** Default growth factor of the delay. */
    public static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;
    /** Default longest delay. */
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofMinutes(5);
    /** Default healthy time after which the backoff starts over. */
    public static final Duration DEFAULT_RESET_AFTER = Duration.ofMinutes(10);
    /** Default number of recoveries allowed within the budget window. */
    public static final int DEFAULT_BUDGET_MAX = 5;
    /** Default budget window. */
    public static final Duration DEFAULT_BUDGET_WINDOW = Duration.ofMinutes(10);

    /** Default time a recovered service has to pass its checks before the recovery counts as failed. */
    public static final Duration DEFAULT_VERIFY_WITHIN = Duration.ofSeconds(30);
    /**
     * Default number of restarts per incident before the ladder moves on to its next step
     * ({@code actions.restart.attempts}); a restart that is the last step repeats until the budget is spent.
     */
    public static final int DEFAULT_RESTART_ATTEMPTS = 3;

    private static final RecoveryPolicy DEFAULTS = custom().build();

    private final Duration backoffInitial;
    private final double backoffMultiplier;
    private final Duration backoffMax;
    private final Duration resetAfter;
    private final int budgetMax;
    private final Duration budgetWindow;
    private final Duration verifyWithin;
    private final int restartAttempts;

    private RecoveryPolicy(Builder b) {
        if (b.backoffMax.compareTo(b.backoffInitial) < 0) {
            throw new IllegalArgumentException("backoff.max (" + b.backoffMax + ") must not be below backoff.initial ("
                    + b.backoffInitial + ")");
        }
        this.backoffInitial = b.backoffInitial;
        this.backoffMultiplier = b.backoffMultiplier;
        this.backoffMax = b.backoffMax;
        this.resetAfter = b.resetAfter;
        this.budgetMax = b.budgetMax;
        this.budgetWindow = b.budgetWindow;
        this.verifyWithin = b.verifyWithin;
        this.restartAttempts = b.restartAttempts;
    }

    /**
     * The default policy.
     *
     * @return the default policy
     */
    public static RecoveryPolicy ofDefaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a builder holding the defaults
     */
    public static Builder custom() {
        return new Builder();
    }

    /**
     * A builder starting from {@code base}.
     *
     * @param base the policy to start from
     * @return a builder holding {@code base}'s values
     */
    public static Builder from(RecoveryPolicy base) {
        return new Builder().backoff(base.backoffInitial, base.backoffMultiplier, base.backoffMax)
                .resetAfter(base.resetAfter).budget(base.budgetMax, base.budgetWindow).verifyWithin(base.verifyWithin)
                .restartAttempts(base.restartAttempts);
    }

    /** {@return delay before the second recovery (the first runs at once)} */
    public Duration backoffInitial() {
        return backoffInitial;
    }

    /** {@return growth factor of the delay from one recovery to the next} */
    public double backoffMultiplier() {
        return backoffMultiplier;
    }

    /** {@return longest delay between two recoveries} */
    public Duration backoffMax() {
        return backoffMax;
    }

    /** {@return healthy time after which the backoff and attempt count start over} */
    public Duration resetAfter() {
        return resetAfter;
    }

    /** {@return recoveries allowed within {@link #budgetWindow()}} */
    public int budgetMax() {
        return budgetMax;
    }

    /** {@return the sliding window of the budget} */
    public Duration budgetWindow() {
        return budgetWindow;
    }

    /**
     * {@return how long a service that a recovery acted on (a restarted process) has to pass its checks; failing checks
     * inside this window do not start another recovery, and missing it does}
     */
    public Duration verifyWithin() {
        return verifyWithin;
    }

    /**
     * Restarts per incident before the ladder escalates to its next step ({@code actions.restart.attempts});
     * not used when restart is the ladder's last step (it then repeats until the budget is spent).
     *
     * @return restarts per incident before the ladder escalates
     */
    public int restartAttempts() {
        return restartAttempts;
    }

    @Override
    public String toString() {
        return "RecoveryPolicy{backoff=" + backoffInitial + "x" + backoffMultiplier + "..." + backoffMax + ", resetAfter="
                + resetAfter + ", budget=" + budgetMax + "/" + budgetWindow + ", verifyWithin=" + verifyWithin
                + ", restartAttempts=" + restartAttempts + "}";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RecoveryPolicy)) {
            return false;
        }
        RecoveryPolicy other = (RecoveryPolicy) o;
        return backoffInitial.equals(other.backoffInitial) && backoffMultiplier == other.backoffMultiplier
                && backoffMax.equals(other.backoffMax) && resetAfter.equals(other.resetAfter)
                && budgetMax == other.budgetMax && budgetWindow.equals(other.budgetWindow)
                && verifyWithin.equals(other.verifyWithin) && restartAttempts == other.restartAttempts;
    }

    @Override
    public int hashCode() {
        return Objects.hash(backoffInitial, backoffMultiplier, backoffMax, resetAfter, budgetMax, budgetWindow,
                verifyWithin, restartAttempts);
    }

    /** Builds a {@link RecoveryPolicy}; each setter validates at once. */
    public static final class Builder {
        private Duration backoffInitial = DEFAULT_BACKOFF_INITIAL;
        private double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;
        private Duration backoffMax = DEFAULT_BACKOFF_MAX;
        private Duration resetAfter = DEFAULT_RESET_AFTER;
        private int budgetMax = DEFAULT_BUDGET_MAX;
        private Duration budgetWindow = DEFAULT_BUDGET_WINDOW;
        private Duration verifyWithin = DEFAULT_VERIFY_WITHIN;
        private int restartAttempts = DEFAULT_RESTART_ATTEMPTS;

        private Builder() {
        }

        /**
         * Backoff between recoveries: first delay, growth factor (at least 1), cap.
         *
         * @param initial the delay before the second recovery
         * @param multiplier the growth factor of the delay, at least 1
         * @param max the longest delay
         * @return this builder
         */
        public Builder backoff(Duration initial, double multiplier, Duration max) {
            if (initial.compareTo(Duration.ofMillis(1)) < 0) { // the delays are counted in whole milliseconds
                throw new IllegalArgumentException("backoff.initial must be at least 1ms, got " + initial);
            }
            if (multiplier < 1.0) {
                throw new IllegalArgumentException("backoff.multiplier must be at least 1, got " + multiplier);
            }
            this.backoffInitial = initial;
            this.backoffMultiplier = multiplier;
            this.backoffMax = Objects.requireNonNull(max, "max");
            return this;
        }

        /**
         * Healthy time after which the backoff starts over.
         *
         * @param resetAfter the healthy time after which the backoff starts over
         * @return this builder
         */
        public Builder resetAfter(Duration resetAfter) {
            if (resetAfter.isNegative() || resetAfter.isZero()) {
                throw new IllegalArgumentException("resetAfter must be positive, got " + resetAfter);
            }
            this.resetAfter = resetAfter;
            return this;
        }

        /**
         * At most {@code max} recoveries within {@code window}.
         *
         * @param max the most recoveries within {@code window}
         * @param window the sliding window of the budget
         * @return this builder
         */
        public Builder budget(int max, Duration window) {
            if (max < 1) {
                throw new IllegalArgumentException("budget.max must be at least 1, got " + max);
            }
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("budget.window must be positive, got " + window);
            }
            this.budgetMax = max;
            this.budgetWindow = window;
            return this;
        }

        /**
         * Time a recovered service has to pass its checks again.
         *
         * @param verifyWithin the time a recovered service has to pass its checks
         * @return this builder
         */
        public Builder verifyWithin(Duration verifyWithin) {
            if (verifyWithin.isNegative() || verifyWithin.isZero()) {
                throw new IllegalArgumentException("verifyWithin must be positive, got " + verifyWithin);
            }
            this.verifyWithin = verifyWithin;
            return this;
        }

        /**
         * Restarts per incident before the ladder escalates ({@code actions.restart.attempts}); at least 1.
         *
         * @param attempts restarts per incident, at least 1
         * @return this builder
         */
        public Builder restartAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("restart.attempts must be at least 1, got " + attempts);
            }
            this.restartAttempts = attempts;
            return this;
        }

        /**
         * Builds the policy.
         *
         * @return the policy
         */
        public RecoveryPolicy build() {
            return new RecoveryPolicy(this);
        }
    }
}
