package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BlockingChecksTest {
    private final BlockingChecks checks = new BlockingChecks(2, named("check"), named("shared"));
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void close() {
        release.countDown();
        checks.close();
    }

    @Test
    void grantsNoMorePermitsThanTheLimitAndNeverWaits() {
        assertThat(checks.tryAcquire()).isPresent();
        assertThat(checks.tryAcquire()).isPresent();

        assertThat(checks.tryAcquire()).isEmpty();
        assertThat(checks.inUse()).isEqualTo(2);
    }

    @Test
    void aFreedPermitGoesToTheFirstInLineAndNobodyJumpsTheLine() {
        BlockingChecks.Permit first = checks.tryAcquire().orElseThrow();
        BlockingChecks.Permit second = checks.tryAcquire().orElseThrow();
        List<String> granted = new ArrayList<>();
        BlockingChecks.Waiter early = checks.request(permit -> granted.add("early"));
        BlockingChecks.Waiter late = checks.request(permit -> granted.add("late"));

        first.checkEnded();

        assertThat(granted).containsExactly("early");
        assertThat(checks.tryAcquire()).as("a check that did not wait may not jump the line").isEmpty();
        assertThat(early.cancel()).as("too late to leave: it has its permit").isFalse();
        assertThat(late.cancel()).isTrue();
        second.checkEnded();
        assertThat(granted).containsExactly("early");
        assertThat(checks.tryAcquire()).isPresent();
    }

    @Test
    void aPermitComesBackOnlyWhenTheCheckEndedAndItsWorkReturnedItsThread() throws Exception {
        BlockingChecks.Permit permit = checks.tryAcquire().orElseThrow();
        CountDownLatch started = new CountDownLatch(1);
        permit.call(() -> {
            checks.executor().execute(() -> {
                started.countDown();
                awaitQuietly(release);
            });
            return null;
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).as("work of an admitted check starts at once").isTrue();

        permit.checkEnded();
        assertThat(checks.inUse()).as("the work still holds its thread").isEqualTo(1);

        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> checks.inUse() == 0);
    }

    @Test
    void workHandedOverDuringTheCallRunsOnThePermitsThreadsAndOtherWorkOnTheSharedPool() throws Exception {
        AtomicReference<String> admitted = new AtomicReference<>();
        AtomicReference<String> other = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(2);
        BlockingChecks.Permit permit = checks.tryAcquire().orElseThrow();

        permit.call(() -> {
            checks.executor().execute(() -> {
                admitted.set(Thread.currentThread().getName());
                done.countDown();
            });
            return null;
        });
        checks.executor().execute(() -> {
            other.set(Thread.currentThread().getName());
            done.countDown();
        });

        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(admitted.get()).startsWith("check");
        assertThat(other.get()).startsWith("shared");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        java.util.concurrent.ThreadFactory base = Executors.defaultThreadFactory();
        return task -> {
            Thread thread = base.newThread(task);
            thread.setName(prefix + "-" + thread.getName());
            thread.setDaemon(true);
            return thread;
        };
    }
}
