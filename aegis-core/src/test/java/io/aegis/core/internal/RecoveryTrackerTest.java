package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.core.RecoveryPolicy;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RecoveryTrackerTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final RecoveryPolicy POLICY = RecoveryPolicy.custom()
            .backoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(10))
            .resetAfter(Duration.ofMinutes(10))
            .budget(5, Duration.ofMinutes(10))
            .build();

    private static RecoveryTracker deterministic(RecoveryPolicy policy) {
        return new RecoveryTracker(policy, IntervalFunction.ofExponentialBackoff(policy.backoffInitial(),
                policy.backoffMultiplier(), policy.backoffMax()));
    }

    @Test
    void firstRecoveryRunsAtOnceThenTheDelayDoublesUpToTheCap() {
        RecoveryTracker tracker = deterministic(RecoveryPolicy.from(POLICY).budget(100, Duration.ofMinutes(10)).build());

        long[] delays = new long[7];
        for (int i = 0; i < delays.length; i++) {
            RecoveryTracker.Proceed proceed = (RecoveryTracker.Proceed) tracker.next(T0.plusSeconds(i));
            assertThat(proceed.attempt()).isEqualTo(i + 1);
            delays[i] = proceed.delay().toMillis();
        }

        assertThat(delays).containsExactly(0, 1000, 2000, 4000, 8000, 10000, 10000);
    }

    @Test
    void jitteredDelaysStayWithinTwentyPercentAndTheCap() {
        RecoveryTracker tracker = new RecoveryTracker(RecoveryPolicy.from(POLICY).budget(100, Duration.ofHours(1)).build());
        tracker.next(T0);

        for (int attempt = 2; attempt <= 8; attempt++) {
            long nominal = Math.min(10_000, 1000L << (attempt - 2));
            long delay = ((RecoveryTracker.Proceed) tracker.next(T0)).delay().toMillis();
            assertThat(delay).as("attempt %d", attempt).isBetween((long) (nominal * 0.8), Math.min(10_000, (long) (nominal * 1.2)));
        }
    }

    @Test
    void budgetIsExhaustedAfterMaxRecoveriesWithinTheWindow() {
        RecoveryTracker tracker = deterministic(POLICY);
        for (int i = 0; i < 5; i++) {
            assertThat(tracker.next(T0.plusSeconds(i * 60L))).isInstanceOf(RecoveryTracker.Proceed.class);
        }

        RecoveryTracker.Decision sixth = tracker.next(T0.plusSeconds(5 * 60L));

        assertThat(sixth).isEqualTo(new RecoveryTracker.Exhausted(5, Duration.ofMinutes(10)));
    }

    @Test
    void recoveriesOlderThanTheWindowNoLongerCount() {
        RecoveryTracker tracker = deterministic(POLICY);
        for (int i = 0; i < 5; i++) {
            tracker.next(T0.plusSeconds(i));
        }

        assertThat(tracker.next(T0.plus(Duration.ofMinutes(10)).plusSeconds(1)))
                .isInstanceOf(RecoveryTracker.Proceed.class);
    }

    @Test
    void backoffStartsOverAfterTheServiceStayedHealthyForResetAfter() {
        RecoveryTracker tracker = deterministic(POLICY);
        tracker.next(T0);
        tracker.next(T0.plusSeconds(1));
        tracker.healthy(T0.plusSeconds(2));
        tracker.unhealthy(T0.plusSeconds(2).plus(Duration.ofMinutes(10)));

        RecoveryTracker.Proceed next = (RecoveryTracker.Proceed) tracker.next(T0.plus(Duration.ofMinutes(11)));

        assertThat(next.attempt()).isEqualTo(1);
        assertThat(next.delay()).isZero();
    }

    @Test
    void aShortHealthyPeriodKeepsTheBackoffGoing() {
        RecoveryTracker tracker = deterministic(POLICY);
        tracker.next(T0);
        tracker.healthy(T0.plusSeconds(1));
        tracker.unhealthy(T0.plusSeconds(30));

        RecoveryTracker.Proceed next = (RecoveryTracker.Proceed) tracker.next(T0.plusSeconds(31));

        assertThat(next.attempt()).isEqualTo(2);
        assertThat(next.delay()).isEqualTo(Duration.ofSeconds(1));
    }
}
