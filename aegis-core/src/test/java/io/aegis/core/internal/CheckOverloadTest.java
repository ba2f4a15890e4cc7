package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.MoreExecutors;
import io.aegis.api.ActionOutcome;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: under overload the engine degrades gracefully, in virtual time. Checks in flight per checker type are
 * capped ({@code global.maxInFlightChecks}), late ticks are shed rather than run as a backlog, a timeout that the
 * engine's own starvation explains is a skipped tick and not a failure, and all of it recovers by itself.
 * "Starved" is played by a worker pool that the test drains only when it says so.
 */
class CheckOverloadTest {
    private static final Executor DIRECT = Runnable::run;
    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final VirtualScheduler scheduler = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
    private final ScheduledThreadPoolExecutor unusedTimer = new ScheduledThreadPoolExecutor(1);
    private final EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final SkippedChecks skippedChecks = new SkippedChecks(scheduler::nanoTime, warnings::add);
    private final Map<SkippedChecks.Reason, AtomicInteger> skipped = new ConcurrentHashMap<>();
    /** The engine's workers, run only by {@link #runWorkers()}: while they wait, the engine is "starved". */
    private final Queue<Runnable> workerQueue = new ArrayDeque<>();
    private final Executor queuedWorkers = workerQueue::add;
    private final List<ServiceMonitor> monitors = new ArrayList<>();
    /** Lets the checkers that block go when the test ends. */
    private final CountDownLatch release = new CountDownLatch(1);

    CheckOverloadTest() {
        skippedChecks.countInto((service, reason) -> skipped.computeIfAbsent(reason, r -> new AtomicInteger())
                .incrementAndGet());
    }

    @AfterEach
    void stop() {
        release.countDown();
        monitors.forEach(ServiceMonitor::stopMonitoring);
        runWorkers();
        unusedTimer.shutdownNow();
    }

    @Test
    void aTickBeyondTheCapOfChecksInFlightWaitsInLineIsSkippedAsOverloadWhileItWaitsAndTheSlotsComeBack() {
        CheckLoad load = new CheckLoad(2, scheduler::nanoTime);
        ControlledChecker checker = new ControlledChecker();
        checker.hang = true;
        for (int i = 0; i < 3; i++) {
            monitor("svc-" + i, Duration.ofSeconds(5), 3, checker, DIRECT, load).start(Duration.ZERO);
        }

        scheduler.runDue();
        assertThat(checker.pending).as("checks called").hasSize(2);
        assertThat(load.inFlight("controlled")).isEqualTo(2);
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).as("the third waits in line: nothing skipped yet").isZero();

