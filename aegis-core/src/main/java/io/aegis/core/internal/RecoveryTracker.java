package io.aegis.core.internal;

import io.aegis.core.RecoveryPolicy;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Decides whether, and after what delay, a service may be recovered again: exponential backoff with
 * jitter between recoveries (resilience4j {@link IntervalFunction}), reset once the service has stayed
 * healthy for {@link RecoveryPolicy#resetAfter()}, and a budget of recoveries per sliding window. Pure logic
 * driven by the instants it is given; not thread-safe (used from the service's serialized monitor).
 */
public final class RecoveryTracker {

    /** What to do about the next recovery. */
    public sealed interface Decision permits Proceed, Exhausted {
    }

    /**
     * Recover after {@code delay}; this is recovery number {@code attempt} since the service was last
     * stably healthy.
     */
    public record Proceed(int attempt, Duration delay) implements Decision {
    }

    /** The budget is spent: {@code recoveries} ran within the window. */
    public record Exhausted(int recoveries, Duration window) implements Decision {
    }

    private static final double JITTER = 0.2;

    private final RecoveryPolicy policy;
    private final IntervalFunction backoff;
    private final Deque<Instant> recoveriesInWindow = new ArrayDeque<>();
    private int attempts;
    private Instant healthySince;

    /** Creates a tracker for {@code policy} with randomized (jittered) backoff. */
    public RecoveryTracker(RecoveryPolicy policy) {
        this(policy, IntervalFunction.ofExponentialRandomBackoff(policy.backoffInitial(), policy.backoffMultiplier(),
                JITTER, policy.backoffMax()));
    }

    /** Creates a tracker with an explicit backoff function (tests use a deterministic one). */
    public RecoveryTracker(RecoveryPolicy policy, IntervalFunction backoff) {
        this.policy = policy;
        this.backoff = backoff;
    }

    /** The service passed its checks and is healthy from {@code now} on. */
    public void healthy(Instant now) {
        if (healthySince == null) {
            healthySince = now;
        }
    }

    /**
     * The service stopped being healthy at {@code now}; when it had been healthy for at least
     * {@code resetAfter}, the backoff starts over (kubelet's crash-loop reset).
     */
    public void unhealthy(Instant now) {
        if (healthySince != null && !Duration.between(healthySince, now).minus(policy.resetAfter()).isNegative()) {
            attempts = 0;
        }
        healthySince = null;
    }

    /** Decides about the next recovery at {@code now}; records it in the budget when it may proceed. */
    public Decision next(Instant now) {
        Instant windowStart = now.minus(policy.budgetWindow());
        while (!recoveriesInWindow.isEmpty() && !recoveriesInWindow.peekFirst().isAfter(windowStart)) {
            recoveriesInWindow.pollFirst();
        }
        if (recoveriesInWindow.size() >= policy.budgetMax()) {
            return new Exhausted(recoveriesInWindow.size(), policy.budgetWindow());
        }
        attempts++;
        recoveriesInWindow.addLast(now);
        return new Proceed(attempts, delayBefore(attempts));
    }

    /**
     * When the budget, spent at the last {@link #next}, has room again (the oldest recovery in it leaves the window);
     * null when it has room now.
     */
    public Instant budgetFreesAt() {
        if (recoveriesInWindow.isEmpty() || recoveriesInWindow.size() < policy.budgetMax()) {
            return null;
        }
        return recoveriesInWindow.peekFirst().plus(policy.budgetWindow());
    }

    /**
     * The recovery last allowed by {@link #next} did not run after all (given up while it waited for its backoff or
     * a fleet-wide permit): it neither counts against the budget nor lengthens the backoff.
     */
    public void notRun() {
        if (attempts > 0) {
            attempts--;
        }
        recoveriesInWindow.pollLast();
    }

    /** Recoveries since the service was last stably healthy. */
    public int attempts() {
        return attempts;
    }

    /** Forgets the backoff, not the budget: the service recovered by itself from FAILED. */
    public void resetBackoff() {
        attempts = 0;
    }

    /** Forgets the budget and the backoff: a person acted. */
    public void reset() {
        attempts = 0;
        recoveriesInWindow.clear();
    }

    /** The first recovery runs at once; recovery n waits the (n-1)th backoff interval, capped at the maximum. */
    private Duration delayBefore(int attempt) {
        if (attempt <= 1) {
            return Duration.ZERO;
        }
        long millis = Math.min(backoff.apply(attempt - 1), policy.backoffMax().toMillis());
        return Duration.ofMillis(millis);
    }
}
