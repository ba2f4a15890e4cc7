package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engine's deadline timer: fires once, not before its time, never when cancelled, across turns of the wheel. */
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
    void refusesTasksOnceClosed() {
        wheel = new TimerWheel("test-wheel");
        wheel.close();

        assertThatThrownBy(() -> wheel.schedule(() -> { }, 1)).isInstanceOf(RejectedExecutionException.class);
    }
}
