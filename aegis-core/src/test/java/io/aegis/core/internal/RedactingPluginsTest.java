package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.aegis.api.Alert;
import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.DeliveryException;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryContext;
import io.aegis.api.RuntimeAdapter;
import java.util.Optional;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RedactingPluginsTest {
    private static final String SECRET = "s3cret-token";
    private final Redactor redactor = Redactor.of(List.of(SECRET));
    private final CheckContext context = new CheckContext(1, Duration.ofSeconds(1));

    @Test
    void redactsWhatACheckerReportsAndStillClosesIt() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        HealthChecker checker = new HealthChecker() {
            @Override
            public CompletionStage<CheckResult> check(CheckContext context) {
                return CompletableFuture.completedFuture(CheckResult.unhealthy(FailureReason.CONNECT,
                        "cannot get http://h/" + SECRET + "?token=abc", Duration.ZERO));
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };

        HealthChecker redacting = RedactingPlugins.wrap(HealthChecker.class, checker, redactor);

        assertThat(redacting.check(context).toCompletableFuture().get().message())
                .isEqualTo("cannot get http://h/***?token=***");
        redacting.close();
        assertThat(closed).isTrue();
    }

    @Test
    void redactsAFailedStageAndAThrownFailure() {
        HealthChecker failing = context -> CompletableFuture.failedFuture(new IllegalStateException("bad " + SECRET));
        HealthChecker throwing = context -> {
            throw new IllegalStateException("worse " + SECRET);
        };

        assertThatThrownBy(() -> RedactingPlugins.wrap(HealthChecker.class, failing, redactor).check(context)
                .toCompletableFuture().get())
                .isInstanceOf(ExecutionException.class).cause().hasMessage("bad ***").hasNoCause();
        assertThatThrownBy(() -> RedactingPlugins.wrap(HealthChecker.class, throwing, redactor).check(context))
                .hasMessage("worse ***");
    }

    @Test
    void cancellingTheStageTheEngineGotCancelsThePluginsStage() {
        CompletableFuture<CheckResult> pluginStage = new CompletableFuture<>();
        HealthChecker hanging = context -> pluginStage;

        RedactingPlugins.wrap(HealthChecker.class, hanging, redactor).check(context).toCompletableFuture()
                .cancel(true);

        assertThat(pluginStage).isCancelled();
    }

    @Test
    void aNotifierReceivesTheAlertRedacted() {
        AtomicReference<Alert> received = new AtomicReference<>();
        Notifier notifier = alert -> {
            received.set(alert);
            return CompletableFuture.completedFuture(null);
        };

        RedactingPlugins.wrap(Notifier.class, notifier, redactor).deliver(Alert.builder("ServiceUnhealthy", "api")
                .summary("api is unhealthy: cannot get http://h/" + SECRET).startsAt(Instant.EPOCH).build());

        assertThat(received.get().summary()).isEqualTo("api is unhealthy: cannot get http://h/***");
    }

    @Test
    void aNotifierReceivesEveryAlertOfANotificationRedactedAnnotationsIncluded() {
        AtomicReference<Notification> received = new AtomicReference<>();
        Notifier notifier = new Notifier() {
            @Override
            public CompletionStage<Void> deliver(Alert alert) {
                throw new AssertionError("the notification is delivered whole");
            }

            @Override
            public CompletionStage<Void> deliver(Notification notification) {
                received.set(notification);
                return CompletableFuture.completedFuture(null);
            }
        };
        Alert alert = Alert.builder("ServiceUnhealthy", "api").summary("cannot get http://h/" + SECRET)
                .description("body: " + SECRET).startsAt(Instant.EPOCH).build();

        RedactingPlugins.wrap(Notifier.class, notifier, redactor)
                .deliver(Notification.of("n-1", alert, Instant.EPOCH));

        assertThat(received.get().alerts()).singleElement().satisfies(delivered -> {
            assertThat(delivered.summary()).isEqualTo("cannot get http://h/***");
            assertThat(delivered.description()).contains("body: ***");
        });
        assertThat(received.get().id()).isEqualTo("n-1");
    }

    @Test
    void aDeliveryFailureHoldingASecretKeepsItsKindAndWait() {
        Notifier notifier = alert -> CompletableFuture.failedFuture(
                DeliveryException.retryLater("hook answered HTTP 429: token " + SECRET, Duration.ofSeconds(30)));

        Throwable failure = catchThrowable(() -> RedactingPlugins.wrap(Notifier.class, notifier, redactor)
                .deliver(Alert.builder("ServiceUnhealthy", "api").startsAt(Instant.EPOCH).build())
                .toCompletableFuture().join());

        assertThat(failure).cause().isInstanceOfSatisfying(DeliveryException.class, delivery -> {
            assertThat(delivery).hasMessage("hook answered HTTP 429: token ***");
            assertThat(delivery.retryable()).isTrue();
            assertThat(delivery.retryAfter()).contains(Duration.ofSeconds(30));
        });
    }

    @Test
    void anAlertARecoveryActionRaisesReachesTheEngineRedacted() {
        AtomicReference<Alert> raised = new AtomicReference<>();
        RecoveryContext engineSide = new RecoveryContext() {
            @Override
            public String serviceName() {
                return "api";
            }

            @Override
            public Optional<RuntimeAdapter> runtime() {
                return Optional.empty();
            }

            @Override
            public Optional<CheckResult> lastResult() {
                return Optional.empty();
            }

            @Override
            public String cause() {
                return "down";
            }

            @Override
            public int attempt() {
                return 1;
            }

            @Override
            public Instant now() {
                return Instant.EPOCH;
            }

            @Override
            public CompletionStage<Void> raiseAlert(Alert alert) {
                raised.set(alert);
                return CompletableFuture.completedFuture(null);
            }
        };
        RecoveryAction action = context -> context.raiseAlert(Alert.builder("Custom", context.serviceName())
                .summary("paging with key " + SECRET).startsAt(context.now()).build())
                .thenApply(ignored -> io.aegis.api.ActionOutcome.succeeded("paged"));

        RedactingPlugins.wrap(RecoveryAction.class, action, redactor).execute(engineSide);

        assertThat(raised.get().summary()).isEqualTo("paging with key ***");
    }

    @Test
    void showsThePluginsOwnTextRedacted() {
        Notifier notifier = new Notifier() {
            @Override
            public CompletionStage<Void> deliver(Alert alert) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public String toString() {
                return "webhook -> http://h/?key=abc";
            }
        };

        assertThat(RedactingPlugins.wrap(Notifier.class, notifier, redactor)).hasToString("webhook -> http://h/?key=***");
    }
}
