package io.aegis.core.internal;

import io.aegis.api.Durations;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.recovery.RecoveryCoordinator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts {@code dependsOn} to work on the running services: attributes a dependent's failures to its down
 * dependencies, holds its recovery (and so its alerts) back meanwhile, has it checked again at once when they are
 * up, and opens its start once they have passed their first check.
 *
 * <p><b>Holding back.</b> Fed with every {@link StateChanged} (a lossless bus subscription), it keeps
 * {@link Dependencies} current and, for every service with dependencies, {@link
 * RecoveryCoordinator#inhibit inhibits} its recovery while
 * {@link Dependencies#downDependencyOf} names a down dependency ({@code "db is down"}), healthy or not, so that a
 * failure that comes later is held back from the first moment; it {@link
 * RecoveryCoordinator#lift lifts} that when the chain is up again, which checks the
 * dependent at once and recovers it only if it still fails. The calls go through each monitor's serial executor,
 * in the order the events came.
 *
 * <p><b>The race.</b> A dependent's check may fail before its dependency's own check has noticed that the
 * dependency is down (a killed database: the API's check fails at once, the database's next check is up to an
 * interval away). The bus delivers state changes asynchronously, but that lag is not what matters: the
 * dependency's own check lag is. So each dependent's coordinator asks {@link #blame} before every recovery step:
 * a dependency known to be down answers at once; otherwise every direct dependency is checked now, and the answer
 * waits for their verdicts: a passing check clears a dependency, a failing one is checked again (up to its
 * {@code failureThreshold} times) until the dependency is judged down (then the failure is attributed to it and
 * the dependent is inhibited as above) or passes. Bounded by {@link #verdictWithin} of each dependency: no
 * verdict in time and the dependent is recovered as usual.
 *
 * <p><b>Start order.</b> {@link #startGate} opens when the dependencies have each been up once, like Compose's
 * {@code service_healthy}, or after {@link #startBound}: the time its dependencies need to start and be judged.
 * Then the dependent starts anyway, with a WARN: a supervisor cannot "fail" a start the way a one-shot
 * {@code docker compose up} does, and keeping a service down for good because a dependency's check never passes
 * would turn a broken check into an outage; once started, its failures are attributed to the down dependency
 * anyway (no restarts, no alerts), and it is checked at once when the dependency is up.
 *
 * <p>Thread-safe. Events arrive from the bus (one thread at a time, in order); {@link #blame} is called on the
 * dependents' serial executors.
 */
public final class DependencyAttribution {
    private static final Logger log = LoggerFactory.getLogger(DependencyAttribution.class);

    private final Dependencies dependencies;
    private final Function<String, Optional<ServiceMonitor>> monitors;
    private final Map<String, ServiceDefinition> definitions;
    private final Scheduler scheduler;
    private final Clock clock;
    /** The services that depend on others, in start order. */
    private final List<String> dependents;

    private final Object lock = new Object();
    /** Dependent → why its recovery is held back now; guarded by lock. */
    private final Map<String, String> heldBack = new HashMap<>();
    /** Questions waiting for a dependency's verdict; guarded by lock. */
    private final List<Verdict> waiting = new ArrayList<>();

    /**
     * @param dependencies the graph of every service of the engine
     * @param monitors finds a service's monitor by name (the engine's current set)
     * @param definitions every service of the engine
     */
    public DependencyAttribution(Dependencies dependencies, Function<String, Optional<ServiceMonitor>> monitors,
            List<ServiceDefinition> definitions, Scheduler scheduler, Clock clock) {
        this.dependencies = dependencies;
        this.monitors = monitors;
        Map<String, ServiceDefinition> byName = new HashMap<>();
        definitions.forEach(definition -> byName.put(definition.name(), definition));
        this.definitions = Map.copyOf(byName);
        this.scheduler = scheduler;
        this.clock = clock;
        this.dependents = dependencies.startOrder().stream()
                .filter(name -> !dependencies.startAfter(name).isEmpty()).toList();
    }

    /** Has the monitor's coordinator ask {@link #blame} before each recovery step, when the service has dependencies. */
    public void attach(ServiceMonitor monitor) {
        String name = monitor.name();
        if (dependencies.startAfter(name).isEmpty()) {
            return;
        }
        monitor.withCoordinator(coordinator -> {
            coordinator.attributeFailuresWith(() -> blame(name));
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Takes in every event of the engine (the state changes and final check results are what it needs). */
    public void onEvent(ServiceEvent event) {
        if (event instanceof StateChanged changed) {
            onStateChanged(changed);
        } else if (event instanceof CheckCompleted completed && completed.finalAttempt()) {
            onCheckCompleted(completed);
        }
    }

    private void onStateChanged(StateChanged changed) {
        dependencies.onStateChanged(changed);
        if (changed.to() == ServiceState.STOPPED) {
            return; // the engine is shutting down (or the service removed): nothing to hold back or lift
        }
        List<Runnable> calls = new ArrayList<>();
        List<Verdict> decided = new ArrayList<>();
        synchronized (lock) {
            for (String dependent : dependents) {
                String reason = dependencies.downDependencyOf(dependent).map(down -> down + " is down").orElse(null);
                String before = heldBack.get(dependent);
                if (Objects.equals(reason, before)) {
                    continue;
                }
                if (reason == null) {
                    heldBack.remove(dependent);
                    String why = changed.serviceName() + " is " + changed.to().name().toLowerCase(Locale.ROOT)
                            + " again";
                    calls.add(() -> onCoordinator(dependent, coordinator -> coordinator.lift(why)));
                } else {
                    heldBack.put(dependent, reason);
                    calls.add(() -> onCoordinator(dependent, coordinator -> coordinator.inhibit(reason)));
                }
            }
            if (dependencies.isDown(changed.serviceName())) {
                waiting.removeIf(verdict -> verdict.dependency.equals(changed.serviceName()) && decided.add(verdict));
            }
        }
        // Inhibitions first: a dependent waiting for this verdict then drops its question (it is held back).
        calls.forEach(Runnable::run);
        decided.forEach(verdict -> verdict.answer(Optional.of(verdict.dependency + " is down")));
    }

    private void onCheckCompleted(CheckCompleted completed) {
        // Every final check of every service comes here: nothing is allocated unless a question waits for it.
        List<Verdict> passed = List.of();
        boolean again = false;
        synchronized (lock) {
            for (Verdict verdict : waiting) {
                if (!verdict.dependency.equals(completed.serviceName()) || completed.at().isBefore(verdict.askedAt)) {
                    continue;
                }
                if (completed.result().isPassing()) {
                    if (passed.isEmpty()) {
                        passed = new ArrayList<>();
                    }
                    passed.add(verdict);
                } else if (verdict.checksLeft-- > 1) {
                    again = true;
                }
                // else: out of checks; its bound answers
            }
            if (!passed.isEmpty()) {
                waiting.removeAll(passed);
            }
        }
        passed.forEach(verdict -> verdict.answer(Optional.empty()));
        if (again) {
            // Failing but not judged down yet (failureThreshold above 1): its next check now, not in an interval.
            monitors.apply(completed.serviceName()).ifPresent(ServiceMonitor::checkNow);
        }
    }

    /**
     * Whether the current failure of {@code dependent} is a dependency's doing: at once when one is known down,
     * else after checking each direct dependency now (see the class comment). Never fails.
     */
    public CompletionStage<Optional<String>> blame(String dependent) {
        Optional<String> down = dependencies.downDependencyOf(dependent);
        if (down.isPresent()) {
            return CompletableFuture.completedFuture(Optional.of(down.get() + " is down"));
        }
        List<CompletableFuture<Optional<String>>> answers = new ArrayList<>();
        for (String dependency : dependencies.startAfter(dependent)) {
            Optional<ServiceMonitor> monitor = monitors.apply(dependency);
            ServiceDefinition definition = definitions.get(dependency);
            if (monitor.isEmpty() || definition == null) {
                continue;
            }
            Verdict verdict = new Verdict(dependency, clock.instant(), definition.failureThreshold());
            synchronized (lock) {
                waiting.add(verdict);
            }
            Duration bound = verdictWithin(definition);
            try {
                verdict.timeout = scheduler.schedule(() -> {
                    synchronized (lock) {
                        waiting.remove(verdict);
                    }
                    if (verdict.answer(Optional.empty())) {
                        log.info("{}: {} gave no verdict within {}; recovering {} as usual", dependent, dependency,
                                Durations.format(bound), dependent);
                    }
                }, bound);
            } catch (RejectedExecutionException e) {
                verdict.answer(Optional.empty()); // shutting down
            }
            answers.add(verdict.future);
            monitor.get().checkNow();
        }
        log.debug("{}: asking {} for a check before recovering it", dependent, dependencies.startAfter(dependent));
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(ignored -> answers.stream()
                .map(CompletableFuture::join).flatMap(Optional::stream).findFirst()
                .or(() -> dependencies.downDependencyOf(dependent).map(root -> root + " is down")));
    }

    /**
     * Opens when every direct dependency of {@code service} has been up once, at once without dependencies, or,
     * when a dependency takes longer, after {@link #startBound} (logged at WARN). Completes on the thread of the
     * deciding event or of the timer: start with a method that only enqueues work.
     */
    public CompletionStage<Void> startGate(String service) {
        if (dependencies.startAfter(service).isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> gate = new CompletableFuture<>();
        dependencies.readyToStart(service).thenRun(() -> gate.complete(null));
        Duration bound = startBound(service);
        try {
            Scheduler.Task timer = scheduler.schedule(() -> {
                List<String> notUp = dependencies.notUpYet(service);
                if (!notUp.isEmpty() && gate.complete(null)) {
                    log.warn("{}: starting without waiting any longer for {}: not healthy within {} (the time it needs to"
                            + " start and be judged); until it is up, {}'s failures are attributed to it", service,
                            String.join(", ", notUp), Durations.format(bound), service);
                }
            }, bound);
            gate.thenRun(timer::cancel);
        } catch (RejectedExecutionException e) {
            gate.complete(null);
        }
        if (!gate.isDone()) {
            log.info("{}: its workload starts once {} passed a first check", service,
                    String.join(", ", dependencies.notUpYet(service)));
        }
        return gate;
    }

    /**
     * How long {@code service} waits at most for its dependencies before it starts anyway: for each direct
     * dependency, its own bound plus the time it needs to be judged ({@link #judgedWithin}); the longest of these.
     */
    public Duration startBound(String service) {
        Duration longest = Duration.ZERO;
        for (String dependency : dependencies.startAfter(service)) {
            ServiceDefinition definition = definitions.get(dependency);
            if (definition != null) {
                Duration bound = startBound(dependency).plus(judgedWithin(definition));
                longest = bound.compareTo(longest) > 0 ? bound : longest;
            }
        }
        return longest;
    }

    /** From its start to its first verdict at the latest: first check, grace period, enough failed checks. */
    static Duration judgedWithin(ServiceDefinition service) {
        return service.initialDelay().plus(service.startPeriod())
                .plus(service.interval().multipliedBy(service.failureThreshold())).plus(service.timeout());
    }

    /** How long a dependent waits for a dependency's verdict on a failure: enough checks to judge it, back to back. */
    static Duration verdictWithin(ServiceDefinition dependency) {
        return dependency.timeout().multipliedBy(dependency.retries() + 1L).plus(Duration.ofMillis(500))
                .multipliedBy(dependency.failureThreshold());
    }

    private void onCoordinator(String service, Consumer<RecoveryCoordinator> action) {
        monitors.apply(service).ifPresent(monitor -> monitor.withCoordinator(coordinator -> {
            action.accept(coordinator);
            return CompletableFuture.completedFuture(null);
        }));
    }

    /** One dependent's question to one dependency. */
    private static final class Verdict {
        private final String dependency;
        private final Instant askedAt;
        private final CompletableFuture<Optional<String>> future = new CompletableFuture<>();
        /** Checks of the dependency still to ask for; guarded by the attribution's lock. */
        private int checksLeft;
        private volatile Scheduler.Task timeout;

        Verdict(String dependency, Instant askedAt, int checks) {
            this.dependency = dependency;
            this.askedAt = askedAt;
            this.checksLeft = checks;
        }

        boolean answer(Optional<String> blame) {
            Scheduler.Task task = timeout;
            if (task != null) {
                task.cancel();
            }
            return future.complete(blame);
        }
    }
}
