package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.core.RetryBackoff;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class RetryDelaysTest {

    @Test
    void theCeilingFollowsTheConfiguredCurveUpToItsMaximum() {
        RetryDelays delays = new RetryDelays(RetryBackoff.of(Duration.ofMillis(100), 2.0, Duration.ofMillis(700)),
                () -> 0.5);

        assertThat(new long[] {delays.ceiling(1).toMillis(), delays.ceiling(2).toMillis(), delays.ceiling(3).toMillis(),
                delays.ceiling(4).toMillis(), delays.ceiling(5).toMillis()})
                .containsExactly(100, 200, 400, 700, 700);
    }

    @Test
    void fullJitterSpansZeroToTheCeiling() {
        RetryBackoff backoff = RetryBackoff.of(Duration.ofMillis(100), 3.0, Duration.ofSeconds(2));

        assertThat(new RetryDelays(backoff, () -> 0.0).after(2)).isZero();
        assertThat(new RetryDelays(backoff, () -> 0.999_999).after(2)).isEqualTo(Duration.ofMillis(300));
        assertThat(new RetryDelays(backoff, () -> 0.5).after(2)).isEqualTo(Duration.ofMillis(150));
    }

    @Test
    void randomDelaysStayWithinTheJitterBounds() {
        RetryBackoff backoff = RetryBackoff.ofDefaults();
        RetryDelays delays = new RetryDelays(backoff, () -> ThreadLocalRandom.current().nextDouble());

        for (int attempt = 1; attempt <= 8; attempt++) {
            long ceiling = Math.min(2000, 100L << (attempt - 1));
            for (int draw = 0; draw < 200; draw++) {
                assertThat(delays.after(attempt).toMillis()).as("attempt %d", attempt).isBetween(0L, ceiling);
            }
        }
    }
}
