package io.aegis.core.internal.recovery;

import io.aegis.core.FlappingPolicy;
import io.aegis.core.ServiceState;
import io.aegis.core.event.StateChanged;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides when one service is flapping, from its state changes and their instants, under a
 * {@link FlappingPolicy} {@code {threshold: N, window: W}}. Pure: no threads, no clock of its own; the caller
 * passes the instants (the engine's clock) and asks again when {@link #calmAt()} comes.
 *
 * <p>Precisely, with the changes counted being those fed through {@link #onStateChange}:
 * <ul>
 *   <li><b>Entering</b>: at a change at instant {@code t}, the service starts flapping when more than {@code N}
 *       changes (this one included) happened in the window {@code (t - W, t]}; a change exactly {@code W} before
 *       {@code t} no longer counts. The result is {@link Transition#STARTED}, once.
 *   <li><b>Leaving</b> (hysteresis): a flapping service stops flapping once a whole window passes without any
 *       change, that is at {@code last change + W} ({@link #calmAt()}). Changes while flapping do not add
 *       anything but push that instant back. The result is {@link Transition#STOPPED}, once, from
 *       {@link #tick} at or after that instant, or from the next {@link #onStateChange} if nobody ticked. After
 *       that, counting starts from nothing: a new burst of more than {@code N} changes is needed to flap again.
 * </ul>
 * So the caller raises one alert on {@code STARTED} and resolves it on {@code STOPPED}, and the ladder escalates
 * on {@code STARTED} instead of restarting once more.
 *
 * <p>Which changes to feed: every change of the service's own state, except those into or out of
 * {@link ServiceState#FLAPPING} itself (the verdict must not count as evidence); {@link #onStateChange} skips
 * those and non-changes. While the service is published as FLAPPING, the caller keeps feeding the changes its
 * checks and recoveries imply (HEALTHY → UNHEALTHY → RECOVERING ...) even if it does not publish them.
 *
 * <p>An instant earlier than the last one seen (a clock stepped back) is taken as the last one, so time never
 * runs backwards here. Memory stays at most {@code N + 1} instants. Not thread-safe: one detector per service,
 * used from the service's serialized logical thread.
 */
public final class FlapDetector {
    /** What a call changed about the verdict. */
    public enum Transition {
        /** Nothing: still flapping, or still not. */
        NONE,
        /** The service is flapping from now on: raise the one alert, escalate. */
        STARTED,
        /** The service was calm for a whole window and is no longer flapping: resolve the alert. */
        STOPPED
    }

    private final FlappingPolicy policy;
    /** Instants of the changes that may still be in the window, oldest first; at most threshold + 1. */
    private final Deque<Instant> changes = new ArrayDeque<>();
    private Instant lastChange;
    private boolean flapping;

    /** A detector for one service, not flapping, that has seen no change. */
    public FlapDetector(FlappingPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** The policy it applies. */
    public FlappingPolicy policy() {
        return policy;
    }

    /**
     * Takes in a state change of the service ({@code from → to} at {@code at}). Changes into or out of FLAPPING,
     * and a "change" to the same state, are ignored.
     *
     * @return {@link Transition#STARTED} when this change makes the service flap; {@link Transition#STOPPED}
     *     when the service had already been calm for a whole window before this change (no one called
     *     {@link #tick} in time; this change then counts as the first of a new window); else
     *     {@link Transition#NONE}
     */
    public Transition onStateChange(ServiceState from, ServiceState to, Instant at) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (from == to || from == ServiceState.FLAPPING || to == ServiceState.FLAPPING) {
            return Transition.NONE;
        }
        return record(at);
    }

    /** Same as {@link #onStateChange(ServiceState, ServiceState, Instant)} for a published event. */
    public Transition onStateChange(StateChanged event) {
        return onStateChange(event.from(), event.to(), event.at());
    }

    /**
     * Takes in one state change at {@code at}, whatever it was; see {@link #onStateChange} for the result.
     */
    public Transition record(Instant at) {
        Instant now = notBeforeLast(at);
        Transition calmed = tick(now);
        Instant windowStart = now.minus(policy.window());
        while (!changes.isEmpty() && !changes.peekFirst().isAfter(windowStart)) {
            changes.pollFirst();
        }
        changes.addLast(now);
        lastChange = now;
        if (changes.size() > policy.threshold() + 1) {
            changes.pollFirst(); // while flapping only the last change matters; keep memory bounded
        }
        if (!flapping && changes.size() > policy.threshold()) {
            flapping = true;
            return Transition.STARTED;
        }
        return calmed;
    }

    /**
     * Lets time pass to {@code now}: a flapping service whose last change is a whole window ago stops flapping.
     *
     * @return {@link Transition#STOPPED} at the first call at or after {@link #calmAt()}; else
     *     {@link Transition#NONE}
     */
    public Transition tick(Instant now) {
        Instant at = notBeforeLast(now);
        if (flapping && !at.isBefore(lastChange.plus(policy.window()))) {
            flapping = false;
            changes.clear();
            return Transition.STOPPED;
        }
        return Transition.NONE;
    }

    /** Whether the service is flapping, as of the last call. */
    public boolean isFlapping() {
        return flapping;
    }

    /**
     * When a flapping service stops flapping if it does not change state before then: the last change plus the
     * window. The caller schedules a {@link #tick} for that instant (again after each change). Empty while not
     * flapping.
     */
    public Optional<Instant> calmAt() {
        return flapping ? Optional.of(lastChange.plus(policy.window())) : Optional.empty();
    }

    /**
     * How many counted changes lie in the window ending at {@code now}, {@code (now - window, now]}; at most
     * {@code threshold + 1}, as no more are kept.
     */
    public int changesWithin(Instant now) {
        Instant windowStart = notBeforeLast(now).minus(policy.window());
        return (int) changes.stream().filter(change -> change.isAfter(windowStart)).count();
    }

    /** How long the window is (for messages: "7 state changes within 10m"). */
    public Duration window() {
        return policy.window();
    }

    private Instant notBeforeLast(Instant at) {
        Objects.requireNonNull(at, "at");
        return lastChange != null && at.isBefore(lastChange) ? lastChange : at;
    }
}
