package io.aegis.testkit.engine;

import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.testkit.FakeRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
 * factory. Time is real; give the services short intervals (100 ms) so that tests stay quick.
 */
public final class EngineHarness implements AutoCloseable {
    /** How long the waits wait by default. */
    public static final Duration PATIENCE = Duration.ofSeconds(10);

    private final Engine engine;
    private final List<ServiceEvent> events = new ArrayList<>();

    private EngineHarness(Engine.Builder builder) {
        this.engine = builder.listener(this::record).build();
    }

    /**
     * Starts an engine supervising {@code services}, with metrics off.
     *
     * @param services the services, each as the builder of its definition (built here)
     * @return the harness, its engine started; close it to stop the engine
     */
    public static EngineHarness start(ServiceDefinition.Builder... services) {
        Engine.Builder builder = Engine.builder().metricsEnabled(false);
        for (ServiceDefinition.Builder service : services) {
            builder.service(service.build());
        }
        return start(builder);
    }

    /**
     * Starts the engine {@code builder} makes, recording its events (for a configuration file, say).
     *
     * @param builder the engine's builder, set up as the test needs; the harness adds its recording listener to it
     * @return the harness, its engine started; close it to stop the engine
     */
    public static EngineHarness start(Engine.Builder builder) {
        EngineHarness harness = new EngineHarness(builder);
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
                Optional<E> found = events.stream().filter(type::isInstance).map(type::cast).filter(matches)
                        .findFirst();
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
