package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's deadline timer: fires once, not before its time, never when cancelled (at once, from its bucket, or
 * while it waits for a later turn), across turns of the wheel. Through the seam only (schedule, cancel, close) and on
 * the wall clock: the wheel is Netty's HashedWheelTimer, which reads System.nanoTime itself, so virtual time would
 * need a clock seam in TimerWheel.
 */
class TimerWheelTest {
    private TimerWheel wheel;

    @AfterEach
    void close() {
        if (wheel != null) {
            wheel.close();
        }
    }

    @Test
    void firesATaskOnceItsDelayHasPassed() throws InterruptedException {
        wheel = new TimerWheel("test-wheel");
        CountDownLatch fired = new CountDownLatch(1);
        long start = System.nanoTime();

        wheel.schedule(fired::countDown, TimeUnit.MILLISECONDS.toNanos(50));

        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
    }

    @Test
    void neverFiresACancelledTask() throws InterruptedException {
        wheel = new TimerWheel("test-wheel");
        AtomicBoolean cancelledRan = new AtomicBoolean();
        CountDownLatch later = new CountDownLatch(1);

        wheel.schedule(() -> cancelledRan.set(true), TimeUnit.MILLISECONDS.toNanos(20)).cancel();
        wheel.schedule(later::countDown, TimeUnit.MILLISECONDS.toNanos(80));

        // The wheel fires its ticks in order: once the later task ran, the cancelled one's tick is long past.
        assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(cancelledRan).isFalse();
    }

    @Test
    void aDeadlineBeyondOneTurnOfTheWheelWaitsForItsTurn() throws InterruptedException {
        // 1 ms ticks: one turn of the wheel is 512 ms, so 700 ms lands in the bucket of 188 ms, one round later.
        wheel = new TimerWheel("test-wheel", TimeUnit.MILLISECONDS.toNanos(1));
        CountDownLatch fired = new CountDownLatch(1);
        long start = System.nanoTime();

        wheel.schedule(fired::countDown, TimeUnit.MILLISECONDS.toNanos(700));

        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(700));
    }

    @Test
    void neverFiresATaskCancelledAfterTheWheelPutItInItsBucket() throws InterruptedException {
        // A task cancelled at once never leaves the wheel's queue of new timeouts; this one is cancelled after the
        // wheel has worked that queue off (many ticks passed: the probe fired), so the cancel must reach it in its
        // bucket. The margins (the probe at 50 ms, the cancelled task at 1.5 s) hold on a loaded machine.
        wheel = new TimerWheel("test-wheel");
        AtomicLong cancelledRanAt = new AtomicLong();
        CountDownLatch probe = new CountDownLatch(1);
        CountDownLatch later = new CountDownLatch(1);
        long start = System.nanoTime();
        long deadline = TimeUnit.MILLISECONDS.toNanos(1500);

        Scheduler.Task cancelled = wheel.schedule(() -> cancelledRanAt.set(System.nanoTime()), deadline);
        wheel.schedule(probe::countDown, TimeUnit.MILLISECONDS.toNanos(50));
        wheel.schedule(later::countDown, deadline + TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(probe.await(10, TimeUnit.SECONDS)).isTrue();
        long cancelledAt = System.nanoTime() - start;
        cancelled.cancel();

        assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(cancelledAt).as("cancelled before its deadline").isLessThan(deadline);
        assertThat(cancelledRanAt).as("the cancelled task ran").hasValue(0);
    }

    @Test
    void neverFiresATaskCancelledWhileItWaitsForALaterTurnOfTheWheel() throws InterruptedException {
        // 1 ms ticks, one turn 512 ms: a task due in 1,300 ms sits in the bucket of 276 ms for two more turns. It is
        // cancelled after the wheel passed that bucket once (and kept it there for the next turn).
        wheel = new TimerWheel("test-wheel", TimeUnit.MILLISECONDS.toNanos(1));
        AtomicLong cancelledRanAt = new AtomicLong();
        CountDownLatch probe = new CountDownLatch(1);
        CountDownLatch later = new CountDownLatch(1);
        long start = System.nanoTime();
        long deadline = TimeUnit.MILLISECONDS.toNanos(1300);

        Scheduler.Task cancelled = wheel.schedule(() -> cancelledRanAt.set(System.nanoTime()), deadline);
        wheel.schedule(probe::countDown, TimeUnit.MILLISECONDS.toNanos(400));
        wheel.schedule(later::countDown, deadline + TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(probe.await(10, TimeUnit.SECONDS)).isTrue();
        long cancelledAt = System.nanoTime() - start;
        cancelled.cancel();

        assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(cancelledAt).as("cancelled before its deadline").isLessThan(deadline);
        assertThat(cancelledRanAt).as("the cancelled task ran").hasValue(0);
    }

    @Test
    void refusesTasksOnceClosed() {
        wheel = new TimerWheel("test-wheel");
        wheel.close();

        assertThatThrownBy(() -> wheel.schedule(() -> { }, 1)).isInstanceOf(RejectedExecutionException.class);
    }
}
