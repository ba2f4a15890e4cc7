package io.aegis.core.internal.recovery;

import io.aegis.api.Alert;
import io.aegis.api.Durations;
import io.aegis.api.Severity;
import io.aegis.core.FlappingPolicy;
import io.aegis.core.ServiceState;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.MonitorContext;
import io.aegis.core.internal.Scheduler;
import io.aegis.core.internal.ServiceStateMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ServiceState#FLAPPING} as one service's monitor publishes it: an overlay over the state machine's own
 * state, driven by a {@link FlapDetector} under the service's {@code flapping:} policy. Without a policy it
 * publishes every state change as it is.
 *
 * <p>The state machine keeps its own state under the overlay (HEALTHY, UNHEALTHY, RECOVERING...), and the
 * {@link RecoveryCoordinator} keeps reacting to it. What the overlay changes is what is <em>published</em>:
 * <ul>
 *   <li>When a change makes the detector flap, that change is published, then {@code <state> → FLAPPING}; the
 *       one {@value #ALERT_NAME} alert is raised (critical: it stands for the per-flap alerts held meanwhile, and
 *       automatic recovery has not worked) and the coordinator is told ({@link RecoveryCoordinator#flappingStarted}:
 *       it escalates instead of restarting again and holds per-flap alerts).
 *   <li>While flapping, the state machine's changes are fed to the detector but not published: the snapshot and
 *       the {@code aegis_service_state} metric show FLAPPING. A timer (on the {@link Scheduler}) ticks the
 *       detector at its {@link FlapDetector#calmAt()}; after a whole window without a change it publishes
 *       {@code FLAPPING → <state now>}, resolves the alert (every alert of the service when it is healthy, as the
 *       coordinator held that back) and tells the coordinator.
 *   <li>A move to STARTING (a person's reset), ISOLATED, FAILED or STOPPED ends the overlay at once: it is
 *       published as {@code FLAPPING → <that state>}, the flapping alert is resolved (those states bring their
 *       own alerts, or none is wanted), and counting starts over.
 * </ul>
 * Confined to the service's serial executor, like the monitor and the coordinator.
 */
public final class FlappingOverlay {
    private static final Logger log = LoggerFactory.getLogger(FlappingOverlay.class);
    /** The alert raised once when a service starts flapping, resolved when it stops. */
    public static final String ALERT_NAME = "ServiceFlapping";
    /** States that end a flapping episode at once: recovery is over, or someone started the service over. */
    private static final Set<ServiceState> ENDS = EnumSet.of(ServiceState.STARTING, ServiceState.ISOLATED,
            ServiceState.FAILED, ServiceState.STOPPED);

    private final String name;
    private final FlappingPolicy policy;
    private final MonitorContext context;
    private final Executor serial;
    private final RecoveryCoordinator coordinator;
    private final Supplier<ServiceState> underlying;
    private final Runnable snapshot;

    // Confined to the serial executor.
    private FlapDetector detector;
    private boolean flapping;
    private Scheduler.Task calmCheck;
    private boolean closed;
    /** Why the service flaps (the alert's words), while it does. */
    private String flappingWhy;
    /** Whether the flapping alert of this episode was raised (it is held while paused or held back). */
    private boolean alertRaised;

    /**
     * The overlay of one service.
     *
     * @param policy the service's flapping policy; null for none (then it only publishes)
     * @param serial the service's serial executor, where the calm check runs
     * @param underlying the state machine's own state
     * @param snapshot refreshes the monitor's snapshot (called before the overlay publishes a change of its own)
     */
    public FlappingOverlay(String name, FlappingPolicy policy, MonitorContext context, Executor serial,
            RecoveryCoordinator coordinator, Supplier<ServiceState> underlying, Runnable snapshot) {
        this.name = name;
        this.policy = policy;
        this.context = context;
        this.serial = serial;
        this.coordinator = coordinator;
        this.underlying = underlying;
        this.snapshot = snapshot;
        this.detector = policy == null ? null : new FlapDetector(policy);
    }

    /** The state to show for the state machine's {@code state}: FLAPPING while the service flaps. */
    public ServiceState shown(ServiceState state) {
        return flapping ? ServiceState.FLAPPING : state;
    }

    /**
     * Whether the state machine's change {@code t} is not published as it is (it happens while flapping): the
     * overlay logs what it publishes instead, the caller logs {@code t} at debug only.
     */
    public boolean hides(ServiceStateMachine.Transition t) {
        return flapping;
    }

    /**
     * Takes in one change of the state machine at {@code now} and publishes what it changes in the published state.
     * The caller hands {@code t} to the coordinator afterwards, published or not.
     */
    public void onTransition(ServiceStateMachine.Transition t, Instant now) {
        if (detector == null) {
            publish(t.from(), t.to(), t.cause(), now);
            return;
        }
        if (flapping && ENDS.contains(t.to())) {
            end(t.to(), t.cause(), now);
            return;
        }
        FlapDetector.Transition verdict = detector.onStateChange(t.from(), t.to(), now);
        if (flapping) {
            raiseUnlessHeld(now);
            if (verdict == FlapDetector.Transition.STOPPED) {
                // The calm check did not run in time (the change came at the very instant): calm before this change.
                calm(t.from(), now);
                publish(t.from(), t.to(), t.cause(), now);
            } else {
                scheduleCalmCheck(now);
            }
            return;
        }
        publish(t.from(), t.to(), t.cause(), now);
        if (verdict == FlapDetector.Transition.STARTED) {
            if (ENDS.contains(t.to())) {
                detector = new FlapDetector(policy); // FAILED or ISOLATED says more than FLAPPING would
            } else {
                start(t.to(), now);
            }
        }
    }

    /** The monitor stops: no calm check runs any more. */
    public void close() {
        closed = true;
        cancelCalmCheck();
    }

    private void start(ServiceState from, Instant now) {
        flapping = true;
        String why = "changed state " + detector.changesWithin(now) + " times within " + Durations.format(
                policy.window()) + " (flapping.threshold: " + policy.threshold() + ")";
        snapshot.run();
        log.warn("{}: {} -> FLAPPING ({}); recovery escalates instead of repeating, and per-flap alerts are held"
                + " until it has not changed state for {}", name, from, why, Durations.format(policy.window()));
        context.bus().publish(new StateChanged(name, now, from, ServiceState.FLAPPING, why));
        flappingWhy = why;
        alertRaised = false;
        raiseUnlessHeld(now);
        coordinator.flappingStarted("flapping: " + why);
        scheduleCalmCheck(now);
    }

    /**
     * Raises the one flapping alert of this episode, unless alerts are held: a person paused the service
     * (maintenance: no alerts) or its failures are a dependency's doing (its alerts are held back). Once that ends,
     * the next change while it still flaps raises it.
     */
    private void raiseUnlessHeld(Instant now) {
        if (alertRaised || flappingWhy == null) {
            return;
        }
        if (coordinator.paused() || coordinator.heldBackBy().isPresent()) {
            log.debug("{}: flapping alert held ({})", name, coordinator.paused() ? "paused"
                    : coordinator.heldBackBy().get());
            return;
        }
        alertRaised = true;
        context.alerts().raise(Alert.builder(ALERT_NAME, name).severity(Severity.CRITICAL)
                .summary(name + " is flapping: it " + flappingWhy + ". Automatic recovery moves on to the next step of"
                        + " its ladder instead of repeating, and no further alert is raised per flap; this one resolves"
                        + " once the service has not changed state for " + Durations.format(policy.window()) + ".")
                .startsAt(now).build());
    }

    /** Calm for a whole window: the published state is the state machine's again. */
    private void calm(ServiceState state, Instant now) {
        flapping = false;
        flappingWhy = null;
        cancelCalmCheck();
        String why = "no state change for " + Durations.format(policy.window());
        snapshot.run();
        log.info("{}: FLAPPING -> {} ({})", name, state, why);
        context.bus().publish(new StateChanged(name, now, ServiceState.FLAPPING, state, why));
        if (state == ServiceState.HEALTHY || state == ServiceState.DEGRADED) {
            // Healthy and calm: what the coordinator held back while flapping resolves now, as it would have.
            context.alerts().resolveAll(name);
        } else {
            context.alerts().resolve(name, ALERT_NAME);
        }
        coordinator.flappingStopped();
    }

    /** The service moved to a state that ends flapping at once (FAILED, ISOLATED, a reset, shutdown). */
    private void end(ServiceState to, String cause, Instant now) {
        flapping = false;
        flappingWhy = null;
        cancelCalmCheck();
        detector = new FlapDetector(policy);
        if (to == ServiceState.FAILED || to == ServiceState.ISOLATED) {
            log.warn("{}: FLAPPING -> {} ({})", name, to, cause);
        } else {
            log.info("{}: FLAPPING -> {} ({})", name, to, cause);
        }
        snapshot.run();
        context.bus().publish(new StateChanged(name, now, ServiceState.FLAPPING, to, cause));
        context.alerts().resolve(name, ALERT_NAME);
        coordinator.flappingStopped();
    }

    private void publish(ServiceState from, ServiceState to, String cause, Instant now) {
        context.bus().publish(new StateChanged(name, now, from, to, cause));
    }

    private void scheduleCalmCheck(Instant now) {
        cancelCalmCheck();
        if (closed) {
            return;
        }
        Instant at = detector.calmAt().orElseThrow();
        Duration delay = Duration.between(now, at);
        try {
            calmCheck = context.scheduler().schedule(() -> runSerially(this::checkCalm),
                    delay.isNegative() ? Duration.ZERO : delay);
        } catch (RejectedExecutionException e) {
            calmCheck = null; // shutting down
        }
    }

    private void checkCalm() {
        if (!flapping || closed) {
            return;
        }
        Instant now = context.clock().instant();
        if (detector.tick(now) == FlapDetector.Transition.STOPPED) {
            calm(underlying.get(), now);
        } else {
            // The clock and the scheduler's time may disagree by a little: look again when the calm is due.
            scheduleCalmCheck(now);
        }
    }

    private void runSerially(Runnable task) {
        try {
            serial.execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("{}: the engine is shutting down; dropped a flapping calm check", name);
        }
    }

    private void cancelCalmCheck() {
        if (calmCheck != null) {
            calmCheck.cancel();
            calmCheck = null;
        }
    }
}
