package io.aegis.testkit.engine;

import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.EngineAccess;
import io.aegis.core.internal.VirtualScheduler;
import io.aegis.core.internal.WorkInFlight;
import io.aegis.testkit.FakeRuntime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * A plugin inside a real engine in a few lines: the engine (metrics off, its own state directory), every event it
 * publishes recorded, waits on them, and the {@code fake} runtime's record of what the engine asked of a workload.
 *
 * <pre>{@code
 * try (EngineHarness harness = EngineHarness.start(ServiceDefinition.builder("worker")
 *         .check("file-age", heartbeat.toString()).checkerSetting("maxAge", "2s")
 *         .interval(Duration.ofMillis(100)).onFailure("restart")
 *         .runtime("fake", Map.of()))) {
 *     harness.awaitState("worker", ServiceState.HEALTHY);
 *     Files.setLastModifiedTime(heartbeat, FileTime.from(Instant.now().minusSeconds(95)));
 *     harness.awaitState("worker", ServiceState.UNHEALTHY);
 *     harness.await(RecoveryFinished.class, finished -> true);
 *     assertThat(harness.runtime("worker").calls()).contains(RuntimeOperation.RESTART);
 * }
 * }</pre>
 *
 * The plugin under test is found by {@link java.util.ServiceLoader}, as when its jar is installed: nothing names its
 * factory. Time is real with {@link #start}: give the services short intervals (100 ms) so that tests stay quick.
 *
 * <p><b>Virtual time.</b> With {@link #startInVirtualTime}, the engine's clock and every one of its timers (ticks,
 * retries, timeouts of plugin calls, restart backoff, recovery and alert windows, notification retries) run on
 * virtual time that only {@link #advance} and {@link #advanceUntil} move: services keep their real intervals (30 s,
 * 5 min) and a test of an hour of them takes milliseconds, the same every run. Time moves one timer at a time; before
 * each, the harness waits (in real time) until what the last one set off has settled: the engine's threads are idle
 * and every call into a plugin has completed its stage. A plugin call still outstanding after
 * {@link #PLUGIN_GRACE} of real time is left to its timeout, which then comes in virtual time like any other timer:
 * a check that never answers turns into a {@code TIMEOUT} at {@code timeout} plus the engine's slack (a tenth, at
 * least 100 ms) after it started, on the virtual clock. A call that answers late costs its real latency, one call
 * after another: an hour of checks that answer at once takes a fraction of a second, of checks that take 5 ms each,
 * several seconds. Threads that move time take turns.
 * Plugin code itself (sockets, processes, {@link Instant#now()}) stays on real time: the virtual clock starts at the
 * real time the harness starts. Lines of logs arrive on their sources' own threads in real time: wait for what they set
 * off with {@link #await}, then move time.
 *
 * <pre>{@code
 * try (EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("api")
 *         .check("http", server.url("/health")).interval(Duration.ofSeconds(30)).failureThreshold(3)
 *         .runtime("fake", Map.of()).onFailure("restart"))) {
 *     harness.advanceUntilState("api", ServiceState.HEALTHY, Duration.ofMinutes(1));
 *     server.respondWith(503);
 *     StateChanged down = harness.advanceUntilState("api", ServiceState.UNHEALTHY, Duration.ofMinutes(5));
 *     // three failed checks, 30 s apart, on the virtual clock
 * }
 * }</pre>
 */
public final class EngineHarness implements AutoCloseable {
    /** How long the waits wait by default. */
    public static final Duration PATIENCE = Duration.ofSeconds(10);
    /**
     * In virtual time, how long (real time) a call into a plugin may take to complete its stage before the harness
     * moves time on and leaves the call to its timeout. A loopback request or a process start takes milliseconds, but
     * a plugin's first call in a JVM loads its classes and opens its clients: measured here, the HTTP checker's first
     * check took over 500 ms on a busy machine. Each call that never completes costs this much real time, once.
     */
    public static final Duration PLUGIN_GRACE = Duration.ofSeconds(2);

    private final Engine engine;
    private final List<ServiceEvent> events = new ArrayList<>();
    /** Null on real time. */
    private final VirtualScheduler virtualTime;
    private final WorkInFlight engineWork;
    private final WorkInFlight pluginWork;
    /** Plugin-pool tasks and deadlines numbered below these were given their grace by a settle: left to timeouts. */
    private long pluginTasksWaitedFor;
    private long deadlinesWaitedFor;
    /** One thread moves time at a time: two moving it at once would each run timers while the other's work runs. */
    private final Object timeLock = new Object();

    private EngineHarness(Engine.Builder builder, boolean virtual) {
        if (virtual) {
            this.virtualTime = new VirtualScheduler(Instant.now());
            this.engineWork = new WorkInFlight();
            this.pluginWork = new WorkInFlight();
            EngineAccess.get().useVirtualTime(builder, virtualTime, engineWork, pluginWork);
        } else {
            this.virtualTime = null;
            this.engineWork = null;
            this.pluginWork = null;
        }
        this.engine = builder.listener(this::record).build();
    }

    /**
     * Starts an engine supervising {@code services}, with metrics off.
     *
     * @param services the services, each as the builder of its definition (built here)
     * @return the harness, its engine started; close it to stop the engine
     */
    public static EngineHarness start(ServiceDefinition.Builder... services) {
        return start(builderOf(services));
    }

    /**
     * Starts an engine supervising {@code services}, with metrics off, on virtual time: nothing happens until the
     * test moves time with {@link #advance} or {@link #advanceUntil} (the workloads' start and what is due at once
     * have happened when this returns).
     *
     * @param services the services, each as the builder of its definition (built here)
     * @return the harness, its engine started; close it to stop the engine
     */
    public static EngineHarness startInVirtualTime(ServiceDefinition.Builder... services) {
        return startInVirtualTime(builderOf(services));
    }

    /**
     * As {@link #startInVirtualTime(ServiceDefinition.Builder...)}, for the engine {@code builder} makes; the
     * harness sets its clock (a clock set on it before is replaced by the virtual one).
     *
     * @param builder the engine's builder, set up as the test needs; the harness adds its recording listener to it
     * @return the harness, its engine started; close it to stop the engine
     */
    public static EngineHarness startInVirtualTime(Engine.Builder builder) {
        EngineHarness harness = new EngineHarness(builder, true);
        harness.engine.start();
        harness.advance(Duration.ZERO);
        return harness;
    }

    private static Engine.Builder builderOf(ServiceDefinition.Builder... services) {
        Engine.Builder builder = Engine.builder().metricsEnabled(false);
        for (ServiceDefinition.Builder service : services) {
            builder.service(service.build());
        }
        return builder;
    }

    /**
     * Starts the engine {@code builder} makes, recording its events (for a configuration file, say).
     *
     * @param builder the engine's builder, set up as the test needs; the harness adds its recording listener to it
     * @return the harness, its engine started; close it to stop the engine
     */
    public static EngineHarness start(Engine.Builder builder) {
        EngineHarness harness = new EngineHarness(builder, false);
        harness.engine.start();
        return harness;
    }

    /** {@return the engine, to read its snapshots or act on it} */
    public Engine engine() {
        return engine;
    }

    /**
     * What the engine asked of the {@code fake} runtime of {@code service}.
     *
     * @param service the name of a service whose runtime is of type {@code fake}
     * @return its runtime, whose {@link FakeRuntime#calls()} lists the operations the engine asked for, in order
     * @throws IllegalArgumentException when no engine made a {@code fake} runtime for {@code service}
     */
    public FakeRuntime runtime(String service) {
        return FakeRuntimeFactory.runtimeOf(service);
    }

    /** {@return the events published so far, oldest first} */
    public List<ServiceEvent> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /**
     * {@return the events of {@code type} published so far, oldest first}
     *
     * @param <E> the event type
     * @param type the class of the events wanted, such as {@code StateChanged.class}
     */
    public <E extends ServiceEvent> List<E> events(Class<E> type) {
        return events().stream().filter(type::isInstance).map(type::cast).toList();
    }

    /**
     * Waits up to {@link #PATIENCE} until {@code service} turns {@code state}, and returns that change; an
     * {@link AssertionError} listing the state changes so far (of every service) when it does not.
     *
     * @param service the service's name
     * @param state the state to wait for
     * @return the first change of {@code service} to {@code state}, also one published before the call
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public StateChanged awaitState(String service, ServiceState state) throws InterruptedException {
        return await(StateChanged.class, change -> change.serviceName().equals(service) && change.to() == state);
    }

    /**
     * Waits up to {@link #PATIENCE} for an event of {@code type} that {@code matches} (one published before the call
     * counts), and returns the first; an {@link AssertionError} listing the events of that type when none comes.
     *
     * @param <E> the event type
     * @param type the class of the event wanted, such as {@code RecoveryFinished.class}
     * @param matches which of those events will do; {@code event -> true} for any
     * @return the first event of {@code type} that matches, in the order they were published
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public <E extends ServiceEvent> E await(Class<E> type, Predicate<? super E> matches) throws InterruptedException {
        return await(type, matches, PATIENCE);
    }

    /**
     * {@link #await(Class, Predicate)}, waiting up to {@code patience}.
     *
     * @param <E> the event type
     * @param type the class of the event wanted, such as {@code RecoveryFinished.class}
     * @param matches which of those events will do; {@code event -> true} for any
     * @param patience how long to wait at most before the {@link AssertionError}
     * @return the first event of {@code type} that matches, in the order they were published
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public <E extends ServiceEvent> E await(Class<E> type, Predicate<? super E> matches, Duration patience)
            throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        synchronized (events) {
            while (true) {
                Optional<E> found = first(type, matches);
                if (found.isPresent()) {
                    return found.get();
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no matching " + type.getSimpleName() + " within " + patience.toMillis()
                            + " ms; the " + type.getSimpleName() + " events were: "
                            + events.stream().filter(type::isInstance).toList());
                }
                TimeUnit.NANOSECONDS.timedWait(events, left);
            }
        }
    }

    /** {@return the engine's time: the virtual clock's, or the real time with {@link #start}} */
    public Instant now() {
        return virtualTime != null ? virtualTime.now() : Instant.now();
    }

    /**
     * Moves virtual time forward by {@code duration}, one timer at a time in the order they fall due, letting what
     * each sets off settle before the next (see the class comment); returns when the engine has settled at the new
     * time.
     *
     * @param duration how far to move time; zero runs what is due now
     * @throws IllegalStateException when the harness runs on real time ({@link #start})
     * @throws IllegalArgumentException when {@code duration} is negative: time does not go back
     * @throws AssertionError when the engine's threads stay busy for {@link #PATIENCE} after a step
     */
    public void advance(Duration duration) {
        VirtualScheduler time = requireVirtualTime();
        requireForward(duration);
        synchronized (timeLock) {
            long target = time.nanoTime() + duration.toNanos();
            settle();
            while (time.runNext(target)) {
                settle();
            }
            time.moveTo(target);
        }
    }

    /**
     * Moves virtual time forward as {@link #advance} does until an event of {@code type} that {@code matches} has
     * been published (one published before the call counts), and returns it: time stops at that event's timer.
     *
     * @param <E> the event type
     * @param type the class of the event wanted, such as {@code RecoveryFinished.class}
     * @param matches which of those events will do; {@code event -> true} for any
     * @param atMost how far virtual time may move at most
     * @return the first event of {@code type} that matches; its {@link ServiceEvent#at()} is on the virtual clock
     * @throws AssertionError listing the events of that type when none comes within {@code atMost} of virtual time
     * @throws IllegalStateException when the harness runs on real time ({@link #start})
     * @throws IllegalArgumentException when {@code atMost} is negative: time does not go back
     */
    public <E extends ServiceEvent> E advanceUntil(Class<E> type, Predicate<? super E> matches, Duration atMost) {
        VirtualScheduler time = requireVirtualTime();
        requireForward(atMost);
        synchronized (timeLock) {
            long target = time.nanoTime() + atMost.toNanos();
            settle();
            while (true) {
                Optional<E> found = first(type, matches);
                if (found.isPresent()) {
                    return found.get();
                }
                if (!time.runNext(target)) {
                    time.moveTo(target);
                    throw new AssertionError("no matching " + type.getSimpleName() + " within " + atMost
                            + " of virtual time; the " + type.getSimpleName() + " events were: " + events(type));
                }
                settle();
            }
        }
    }

    /**
     * {@link #advanceUntil} {@code service} turns {@code state}, and returns that change.
     *
     * @param service the service's name
     * @param state the state to wait for
     * @param atMost how far virtual time may move at most
     * @return the first change of {@code service} to {@code state}, also one published before the call
     * @throws AssertionError listing the state changes when none comes within {@code atMost} of virtual time
     */
    public StateChanged advanceUntilState(String service, ServiceState state, Duration atMost) {
        return advanceUntil(StateChanged.class, change -> change.serviceName().equals(service) && change.to() == state,
                atMost);
    }

    private static void requireForward(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("time does not go back: " + duration);
        }
    }

    private VirtualScheduler requireVirtualTime() {
        if (virtualTime == null) {
            throw new IllegalStateException("this harness runs on real time: start it with startInVirtualTime to"
                    + " move time by hand");
        }
        return virtualTime;
    }

    /**
     * Waits until the engine's own pools have no task left and no plugin call is outstanding (in a thread of the
     * engine's plugin pool or with its deadline pending), or, for plugin calls only, until {@link #PLUGIN_GRACE} has
     * passed. The calls outstanding then are left to their timeouts and not waited for again by later settles (a check
     * that never answers would otherwise cost the grace at every timer until its timeout, and at every check of every
     * other service). Polls: what it waits for is spread over several pools and plugin threads, with nothing to be
     * woken by.
     */
    private void settle() {
        long start = System.nanoTime();
        while (true) {
            // Plugin calls first: the engine hands a call's result to its pools before it cancels the call's deadline
            // (Deadlines), so read in this order no result is between the two reads unseen.
            int pluginCalls = pluginWork.inFlightSince(pluginTasksWaitedFor)
                    + virtualTime.pendingDeadlinesSince(deadlinesWaitedFor);
            int tasks = engineWork.tasks();
            if (tasks == 0 && pluginCalls == 0) {
                return;
            }
            if (tasks == 0 && System.nanoTime() - start > PLUGIN_GRACE.toNanos()) {
                pluginTasksWaitedFor = pluginWork.started();
                deadlinesWaitedFor = virtualTime.deadlinesScheduled();
                return;
            }
            if (System.nanoTime() - start > PATIENCE.toNanos()) {
                throw new AssertionError("the engine's threads were still busy after " + PATIENCE.toSeconds()
                        + " s (" + tasks + " tasks): a listener or plugin blocking one of its pools?");
            }
            LockSupport.parkNanos(50_000);
        }
    }

    private <E extends ServiceEvent> Optional<E> first(Class<E> type, Predicate<? super E> matches) {
        synchronized (events) {
            return events.stream().filter(type::isInstance).map(type::cast).filter(matches).findFirst();
        }
    }

    private void record(ServiceEvent event) {
        synchronized (events) {
            events.add(event);
            events.notifyAll();
        }
    }

    /** Stops the engine: its services' workloads, threads and sockets. */
    @Override
    public void close() {
        engine.close();
    }
}