        scheduler.advance(INTERVAL);
        assertThat(checker.pending).hasSize(2);
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).as("the third's next tick, while it waits").isOne();
        assertThat(skips(SkippedChecks.Reason.BUSY)).as("the next ticks of the two whose checks hang").isEqualTo(2);
        assertThat(warnings).filteredOn(warning -> warning.contains("overload")).singleElement().asString()
                .contains("global.maxInFlightChecks").contains("aegis_health_checks_skipped_total{reason=\"overload\"}");

        // The load drops: the hung checks answer, and the checker answers at once from now on.
        checker.hang = false;
        checker.pending.forEach(future -> future.complete(CheckResult.healthy(Duration.ofMillis(1))));
        assertThat(checker.calls.get()).as("the one in line checked as soon as a slot came free").isEqualTo(3);
        assertThat(load.inFlight("controlled")).as("slots given back").isZero();
        scheduler.advance(INTERVAL);

        assertThat(checker.calls.get()).as("every service checked on the next tick").isEqualTo(3 + 3);
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isOne();
        assertThat(load.inFlight("controlled")).isZero();
        assertThat(monitors).allSatisfy(m -> assertThat(m.snapshot().state()).isEqualTo(ServiceState.HEALTHY));
    }

    @Test
    void servicesBeyondTheCapWaitInLineForASlotInsteadOfLosingEveryTick() {
        CheckLoad load = new CheckLoad(1, scheduler::nanoTime);
        ControlledChecker first = new ControlledChecker();
        ControlledChecker second = new ControlledChecker();
        first.hang = true;
        second.hang = true;
        monitor("first", Duration.ofMillis(300), 3, first, DIRECT, load).start(Duration.ZERO);
        monitor("second", Duration.ofMillis(300), 3, second, DIRECT, load).start(Duration.ZERO);

        for (int tick = 1; tick <= 3; tick++) {
            scheduler.runDue(); // both ticks are due together; "first" always comes first and takes the only slot
            assertThat(first.calls.get()).isEqualTo(tick);
            assertThat(second.calls.get()).as("second waits in line").isEqualTo(tick - 1);
            scheduler.advance(Duration.ofMillis(200));
            first.pending.get(tick - 1).complete(CheckResult.healthy(Duration.ofMillis(200)));
            assertThat(second.calls.get()).as("the freed slot went to the one waiting").isEqualTo(tick);
            scheduler.advance(Duration.ofMillis(200));
            second.pending.get(tick - 1).complete(CheckResult.healthy(Duration.ofMillis(200)));
            scheduler.advance(Duration.ofMillis(600));
        }

        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isZero();
        assertThat(load.inFlight("controlled")).isOne();
        assertThat(monitors).allSatisfy(m -> assertThat(m.snapshot().state()).isEqualTo(ServiceState.HEALTHY));
    }

    @Test
    void aServiceStillInLineForASlotAtItsNextTickSkipsThatTickAsOverloadAndIsCheckedWhenTheSlotComesFree() {
        CheckLoad load = new CheckLoad(1, scheduler::nanoTime);
        ControlledChecker slow = new ControlledChecker();
        ControlledChecker waiting = new ControlledChecker();
        slow.hang = true;
        monitor("slow", Duration.ofMillis(1500), 3, slow, DIRECT, load).start(Duration.ZERO);
        monitor("waiting", Duration.ofMillis(300), 3, waiting, DIRECT, load).start(Duration.ZERO);
        scheduler.runDue();

        scheduler.advance(Duration.ofMillis(999));
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isZero();
        scheduler.advance(Duration.ofMillis(2));
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).as("its next tick came while it waited").isOne();
        assertThat(waiting.calls.get()).isZero();

        slow.pending.get(0).complete(CheckResult.healthy(Duration.ofMillis(1200)));
        assertThat(waiting.calls.get()).as("checked, late, as soon as the slot came free").isOne();
        assertThat(load.inFlight("controlled")).isZero();
        assertThat(monitors).allSatisfy(m -> assertThat(m.snapshot().state()).isEqualTo(ServiceState.HEALTHY));
    }

    @Test
    void aServiceSkippedForWantOfASlotGetsTheNextFreeOneBeforeTheServiceThatHeldIt() {
        CheckLoad load = new CheckLoad(1, scheduler::nanoTime);
        ControlledChecker hung = new ControlledChecker();
        ControlledChecker other = new ControlledChecker();
        hung.hang = true;
        // timeouts as long as the interval allows: neither could wait for a slot and still end before its next tick
        monitor("hung", Duration.ofMillis(900), 3, hung, DIRECT, load).start(Duration.ZERO);
        monitor("other", Duration.ofMillis(900), 3, other, DIRECT, load).start(Duration.ZERO);

        for (int tick = 1; tick <= 4; tick++) {
            scheduler.runDue(); // "hung" ticks first each time, just as its slot comes free
            scheduler.advance(Duration.ofMillis(990));
            // its target never answers: the check ends at its timeout, freeing the slot just before both next ticks
            hung.pending.forEach(check -> check.complete(CheckResult.unknown(FailureReason.TIMEOUT, "no answer",
                    Duration.ofMillis(900))));
            scheduler.advance(Duration.ofMillis(10));
        }

        // without a claim for the starved, "hung" took the freed slot at every tick and "other" was never checked
        assertThat(other.calls.get()).as("the skipped service is checked at its next tick").isGreaterThanOrEqualTo(2);
        assertThat(hung.calls.get()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aFleetThatABurstPutInLineIsCheckedAsSoonAsTheSlotsComeFreeAndThenAtEveryTick() {
        CheckLoad load = new CheckLoad(10, scheduler::nanoTime);
        ControlledChecker checker = new ControlledChecker();
        checker.hang = true;
        int services = 40;
        for (int i = 0; i < services; i++) {
            // the first ten take the cap and hang; the others wait in line
            Duration timeout = Duration.ofMillis(i < 10 ? 900 : 300 + 5 * i);
            monitor("svc-" + i, timeout, 3, checker, DIRECT, load).start(Duration.ZERO);
            scheduler.advance(Duration.ofMillis(1)); // svc-i ticks at i ms
        }
        scheduler.advance(Duration.ofMillis(700 - services));
        assertThat(checker.calls.get()).as("the burst fills the cap").isEqualTo(10);

        // the load drops: the hung checks answer, and every check answers at once from now on
        checker.hang = false;
        checker.pending.forEach(future -> future.complete(CheckResult.healthy(Duration.ofMillis(1))));
        assertThat(checker.calls.get()).as("those in line checked as soon as the slots came free").isEqualTo(services);
        int caughtUpAt = checker.calls.get();
        scheduler.advance(Duration.ofSeconds(5));

        // before: the ticks that found the cap reached were skipped and owed a slot, only the longest-owed got one
        // at its tick, and 8 of these 200 checks ran
        assertThat(checker.calls.get() - caughtUpAt).as("every service checked at every tick").isEqualTo(5 * services);
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isZero();
        assertThat(load.inFlight("controlled")).isZero();
    }

    @Test
    void underSteadyOverloadEveryFreeSlotIsUsedAndEveryServiceIsCheckedInTurn() {
        // 64 slots, checks that take 500 ms: room for 128 checks a second, asked for by 256 services at 1 s
        CheckLoad load = new CheckLoad(64, scheduler::nanoTime);
        Map<String, AtomicInteger> checksOf = new ConcurrentHashMap<>();
        int services = 256;
        for (int i = 0; i < services; i++) {
            String name = "svc-" + i;
            HealthChecker slow = context -> {
                checksOf.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
                CompletableFuture<CheckResult> answer = new CompletableFuture<>();
                scheduler.schedule(() -> answer.complete(CheckResult.healthy(Duration.ofMillis(500))),
                        Duration.ofMillis(500));
                return answer;
            };
            monitor(name, Duration.ofMillis(850), 3, slow, DIRECT, load).start(Duration.ZERO);
            scheduler.advance(Duration.ofMillis(3)); // svc-i ticks at 3 * i ms
        }
        scheduler.advance(Duration.ofSeconds(5));
        int before = checksOf.values().stream().mapToInt(AtomicInteger::get).sum();
        scheduler.advance(Duration.ofSeconds(20));
        int checks = checksOf.values().stream().mapToInt(AtomicInteger::get).sum() - before;

        // Skipping the ticks that found the cap reached and keeping a free slot for every such service left slots
        // empty (1,988 checks); keeping one for the longest-skipped only, some services were never checked.
        assertThat(checks).as("checks in 20 s, with room for 2,560").isBetween(2_540, 2_560);
        // The line stands (every check waits ~1 s), so every other tick of each service is shed to let it drain;
        // the services whose ticks come as it has drained get more (17 of 25 here), none fewer than one in three.
        assertThat(checksOf.values()).as("every service checked at least every third tick (of 25)")
                .hasSize(services).allSatisfy(count -> assertThat(count.get()).isGreaterThanOrEqualTo(8));
    }

    @Test
    void aLineThatStandsAfterTheTargetStalledIsDrainedAndTheChecksComeBackOnTime() {
        // One target that answers one request at a time, every 25 ms: 40 a second, just what 40 services at 1 s ask.
        // It stalls for 300 ms once they all run: the cap fills, a line forms, and once the target answers again as
        // many checks join the line per second as leave it: without shedding, every check stayed ~300 ms late for
        // good (not late enough to run into its next tick, which would have shed it).
        CheckLoad load = new CheckLoad(4, scheduler::nanoTime);
        long answerEveryNanos = Duration.ofMillis(25).toNanos();
        long stallFrom = scheduler.nanoTime() + Duration.ofSeconds(5).toNanos();
        long stallUntil = stallFrom + Duration.ofMillis(300).toNanos();
        long[] busyUntil = {0};
        List<Long> lateness = new CopyOnWriteArrayList<>();
        int services = 40;
        for (int i = 0; i < services; i++) {
            long phase = scheduler.nanoTime();
            HealthChecker oneAtATime = context -> {
                long now = scheduler.nanoTime();
                lateness.add(Math.floorMod(now - phase, INTERVAL.toNanos()));
                long start = Math.max(now, busyUntil[0]);
                if (start >= stallFrom && start < stallUntil) {
                    start = stallUntil;
                }
                busyUntil[0] = start + answerEveryNanos;
                CompletableFuture<CheckResult> answer = new CompletableFuture<>();
                scheduler.schedule(() -> answer.complete(CheckResult.healthy(Duration.ofMillis(25))),
                        Duration.ofNanos(busyUntil[0] - now));
                return answer;
            };
            monitor("svc-" + i, Duration.ofMillis(900), 3, oneAtATime, DIRECT, load).start(Duration.ZERO);
            scheduler.advance(Duration.ofMillis(25)); // svc-i ticks at 25 * i ms
        }
        scheduler.advance(Duration.ofSeconds(20));
        lateness.clear();
        int skippedBefore = skips(SkippedChecks.Reason.OVERLOAD);
        scheduler.advance(Duration.ofSeconds(5));

        assertThat(lateness).as("every check in the last 5 s, each on time").hasSize(5 * services)
                .allSatisfy(late -> assertThat(late).isLessThan(Duration.ofMillis(50).toNanos()));
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isEqualTo(skippedBefore);
        assertThat(skippedBefore).as("ticks shed while the line stood").isPositive();
    }

    @Test
    void aCheckThatWaitedInLinePastItsNextTickStillGetsItsRetries() {
        CheckLoad load = new CheckLoad(1, scheduler::nanoTime);
        ControlledChecker slow = new ControlledChecker();
        slow.hang = true;
        monitor("slow", Duration.ofMillis(1500), 3, slow, DIRECT, load).start(Duration.ZERO);
        AtomicInteger flakyCalls = new AtomicInteger();
        HealthChecker failsOnce = context -> CompletableFuture.completedFuture(flakyCalls.incrementAndGet() == 1
                ? CheckResult.unhealthy(FailureReason.CONNECT, "refused once", Duration.ofMillis(1))
                : CheckResult.healthy(Duration.ofMillis(1)));
        ServiceDefinition flakyDefinition = ServiceDefinition.builder("flaky").check("controlled", "controlled")
                .interval(INTERVAL).timeout(Duration.ofMillis(300)).failureThreshold(1).retries(1).build();
        ServiceMonitor flaky = monitor(flakyDefinition, failsOnce, load);
        flaky.start(Duration.ZERO);
        scheduler.runDue();

        scheduler.advance(Duration.ofMillis(1200)); // waiting in line past its next tick (1000 ms)
        slow.pending.get(0).complete(CheckResult.healthy(Duration.ofMillis(1200)));
        scheduler.advance(Duration.ofMillis(500)); // the retry's 100 ms delay

        // before: the tick after the one that started the cycle was already past, so no retry ever "fitted" and
        // one refused connection made the service unhealthy
        assertThat(flakyCalls).hasValue(2);
        assertThat(flaky.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
    }

    @Test
    void theDefaultCapLeavesHalfTheFileDescriptorsToEverythingElse() {
        assertThat(CheckLoad.defaultMaxInFlight(1_048_576)).isEqualTo(4096);
        assertThat(CheckLoad.defaultMaxInFlight(8192)).isEqualTo(4096);
        assertThat(CheckLoad.defaultMaxInFlight(1024)).isEqualTo(512);
        assertThat(CheckLoad.defaultMaxInFlight(100)).isEqualTo(64);
        assertThat(CheckLoad.defaultMaxInFlight(-1)).as("unknown").isEqualTo(4096);
    }

    @Test
    void withoutACapEveryTickRuns() {
        CheckLoad load = new CheckLoad(0, scheduler::nanoTime);
        ControlledChecker checker = new ControlledChecker();
        checker.hang = true;
        for (int i = 0; i < 3; i++) {
            monitor("svc-" + i, Duration.ofSeconds(5), 3, checker, DIRECT, load).start(Duration.ZERO);
        }

        scheduler.runDue();

        assertThat(checker.pending).hasSize(3);
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isZero();
    }

    @Test
    void ticksThatComeMoreThanHalfAnIntervalLateAreShedNotRunAsABacklog() {
        ControlledChecker checker = new ControlledChecker();
        monitor("svc", Duration.ofMillis(500), 3, checker, queuedWorkers, new CheckLoad(2, scheduler::nanoTime)).start(Duration.ZERO);
        runWorkers();
        scheduler.runDue();
        runWorkers();
        assertThat(checker.calls.get()).isEqualTo(1);

        // The workers are starved for three intervals: three ticks wait in line, two of them long overdue.
        scheduler.advance(INTERVAL.multipliedBy(3));
        runWorkers();

        assertThat(checker.calls.get()).as("only the tick that is on time runs").isEqualTo(2);
        assertThat(skips(SkippedChecks.Reason.LATE)).isEqualTo(2);
        assertThat(warnings).anySatisfy(line -> assertThat(line).contains("more than half an interval")
                .contains("reason=\"late\""));

        // Once the workers keep up again, every tick runs on time.
        for (int i = 0; i < 3; i++) {
            scheduler.advance(INTERVAL);
            runWorkers();
        }
        assertThat(checker.calls.get()).isEqualTo(5);
        assertThat(skips(SkippedChecks.Reason.LATE)).isEqualTo(2);
    }

    @Test
    void aTimeoutWhoseVerdictReachedAStarvedMonitorLateIsASkippedTickNotAFailure() {
        ControlledChecker checker = new ControlledChecker();
        checker.hang = true;
        CheckLoad load = new CheckLoad(4, scheduler::nanoTime);
        ServiceMonitor monitor = monitor("svc", Duration.ofMillis(300), 1, checker, queuedWorkers, load);
        monitor.start(Duration.ZERO);
        runWorkers();
        scheduler.runDue();
        runWorkers();
        assertThat(checker.pending).hasSize(1);

        // The engine's deadline (300 ms + 100 ms slack) fires on the timer, but its verdict waits for a worker
        // until 900 ms: the monitor learns of the timeout 500 ms after it was due (the tolerance is 250 ms).
        scheduler.advance(Duration.ofMillis(900));
        runWorkers();

        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isEqualTo(1);
        assertThat(monitor.snapshot().state()).as("one failure would make it UNHEALTHY (failureThreshold 1)")
                .isEqualTo(ServiceState.UNKNOWN);
        assertThat(load.inFlight("controlled")).isZero();

        // Recovers by itself: the next tick on time checks again, and its verdict counts.
        checker.hang = false;
        scheduler.advance(Duration.ofMillis(100));
        runWorkers();
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
    }

    @Test
    void aServiceThatHangsIsDeclaredDownAfterAFewExcusedTimeoutsEvenWhileTheEngineStaysStarved() {
        ControlledChecker checker = new ControlledChecker();
        checker.hang = true;
        ServiceMonitor monitor = monitor("svc", Duration.ofMillis(300), 1, checker, queuedWorkers, new CheckLoad(4, scheduler::nanoTime));
        monitor.start(Duration.ZERO);
        runWorkers();
        scheduler.runDue();
        runWorkers();

        for (int tick = 1; tick <= ServiceMonitor.MAX_EXCUSED_IN_A_ROW; tick++) {
            // every verdict reaches the monitor 500 ms after it was due: the engine stays starved
            scheduler.advance(Duration.ofMillis(900));
            runWorkers();
            assertThat(monitor.snapshot().state()).as("after excused timeout %d", tick).isEqualTo(ServiceState.UNKNOWN);
            scheduler.advance(Duration.ofMillis(100)); // the next tick, on time
            runWorkers();
        }
        scheduler.advance(Duration.ofMillis(900));
        runWorkers();

        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isEqualTo(ServiceMonitor.MAX_EXCUSED_IN_A_ROW);
        assertThat(monitor.snapshot().state()).as("the timeout after them counts").isEqualTo(ServiceState.UNHEALTHY);
    }

    @Test
    void aTimeoutOnTimeInAnEngineThatKeepsUpIsStillAFailure() {
        ControlledChecker checker = new ControlledChecker();
        checker.hang = true;
        ServiceMonitor monitor = monitor("svc", Duration.ofMillis(300), 1, checker, DIRECT, new CheckLoad(4, scheduler::nanoTime));
        monitor.start(Duration.ZERO);
        scheduler.runDue();

        scheduler.advance(Duration.ofMillis(900));

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.UNHEALTHY);
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isZero();
    }

    @Test
    void aTimeoutOfACheckerStillBlockedInItsCallIsAFailureEvenWhenItsVerdictCameLate() throws InterruptedException {
        // check() blocks its plugin-call thread (a real one) until the test ends: a plugin that blocks, not starvation.
        CountDownLatch entered = new CountDownLatch(1);
        HealthChecker blocking = context -> {
            entered.countDown();
            awaitUninterruptibly(release);
            return CompletableFuture.completedFuture(CheckResult.healthy(Duration.ZERO));
        };
        ServiceMonitor monitor = monitor("svc", Duration.ofMillis(300), 1, blocking, queuedWorkers,
                task -> new Thread(task).start(), new CheckLoad(4, scheduler::nanoTime), CheckMetrics.NONE);
        monitor.start(Duration.ZERO);
        runWorkers();
        scheduler.runDue();
        runWorkers();
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

        scheduler.advance(Duration.ofMillis(900));
        runWorkers();

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.UNHEALTHY);
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isZero();
    }

    @Test
    void aTimeoutOfACallItsStarvedThreadHadNotEvenStartedIsASkippedTick() {
        // The plugin-call thread never gets to run the call: starved, like the workers.
        Queue<Runnable> neverRun = new ArrayDeque<>();
        ServiceMonitor monitor = monitor("svc", Duration.ofMillis(300), 1, new ControlledChecker(), queuedWorkers,
                neverRun::add, new CheckLoad(4, scheduler::nanoTime), CheckMetrics.NONE);
        monitor.start(Duration.ZERO);
        runWorkers();
        scheduler.runDue();
        runWorkers();

        scheduler.advance(Duration.ofMillis(900));
        runWorkers();

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.UNKNOWN);
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).isEqualTo(1);
    }

    @Test
    void aTimeoutExcusedAsStarvationCountsAfterAllWhenTheCallThenTurnsOutBlockedInTheChecker()
            throws InterruptedException {
        Queue<Runnable> pluginCalls = new ArrayDeque<>();
        CountDownLatch entered = new CountDownLatch(1);
        HealthChecker blocking = context -> {
            entered.countDown();
            awaitUninterruptibly(release);
            return CompletableFuture.completedFuture(CheckResult.healthy(Duration.ZERO));
        };
        ServiceMonitor monitor = monitor("svc", Duration.ofMillis(300), 1, blocking, queuedWorkers, pluginCalls::add,
                new CheckLoad(4, scheduler::nanoTime), CheckMetrics.NONE);
        monitor.start(Duration.ZERO);
        runWorkers();
        scheduler.runDue();
        runWorkers();
        scheduler.advance(Duration.ofMillis(900));
        runWorkers();
        assertThat(skips(SkippedChecks.Reason.OVERLOAD)).as("excused: the call had not even started").isEqualTo(1);

        // The starved thread finally makes the call, and the checker blocks in it.
        new Thread(pluginCalls.poll()).start();
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        scheduler.advance(Duration.ofMillis(100));
        runWorkers();

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.UNHEALTHY);
        assertThat(monitor.snapshot().lastResult()).hasValueSatisfying(result -> assertThat(result.message())
                .contains("still blocked in its call"));
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // keep blocking, as a checker that ignores interrupts does
            }
        }
    }

    @Test
    void noCheckEventIsBuiltWhenNobodyListensToThemButTheMetricsStillCountEveryCheck() {
        List<ServiceEvent> others = new CopyOnWriteArrayList<>();
        bus.subscribeLossless("not-checks", ServiceEvent.class, CheckCompleted.class, others::add);
        List<CheckResult> counted = new CopyOnWriteArrayList<>();
        CheckMetrics metrics = service -> (result, at, finalAttempt) -> counted.add(result);
        ControlledChecker checker = new ControlledChecker();
        ServiceMonitor monitor = monitor("svc", Duration.ofMillis(300), 1, checker, DIRECT, DIRECT, new CheckLoad(0, scheduler::nanoTime),
                metrics);
        monitor.start(Duration.ZERO);

        scheduler.runDue();
        scheduler.advance(INTERVAL);

        assertThat(bus.wants(CheckCompleted.class)).isFalse();
        assertThat(counted).hasSize(2);
        assertThat(others).isNotEmpty().noneMatch(CheckCompleted.class::isInstance);

        List<CheckCompleted> checks = new CopyOnWriteArrayList<>();
        bus.subscribe(CheckCompleted.class, checks::add);
        scheduler.advance(INTERVAL);
        assertThat(bus.wants(CheckCompleted.class)).isTrue();
        assertThat(checks).hasSize(1);
        assertThat(counted).hasSize(3);
    }

    // ---- plumbing ---------------------------------------------------------------------------------

    private ServiceMonitor monitor(String name, Duration timeout, int failureThreshold, HealthChecker checker,
            Executor workers, CheckLoad load) {
        return monitor(name, timeout, failureThreshold, checker, workers, DIRECT, load, CheckMetrics.NONE);
    }

    /** The one place a monitor and its context are built: only what a test varies is a parameter. */
    private ServiceMonitor monitor(String name, Duration timeout, int failureThreshold, HealthChecker checker,
            Executor workers, Executor pluginCalls, CheckLoad load, CheckMetrics metrics) {
        MonitorContext context = new MonitorContext(scheduler.clock(), unusedTimer, workers, pluginCalls, bus,
                new Alerts(bus, scheduler.clock()), null, skippedChecks, Redactor.urlCredentialsOnly(), scheduler,
                new RecoveryPermits(RecoveryPermits.DEFAULT_LIMIT), load, metrics);
        ServiceMonitor monitor = new ServiceMonitor(definition(name, timeout, failureThreshold), checker, null,
                recovery -> CompletableFuture.completedFuture(ActionOutcome.skipped("test")), "notify", false, context);
        monitors.add(monitor);
        return monitor;
    }

    private ServiceMonitor monitor(ServiceDefinition definition, HealthChecker checker, CheckLoad load) {
        MonitorContext context = new MonitorContext(scheduler.clock(), unusedTimer, DIRECT, DIRECT, bus,
                new Alerts(bus, scheduler.clock()), null, skippedChecks, Redactor.urlCredentialsOnly(), scheduler,
                new RecoveryPermits(RecoveryPermits.DEFAULT_LIMIT), load, CheckMetrics.NONE);
        ServiceMonitor monitor = new ServiceMonitor(definition, checker, null,
                recovery -> CompletableFuture.completedFuture(ActionOutcome.skipped("test")), "notify", false, context);
        monitors.add(monitor);
        return monitor;
    }

    private static ServiceDefinition definition(String name, Duration timeout, int failureThreshold) {
        return ServiceDefinition.builder(name).check("controlled", "controlled").interval(INTERVAL).timeout(timeout)
                .failureThreshold(failureThreshold).build();
    }

    private void runWorkers() {
        Runnable task;
        while ((task = workerQueue.poll()) != null) {
            task.run();
        }
    }

    private int skips(SkippedChecks.Reason reason) {
        AtomicInteger count = skipped.get(reason);
        return count == null ? 0 : count.get();
    }

    /** Answers HEALTHY at once, or (while {@link #hang}) returns a stage only the test completes. */
    private static final class ControlledChecker implements HealthChecker {
        final AtomicInteger calls = new AtomicInteger();
        final List<CompletableFuture<CheckResult>> pending = new CopyOnWriteArrayList<>();
        volatile boolean hang;

        @Override
        public CompletableFuture<CheckResult> check(io.aegis.api.CheckContext context) {
            calls.incrementAndGet();
            if (hang) {
                CompletableFuture<CheckResult> future = new CompletableFuture<>();
                pending.add(future);
                return future;
            }
            return CompletableFuture.completedFuture(CheckResult.healthy(Duration.ofMillis(1)));
        }
    }
}
