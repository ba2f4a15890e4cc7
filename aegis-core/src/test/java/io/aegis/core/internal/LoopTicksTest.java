package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.aegis.api.ActionOutcome;
import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.HealthChecker;
import io.aegis.core.ServiceDefinition;
import io.aegis.plugin.support.NonBlockingChecker;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: the ticks of a trusted checker that names its event loop ({@link NonBlockingChecker#checkLoop()}) are
 * scheduled on that loop, so tick, check, answer and verdict run on one thread; everything the timer's ticks
 * guaranteed still holds there. The "loop" is a real single thread ({@code t-loop}) with real time.
 */
class LoopTicksTest {
    private static final Duration INTERVAL = Duration.ofMillis(20);

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, named("t-timer"));
    private final ExecutorService workers = Executors.newFixedThreadPool(2, named("t-worker-%d"));
    private final ExecutorService pluginCalls = Executors.newCachedThreadPool(named("t-plugin-%d"));
    private final ScheduledThreadPoolExecutor loop = new ScheduledThreadPoolExecutor(1, named("t-loop"));
    private final EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
    private final List<String> judgedOn = new CopyOnWriteArrayList<>();
    private final List<CheckResult> results = new CopyOnWriteArrayList<>();
    private final List<SkippedChecks.Reason> skipped = new CopyOnWriteArrayList<>();
    /** How many tick schedules each way: on a checker's loop, on the timer. */
    private final AtomicInteger onLoop = new AtomicInteger();
    private final AtomicInteger onTimer = new AtomicInteger();
    private ServiceMonitor monitor;

    LoopTicksTest() {
        // a cancelled tick leaves the queue at once, so the queue shows whether a schedule is still there
        loop.setRemoveOnCancelPolicy(true);
        timer.setRemoveOnCancelPolicy(true);
    }

    @AfterEach
    void stop() {
        if (monitor != null) {
            monitor.stopMonitoring().join();
        }
        timer.shutdownNow();
        workers.shutdownNow();
        pluginCalls.shutdownNow();
        loop.shutdownNow();
    }

    @Test
    void theTicksOfACheckerThatNamesItsLoopRunOnThatLoopWithTheCheckAndItsVerdict() {
        LoopTickedChecker checker = new LoopTickedChecker(loop);
        monitor = monitorOf(checker, Scheduler.over(timer));
        monitor.start(Duration.ofMillis(1));

        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.size() >= 5 && judgedOn.size() >= 5);
        // one schedule, on the loop: the timer holds no tick of this service (none doubled, none left behind)
        assertThat(onLoop).hasValue(1);
        assertThat(onTimer).hasValue(0);
        // (the queue is live: while the tick runs it is out of it, so look until it is back)
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(loop.getQueue()).hasSize(1));
        assertThat(timer.getQueue()).noneMatch(task -> ((java.util.concurrent.RunnableScheduledFuture<?>) task)
                .isPeriodic());
        // Only the loop ticks, so checks start there (a tick more than 10 ms late may spill over to a worker on a
        // loaded box, never to the timer or a plugin-call thread); passing verdicts are judged where they arrived.
        assertThat(checker.calledOn).contains("t-loop").noneMatch(t -> t.equals("t-timer") || t.startsWith("t-plugin-"));
        assertThat(judgedOn).contains("t-loop");
    }

    @Test
    void theTicksOfALoopAreOnTheGridSoThatTheLoopWakesOnceForSeveralChecks() {
        ThreadLocal<Long> lastRead = new ThreadLocal<>();
        List<Long> firstTicks = new CopyOnWriteArrayList<>();
        Scheduler real = Scheduler.over(timer);
        Scheduler recording = new ForwardingScheduler(real) {
            @Override
            public long nanoTime() {
                long now = real.nanoTime();
                lastRead.set(now);
                return now;
            }

            @Override
            public Task scheduleAtFixedRateOn(ScheduledExecutorService executor, Runnable task, Duration initialDelay,
                    Duration period) {
                // the monitor read the time, then asked for its first tick this much later
                firstTicks.add(lastRead.get() + initialDelay.toNanos());
                return super.scheduleAtFixedRateOn(executor, task, initialDelay, period);
            }
        };
        for (int i = 0; i < 5; i++) {
            ServiceMonitor one = monitorOf(new LoopTickedChecker(loop), recording);
            one.start(INTERVAL);
            one.stopMonitoring().join();
        }

        assertThat(firstTicks).hasSize(5).allMatch(at -> at % ServiceMonitor.TICK_GRID_NANOS == 0);
    }

    @Test
    void noTickIsLostOrDoubledOnTheLoop() {
        LoopTickedChecker checker = new LoopTickedChecker(loop);
        monitor = monitorOf(checker, Scheduler.over(timer));
        monitor.start(Duration.ofMillis(1));
        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.size() >= 1);
        long from = System.nanoTime();
        int calledBefore = checker.calledOn.size();
        int skippedBefore = skipped.size();

        await().atMost(Duration.ofSeconds(30)).until(() -> checker.calledOn.size() - calledBefore >= 40);
        long elapsedTicks = (System.nanoTime() - from) / INTERVAL.toNanos();
        int ticks = checker.calledOn.size() - calledBefore + skipped.size() - skippedBefore;
        // every tick of the elapsed time either checked or was counted as skipped: one each, give or take the one
        // in flight at either end (a doubled schedule would give twice as many, a lost one far fewer)
        assertThat(ticks).isBetween((int) elapsedTicks - 2, (int) elapsedTicks + 2);
        assertThat(onLoop.get() + onTimer.get()).isEqualTo(1);
    }

    @Test
    void stoppingTheMonitorCancelsItsTicksOnTheLoop() {
        LoopTickedChecker checker = new LoopTickedChecker(loop);
        monitor = monitorOf(checker, Scheduler.over(timer));
        monitor.start(Duration.ofMillis(1));
        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.size() >= 2);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(loop.getQueue()).hasSize(1));

        // what removeService and the engine's close do
        monitor.stopMonitoring().join();
        monitor = null;

        assertThat(loop.getQueue()).noneMatch(task -> ((java.util.concurrent.RunnableScheduledFuture<?>) task)
                .isPeriodic());
        int calls = checker.calledOn.size();
        // a tick that had already begun may still call once; after that nothing is scheduled that could call again
        await().atMost(Duration.ofSeconds(5)).until(() -> loop.getActiveCount() == 0);
        assertThat(checker.calledOn.size()).isBetween(calls, calls + 1);
        assertThat(loop.getQueue()).noneMatch(task -> ((java.util.concurrent.RunnableScheduledFuture<?>) task)
                .isPeriodic());
    }

    @Test
    void pausingKeepsTheTicksOnTheLoopGoing() {
        LoopTickedChecker checker = new LoopTickedChecker(loop);
        monitor = monitorOf(checker, Scheduler.over(timer));
        monitor.start(Duration.ofMillis(1));
        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.size() >= 2);

        monitor.withCoordinator(coordinator -> {
            coordinator.pause("maintenance");
            return CompletableFuture.completedFuture(null);
        }).join();
        int calls = checker.calledOn.size();

        // "checks go on" while paused: the one schedule on the loop is still there and still ticks
        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.size() >= calls + 3);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(loop.getQueue()).hasSize(1));
        assertThat(onLoop).hasValue(1);
    }

    @Test
    void aCheckThatThrowsAnErrorOnTheLoopDoesNotStopTheTicks() {
        LoopTickedChecker checker = new LoopTickedChecker(loop);
        checker.throwOnCall = 2;
        monitor = monitorOf(checker, Scheduler.over(timer));
        monitor.start(Duration.ofMillis(1));

        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.size() >= 5);
        assertThat(checker.threw).isTrue();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(loop.getQueue()).hasSize(1));
    }

    @Test
    void aTickWhoseOwnCodeThrowsOnTheLoopDoesNotCancelTheSchedule() {
        LoopTickedChecker checker = new LoopTickedChecker(loop);
        AtomicBoolean thrown = new AtomicBoolean();
        Scheduler real = Scheduler.over(timer);
        // the tick reads the time on the loop to see whether it runs late: that read throws, once
        Scheduler throwingOnce = new ForwardingScheduler(real) {
            @Override
            public long nanoTime() {
                if (Thread.currentThread().getName().equals("t-loop") && !checker.calledOn.isEmpty()
                        && thrown.compareAndSet(false, true)) {
                    throw new AssertionError("injected: a tick's own code threw");
                }
                return real.nanoTime();
            }
        };
        monitor = monitorOf(checker, throwingOnce);
        monitor.start(Duration.ofMillis(1));

        await().atMost(Duration.ofSeconds(20)).until(thrown::get);
        int calls = checker.calledOn.size();
        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.size() >= calls + 3);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(loop.getQueue()).hasSize(1));
    }

    @Test
    void ticksThatReachAStalledLoopLateAreShedAndCounted() throws Exception {
        LoopTickedChecker checker = new LoopTickedChecker(loop);
        monitor = monitorOf(checker, Scheduler.over(timer));
        monitor.start(Duration.ofMillis(1));
        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.size() >= 2);

        // the loop is stalled for 15 intervals (a long GC pause, a busy loop): its overdue ticks then all run at once
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        loop.execute(() -> {
            stalled.countDown();
            try {
                never.await(INTERVAL.toMillis() * 15, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stalled.await();
        int calls = checker.calledOn.size();

        // the ones more than 100 ms late are shed and counted, not run as a burst of checks; then it checks on time
        await().atMost(Duration.ofSeconds(20)).until(() -> skipped.contains(SkippedChecks.Reason.LATE)
                && checker.calledOn.size() >= calls + 3);
        assertThat(checker.calledOn.size() - calls).isLessThan(15);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(loop.getQueue()).hasSize(1));
    }

    @Test
    void aPluginsCheckerIsNeverAskedForItsLoopAndKeepsTheTimer() throws Exception {
        // The same class, loaded as a plugin jar's would be: not trusted, so its ticks stay on the engine's timer.
        Class<?> foreign = new OwnLoader(getClass().getClassLoader()).load(LoopTickedChecker.class);
        assertThat(foreign.getClassLoader()).isNotSameAs(LoopTickedChecker.class.getClassLoader());
        HealthChecker plugin = (HealthChecker) foreign.getDeclaredConstructor(ScheduledExecutorService.class)
                .newInstance(loop);
        monitor = monitorOf(plugin, Scheduler.over(timer));
        monitor.start(Duration.ofMillis(1));

        await().atMost(Duration.ofSeconds(20)).until(() -> judgedOn.size() >= 3);
        assertThat(onTimer).hasValue(1);
        assertThat(onLoop).hasValue(0);
        // no tick on the loop (the checker's own answers may be queued there for a moment: they are not periodic)
        assertThat(loop.getQueue()).noneMatch(task -> ((java.util.concurrent.RunnableScheduledFuture<?>) task)
                .isPeriodic());
        assertThat(judgedOn).allMatch(thread -> thread.startsWith("t-worker-"));
    }

    private ServiceMonitor monitorOf(HealthChecker checker, Scheduler scheduler) {
        ServiceDefinition definition = ServiceDefinition.builder("svc").check("loop", "loop")
                .interval(INTERVAL).timeout(Duration.ofSeconds(2)).build();
        SkippedChecks skippedChecks = new SkippedChecks();
        skippedChecks.countInto((service, reason) -> skipped.add(reason));
        Scheduler counting = new ForwardingScheduler(scheduler) {
            @Override
            public Task scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period) {
                onTimer.incrementAndGet();
                return super.scheduleAtFixedRate(task, initialDelay, period);
            }

            @Override
            public Task scheduleAtFixedRateOn(ScheduledExecutorService executor, Runnable task, Duration initialDelay,
                    Duration period) {
                onLoop.incrementAndGet();
                return super.scheduleAtFixedRateOn(executor, task, initialDelay, period);
            }
        };
        MonitorContext context = new MonitorContext(Clock.systemUTC(), timer, workers, pluginCalls, bus,
                new Alerts(bus, Clock.systemUTC()), null, skippedChecks, Redactor.urlCredentialsOnly(),
                counting, new RecoveryPermits(RecoveryPermits.DEFAULT_LIMIT), new CheckLoad(0),
                service -> (result, at, finalAttempt) -> {
                    judgedOn.add(Thread.currentThread().getName());
                    results.add(result);
                });
        return new ServiceMonitor(definition, checker, null,
                recovery -> CompletableFuture.completedFuture(ActionOutcome.skipped("test")), "notify", false, context);
    }

    private static java.util.concurrent.ThreadFactory named(String format) {
        return new ThreadFactoryBuilder().setNameFormat(format).setDaemon(true).build();
    }

    /** Passes everything on to another scheduler (the production one, over the test's timer). */
    private static class ForwardingScheduler implements Scheduler {
        private final Scheduler delegate;

        ForwardingScheduler(Scheduler delegate) {
            this.delegate = delegate;
        }

        @Override
        public long nanoTime() {
            return delegate.nanoTime();
        }

        @Override
        public Task schedule(Runnable task, Duration delay) {
            return delegate.schedule(task, delay);
        }

        @Override
        public Task scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period) {
            return delegate.scheduleAtFixedRate(task, initialDelay, period);
        }

        @Override
        public Task scheduleAtFixedRateOn(ScheduledExecutorService executor, Runnable task, Duration initialDelay,
                Duration period) {
            return delegate.scheduleAtFixedRateOn(executor, task, initialDelay, period);
        }

        @Override
        public Task deadline(Runnable task, Duration delay) {
            return delegate.deadline(task, delay);
        }
    }

    /**
     * A trusted checker with an event loop of its own, as the http checker is: names it, and answers on it a moment
     * after the call (a response arrives in a later turn of the loop). Can throw an Error on one call.
     */
    public static class LoopTickedChecker implements NonBlockingChecker {
        final List<String> calledOn = new CopyOnWriteArrayList<>();
        private final ScheduledExecutorService loop;
        volatile int throwOnCall = -1;
        volatile boolean threw;

        public LoopTickedChecker(ScheduledExecutorService loop) {
            this.loop = loop;
        }

        @Override
        public Optional<ScheduledExecutorService> checkLoop() {
            return Optional.of(loop);
        }

        @Override
        public CompletionStage<CheckResult> check(CheckContext context) {
            calledOn.add(Thread.currentThread().getName());
            if (calledOn.size() == throwOnCall) {
                threw = true;
                throw new StackOverflowError("injected");
            }
            return CompletableFuture.supplyAsync(() -> CheckResult.healthy(Duration.ofMillis(1)), loop);
        }
    }

    /** Defines a class of this test again, as a plugin's class loader would. */
    private static final class OwnLoader extends ClassLoader {
        OwnLoader(ClassLoader parent) {
            super(parent);
        }

        Class<?> load(Class<?> type) throws ClassNotFoundException {
            return loadClass(type.getName());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (!name.equals(LoopTickedChecker.class.getName())) {
                    return super.loadClass(name, resolve);
                }
                Class<?> loaded = findLoadedClass(name);
                if (loaded != null) {
                    return loaded;
                }
                try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                    byte[] bytes = in.readAllBytes();
                    return defineClass(name, bytes, 0, bytes.length);
                } catch (IOException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }
        }
    }
}
