package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthStatus;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactorTest {
    private final Redactor redactor = Redactor.of(List.of("s3cret-token", "hunter2!", "on"));

    @Test
    void masksEveryValueFromTheEnvironmentWhereverItAppears() {
        assertThat(redactor.redact("header Bearer s3cret-token, again s3cret-token; pw hunter2!"))
                .isEqualTo("header Bearer ***, again ***; pw ***");
    }

    @Test
    void leavesValuesShorterThanFourCharactersAlone() {
        assertThat(redactor.redact("the check is on")).isEqualTo("the check is on");
    }

    @Test
    void masksASecretThatContainsAnotherWhole() {
        Redactor nested = Redactor.of(List.of("abcd", "abcdefgh"));

        assertThat(nested.redact("x abcdefgh y abcd")).isEqualTo("x *** y ***");
    }

    @Test
    void masksASecretAsItReadsPercentEncodedInAUrl() {
        Redactor encoded = Redactor.of(List.of("p@ss word/1"));

        assertThat(encoded.redact("http://h/a?x=p%40ss+word%2F1 and http://h/p%40ss%20word%2F1"))
                .isEqualTo("http://h/a?x=*** and http://h/***");
    }

    @Test
    void masksUrlCredentialsEvenWithoutAnySecret() {
        assertThat(Redactor.urlCredentialsOnly().redact("cannot get http://u:pw@h/x?access_token=abc: refused"))
                .isEqualTo("cannot get http://u:***@h/x?access_token=***: refused");
    }

    @Test
    void redactsACheckResultKeepingItsStatusReasonAndLatency() {
        CheckResult result = CheckResult.unhealthy(FailureReason.CONNECT, "cannot get http://h/s3cret-token",
                Duration.ofMillis(7));

        CheckResult redacted = redactor.redact(result);

        assertThat(redacted.message()).isEqualTo("cannot get http://h/***");
        assertThat(redacted.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(redacted.failureReason()).contains(FailureReason.CONNECT);
        assertThat(redacted.latency()).isEqualTo(Duration.ofMillis(7));
        CheckResult clean = CheckResult.healthy(Duration.ZERO, "HTTP 200");
        assertThat(redactor.redact(clean)).isSameAs(clean);
    }

    @Test
    void redactsAnActionOutcome() {
        assertThat(redactor.redact(ActionOutcome.failed("restart of app --token=s3cret-token failed")))
                .isEqualTo(ActionOutcome.failed("restart of app --token=*** failed"));
    }

    @Test
    void redactsTheSummaryAndLabelValuesOfAnAlertButNotItsNames() {
        Alert alert = Alert.builder("ServiceUnhealthy", "api").summary("api is unhealthy: hunter2!")
                .label("endpoint", "http://h/?token=abc").startsAt(Instant.EPOCH).build();

        Alert redacted = redactor.redact(alert);

        assertThat(redacted.summary()).isEqualTo("api is unhealthy: ***");
        assertThat(redacted.labels()).isEqualTo(Map.of("endpoint", "http://h/?token=***"));
        assertThat(redacted.name()).isEqualTo("ServiceUnhealthy");
        assertThat(redacted.serviceName()).isEqualTo("api");
    }

    @Test
    void replacesAFailureThatQuotesASecretByOneWithoutTheSecretOrItsCause() {
        IOException failure = new IOException("outer", new IOException("cannot reach http://h/s3cret-token"));

        Throwable redacted = redactor.redact(failure);

        assertThat(redacted).isInstanceOf(Redactor.RedactedException.class).hasNoCause()
                .hasMessage("outer");
        assertThat(redacted.toString()).startsWith("java.io.IOException: ");
        IOException clean = new IOException("Connection refused");
        assertThat(redactor.redact(clean)).isSameAs(clean);
    }
}
