package io.aegis.benchmarks.jmh;

import io.aegis.api.ActionOutcome;
import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.HealthChecker;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceSnapshot;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.BlockingChecks;
import io.aegis.core.internal.CheckLoad;
import io.aegis.core.internal.CheckMetrics;
import io.aegis.core.internal.EnginePools;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.MonitorContext;
import io.aegis.core.internal.RecoveryPermits;
import io.aegis.core.internal.Redactor;
import io.aegis.core.internal.Scheduler;
import io.aegis.core.internal.ServiceMonitor;
import io.aegis.core.internal.SkippedChecks;
import io.aegis.core.internal.metrics.EngineMetrics;
import io.aegis.plugin.support.NonBlockingChecker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One check cycle through the engine's monitor path with a checker that answers at once on a thread of its own
 * (playing the http checker's event loop): the timer's tick (invoked directly), the monitor's serial runner, the
 * plugin-call pool ({@code inline=false}) or none ({@code inline=true}: a bundled checker), the deadline on
 * the engine's wheel, the state machine, the metrics with {@code metrics=true} (wired as {@code Engine} wires them), and a {@link CheckCompleted}
 * listener on the event bus with {@code listener=true}. The cycle's end is seen by the caller spinning on the
 * monitor's snapshot, which every cycle replaces, so that no listener is needed to see it. The engine's own wiring
 * (pools sized as {@code Engine} sizes them) over {@code io.aegis.core.internal} types: there is no public way to
 * fire one tick on demand.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main CheckCycleBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CheckCycleBenchmark {
    private static final CompletableFuture<CheckResult> HEALTHY =
            CompletableFuture.completedFuture(CheckResult.healthy(Duration.ofNanos(1)));

    @Param({"false", "true"})
    public boolean metrics;

    @Param({"false", "true"})
    public boolean listener;

    /**
     * {@code true}: the checker is marked as one of Aegis' own non-blocking ones, so the tick calls it inline and its
     * verdict is judged on the thread that completed it; {@code false}: the guarded path of third-party checkers.
     */
    @Param({"true", "false"})
    public boolean inline;

    private ScheduledThreadPoolExecutor timer;
    private ExecutorService workers;
    private ExecutorService pluginCalls;
    private ServiceMonitor monitor;
    private EventBus bus;
    private EnginePools pools;
    /** Plays the checker's event loop: the verdict completes there, as the http checker's does on its Netty loop. */
    private ExecutorService loop;
    private volatile Runnable tick;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        timer = new ScheduledThreadPoolExecutor(1) {
            @Override
            public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
                    TimeUnit unit) {
                tick = command; // the benchmark fires the ticks; the real schedule never comes due
                return super.scheduleAtFixedRate(command, 1, 1, TimeUnit.DAYS);
            }
        };
        timer.setRemoveOnCancelPolicy(true);
        workers = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        pluginCalls = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>());
        bus = new EventBus();
        if (listener) {
            bus.subscribe(CheckCompleted.class, event -> { });
        }
        pools = new EnginePools(BlockingChecks.DEFAULT_LIMIT);
        Clock clock = Clock.systemUTC();
        ServiceDefinition definition = ServiceDefinition.builder("bench").check("noop", "noop")
                .interval(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(1)).build();
        CheckMetrics checkMetrics = CheckMetrics.NONE;
        if (metrics) {
            EngineMetrics engineMetrics = new EngineMetrics(new PrometheusRegistry(), clock);
            bus.subscribeLossless("EngineMetrics", ServiceEvent.class, CheckCompleted.class, engineMetrics::onEvent);
            engineMetrics.serviceAdded("bench");
            checkMetrics = engineMetrics::checkRecorder;
        }
        loop = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "bench-loop");
            thread.setDaemon(true);
            return thread;
        });
        HealthChecker checker = inline ? new NonBlockingChecker() {
            @Override
            public CompletionStage<CheckResult> check(CheckContext context) {
                return HEALTHY.thenApplyAsync(result -> result, loop);
            }
        } : context -> HEALTHY.thenApplyAsync(result -> result, loop);
        Scheduler scheduler = Scheduler.over(timer, pools.deadlines());
        monitor = new ServiceMonitor(definition, checker, null,
                context -> CompletableFuture.completedFuture(ActionOutcome.skipped("benchmark")), "notify", false,
                new MonitorContext(clock, timer, workers, pluginCalls, bus, new Alerts(bus, clock), null,
                        new SkippedChecks(), Redactor.urlCredentialsOnly(), scheduler,
                        new RecoveryPermits(RecoveryPermits.DEFAULT_LIMIT), new CheckLoad(CheckLoad.DEFAULT_MAX_IN_FLIGHT),
                        checkMetrics));
        monitor.start(Duration.ZERO);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (tick == null && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        if (tick == null) {
            throw new IllegalStateException("the monitor never scheduled its ticks");
        }
    }

    @Benchmark
    public boolean checkCycle() {
        ServiceSnapshot before = monitor.snapshot();
        tick.run();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (monitor.snapshot() == before) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        monitor.stopMonitoring().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        bus.close();
        pools.close();
        loop.shutdownNow();
        timer.shutdownNow();
        workers.shutdownNow();
        pluginCalls.shutdownNow();
    }
}
