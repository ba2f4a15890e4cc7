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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: the checkers bundled with Aegis (marked {@link NonBlockingChecker}, loaded by the engine's own class
 * loader) are called on the thread that ticks, and their verdicts judged on the thread that completed them, without
 * hand-offs; every other checker keeps the guarded path (check() on a plugin-call thread, the verdict on a worker).
 * Real threads, named, so the test can see who ran what.
 */
class InlineChecksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, named("t-timer"));
    private final ExecutorService workers = Executors.newFixedThreadPool(2, named("t-worker-%d"));
    private final ExecutorService pluginCalls = Executors.newCachedThreadPool(named("t-plugin-%d"));
    /** Plays a checker's event loop: completes its stages. */
    private final ExecutorService loop = Executors.newSingleThreadExecutor(named("t-loop"));
    private final EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
    /** The threads the monitors judged verdicts on (the metrics are counted where the verdict is judged). */
    private final List<String> judgedOn = new CopyOnWriteArrayList<>();
    private final List<CheckResult> results = new CopyOnWriteArrayList<>();
    private ServiceMonitor monitor;

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
    void aTrustedCheckerIsCalledOnTheTickingThreadAndItsVerdictJudgedWhereItArrived() {
        LoopChecker checker = new TrustedLoopChecker(loop);
        monitor = monitorOf(checker);
        monitor.start(Duration.ofMillis(1));

        // A tick that finds the monitor busy (its last verdict still being judged), or the timer more than 10 ms
        // behind (a loaded box), runs on a worker instead; so "some", not "all", but never a plugin-call thread.
        await().atMost(Duration.ofSeconds(20)).until(() -> checker.calledOn.contains("t-timer")
                && judgedOn.contains("t-loop"));
        assertThat(checker.calledOn).noneMatch(thread -> thread.startsWith("t-plugin-"));
    }

    @Test
    void aTrustedCheckerThatNeverAnswersStillEndsAtTheEnginesOwnDeadlineJudgedOnAWorker() {
        NonBlockingChecker silent = context -> new CompletableFuture<>();
        monitor = monitorOf(silent, Duration.ofMillis(50));
        monitor.start(Duration.ofMillis(1));

        await().atMost(Duration.ofSeconds(10)).until(() -> !results.isEmpty());
        assertThat(results.get(0).message()).startsWith("no verdict within 50ms");
        assertThat(judgedOn.get(0)).startsWith("t-worker-");
    }

    @Test
    void anUnmarkedCheckerKeepsThePluginCallThreadAndTheWorkers() {
        LoopChecker checker = new LoopChecker(loop);
        monitor = monitorOf(checker);
        monitor.start(Duration.ofMillis(1));

        await().atMost(Duration.ofSeconds(10)).until(() -> checker.calledOn.size() >= 3 && judgedOn.size() >= 3);
        assertThat(checker.calledOn).allMatch(thread -> thread.startsWith("t-plugin-"));
        assertThat(judgedOn).allMatch(thread -> thread.startsWith("t-worker-"));
    }

    @Test
    void onlyMarkedCheckersOfTheEnginesOwnClassLoaderAreTrusted() throws Exception {
        assertThat(ServiceMonitor.callsInline(new TrustedLoopChecker(loop))).isTrue();
        assertThat(ServiceMonitor.callsInline(new LoopChecker(loop))).isFalse();
        // The same marked class, loaded as a plugin jar's would be (a class loader of its own): not trusted.
        Class<?> foreign = new OwnLoader(getClass().getClassLoader()).load(TrustedLoopChecker.class);
        assertThat(foreign.getClassLoader()).isNotSameAs(TrustedLoopChecker.class.getClassLoader());
        Object plugin = foreign.getDeclaredConstructor(java.util.concurrent.Executor.class).newInstance(loop);
        assertThat(plugin).isInstanceOf(NonBlockingChecker.class);
        assertThat(ServiceMonitor.callsInline((HealthChecker) plugin)).isFalse();
    }

    private ServiceMonitor monitorOf(HealthChecker checker) {
        return monitorOf(checker, TIMEOUT);
    }

    private ServiceMonitor monitorOf(HealthChecker checker, Duration timeout) {
        ServiceDefinition definition = ServiceDefinition.builder("svc").check("loop", "loop")
                .interval(Duration.ofMillis(20)).timeout(timeout).build();
        MonitorContext context = new MonitorContext(Clock.systemUTC(), timer, workers, pluginCalls, bus,
                new Alerts(bus, Clock.systemUTC()), null, new SkippedChecks(), Redactor.urlCredentialsOnly(),
                Scheduler.over(timer), new RecoveryPermits(RecoveryPermits.DEFAULT_LIMIT), new CheckLoad(0),
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

    /** Records the thread that calls {@code check()}; passes on its "event loop". */
    public static class LoopChecker implements HealthChecker {
        final List<String> calledOn = new CopyOnWriteArrayList<>();
        private final java.util.concurrent.Executor loop;

        public LoopChecker(java.util.concurrent.Executor loop) {
            this.loop = loop;
        }

        @Override
        public CompletionStage<CheckResult> check(CheckContext context) {
            calledOn.add(Thread.currentThread().getName());
            return CompletableFuture.supplyAsync(() -> CheckResult.healthy(Duration.ofMillis(1)), loop);
        }
    }

    /** As {@link LoopChecker}, marked as one of Aegis' own non-blocking checkers. */
    public static class TrustedLoopChecker extends LoopChecker implements NonBlockingChecker {
        public TrustedLoopChecker(java.util.concurrent.Executor loop) {
            super(loop);
        }
    }

    /** Defines a class (and its superclass from this test) again, as a plugin's class loader would. */
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
                if (!name.startsWith(InlineChecksTest.class.getName() + "$")) {
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
