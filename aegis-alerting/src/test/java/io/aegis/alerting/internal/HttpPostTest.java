package io.aegis.alerting.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HttpPostTest {
    private static final Instant NOW = Instant.parse("2026-11-30T22:00:00Z");

    @Test
    void retryAfterInSeconds() {
        assertThat(HttpPost.retryAfter(Optional.of(" 120 "), NOW)).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void retryAfterAsAnHttpDateIsTheWaitUntilThen() {
        assertThat(HttpPost.retryAfter(Optional.of("Mon, 30 Nov 2026 22:01:00 GMT"), NOW))
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void retryAfterAsAnHttpDateIsInWholeMillisecondsRoundedUp() {
        Instant now = NOW.plusNanos(474_514_762); // the clock is finer than the date's seconds
        assertThat(HttpPost.retryAfter(Optional.of("Mon, 30 Nov 2026 22:00:06 GMT"), now))
                .isEqualTo(Duration.ofMillis(5_526));
    }

    @Test
    void retryAfterAtADateThatHasPassedIsNoWait() {
        assertThat(HttpPost.retryAfter(Optional.of("Mon, 30 Nov 2026 21:00:00 GMT"), NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void malformedOrMissingRetryAfterIsNone() {
        assertThat(HttpPost.retryAfter(Optional.of("soon"), NOW)).isNull();
        assertThat(HttpPost.retryAfter(Optional.of("-5"), NOW)).isNull();
        assertThat(HttpPost.retryAfter(Optional.empty(), NOW)).isNull();
    }

    @Test
    void excerptIsOneLineWithSecretsMaskedAndShortValuesLeftAlone() {
        assertThat(HttpPost.excerpt("denied\r\n\ttoken=abcd1234 retry=1", List.of("abcd1234", "1")))
                .isEqualTo("denied token=*** retry=1");
    }

    @Test
    void signatureMatchesRfc4231TestCase2() {
        assertThat(Signatures.sha256("Jefe", "what do ya want for nothing?".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
