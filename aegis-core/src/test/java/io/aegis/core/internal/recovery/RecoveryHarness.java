package io.aegis.core.internal.recovery;

import com.google.common.util.concurrent.MoreExecutors;
import io.aegis.api.Alert;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.MonitorContext;
import io.aegis.core.internal.RecoveryPermits;
import io.aegis.core.internal.Redactor;
import io.aegis.core.internal.SkippedChecks;
import io.aegis.core.internal.VirtualScheduler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The virtual-time setup the recovery tests share ({@link LadderTest}, {@link FlappingTest},
 * {@link RecoveryInteractionsTest}, {@link DependsOnTest}): a {@link VirtualScheduler}, a bus delivering on the
 * calling thread, the alerts of every AlertFired/AlertResolved event recorded in {@link #alerts}, every
 * event recorded in {@link #events}, and direct executors. {@link #close()} it after each test.
 */
final class RecoveryHarness implements AutoCloseable {
    static final Executor DIRECT = Runnable::run;

    final VirtualScheduler scheduler = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
    final ScheduledThreadPoolExecutor alertTimer = new ScheduledThreadPoolExecutor(1);
    final EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
    /** Every event published, in order. */
    final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    /** What the notifier received, firing and resolved. */
    final List<Alert> alerts = new CopyOnWriteArrayList<>();
    /** The alerts the monitors raise, shared by every {@link #context}. */
    final Alerts raised = new Alerts(bus, scheduler.clock());

    RecoveryHarness() {
        bus.subscribeLossless("AlertLifecycle", ServiceEvent.class, event -> {
            if (event instanceof AlertFired) {
                alerts.add(((AlertFired) event).alert());
            } else if (event instanceof AlertResolved) {
                alerts.add(((AlertResolved) event).alert());
            }
        });
        bus.subscribe(ServiceEvent.class, events::add);
    }

    /** A monitor's context on this harness: virtual time, direct executors, URL credentials redacted. */
    MonitorContext context(RecoveryPermits permits) {
        return new MonitorContext(scheduler.clock(), alertTimer, DIRECT, DIRECT, bus, raised, null,
                new SkippedChecks(), Redactor.urlCredentialsOnly(), scheduler, permits);
    }

    MonitorContext context() {
        return context(new RecoveryPermits(RecoveryPermits.DEFAULT_LIMIT));
    }

    <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    List<Alert> firing() {
        return alerts.stream().filter(alert -> alert.state() == Alert.State.FIRING).toList();
    }

    /** The built-in action of that name; {@code notify} for any other name. */
    static RecoveryActionFactory factory(String name) {
        return switch (name) {
            case "restart" -> new RestartActionFactory();
            case "rollback" -> new RollbackActionFactory();
            case "isolate" -> new IsolateActionFactory();
            default -> new NotifyActionFactory();
        };
    }

    static Ladder.Step step(String name) {
        RecoveryActionFactory factory = factory(name);
        return new Ladder.Step(name, factory.create(Settings.empty("actions")),
                Ladder.kindOf(name, factory.requiresRuntime()));
    }

    /** A ladder of the built-in actions named. */
    static Ladder ladder(Iterable<String> names) {
        List<Ladder.Step> steps = new ArrayList<>();
        names.forEach(name -> steps.add(step(name)));
        return new Ladder(steps);
    }

    static Ladder ladder(String... names) {
        return ladder(List.of(names));
    }

    @Override
    public void close() {
        alertTimer.shutdownNow();
    }
}
