package io.aegis.alerting.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Severity;
import io.aegis.api.Settings;
import io.aegis.testkit.RecordingLogger;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LogNotifierTest {
    private static final Instant START = Instant.parse("2024-05-01T12:00:00Z");

    private final RecordingLogger logger = new RecordingLogger();
    private final LogNotifier notifier = new LogNotifier(logger);

    @Test
    void logsCriticalFiringAlertAsError() throws Exception {
        deliver(alert(Severity.CRITICAL).build());

        assertThat(logger.lines()).containsExactly(
                "ERROR ALERT firing critical ServiceUnhealthy service=api: api is unhealthy: HTTP 503");
    }

    @Test
    void logsWarningFiringAlertAsWarning() throws Exception {
        deliver(alert(Severity.WARNING).build());

        assertThat(logger.lines()).containsExactly(
                "WARNING ALERT firing warning ServiceUnhealthy service=api: api is unhealthy: HTTP 503");
    }

    @Test
    void logsResolvedAlertAsInfo() throws Exception {
        deliver(alert(Severity.CRITICAL).build().resolve(START.plusSeconds(60)));

        assertThat(logger.lines()).containsExactly(
                "INFO ALERT resolved critical ServiceUnhealthy service=api: api is unhealthy: HTTP 503");
    }

    @Test
    void writesExtraLabelsInNameOrderAfterTheService() throws Exception {
        deliver(alert(Severity.WARNING).label("zone", "eu").label("team", "sre").build());

        assertThat(logger.lines()).containsExactly(
                "WARNING ALERT firing warning ServiceUnhealthy service=api team=sre zone=eu: api is unhealthy: HTTP 503");
    }

    @Test
    void keepsAMultiLineSummaryOnOneLine() throws Exception {
        deliver(alert(Severity.WARNING).summary("first\r\nsecond").build());

        assertThat(logger.lines()).containsExactly(
                "WARNING ALERT firing warning ServiceUnhealthy service=api: first\\r\\nsecond");
    }

    @Test
    void logsEveryAlertOfANotificationInItsOrder() throws Exception {
        Alert api = alert(Severity.CRITICAL).build();
        Alert web = Alert.builder("ServiceUnhealthy", "web").summary("web is unhealthy: timeout").startsAt(START)
                .build().resolve(START.plusSeconds(30));
        Notification notification = new Notification("n-1", "{}:{alertname=\"ServiceUnhealthy\"}",
                Map.of("alertname", "ServiceUnhealthy"), List.of(api, web), false, START.plusSeconds(30));

        notifier.deliver(notification).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(logger.lines()).containsExactly(
                "ERROR ALERT firing critical ServiceUnhealthy service=api: api is unhealthy: HTTP 503",
                "INFO ALERT resolved warning ServiceUnhealthy service=web: web is unhealthy: timeout");
    }

    @Test
    void factoryWritesToThePlatformLoggerNamedIoAegisAlerts() throws Exception {
        Logger julLogger = Logger.getLogger(LogNotifierFactory.LOGGER_NAME);
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        julLogger.addHandler(handler);
        try (LogNotifierFactory factory = new LogNotifierFactory()) {
            factory.create(new NotifierSpec("log", Settings.of("notifications.log", Map.of("enabled", true)),
                    Runnable::run)).deliver(alert(Severity.CRITICAL).build()).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
        } finally {
            julLogger.removeHandler(handler);
        }

        assertThat(records).singleElement().satisfies(record -> {
            assertThat(record.getLevel()).isEqualTo(java.util.logging.Level.SEVERE);
            assertThat(record.getMessage())
                    .isEqualTo("ALERT firing critical ServiceUnhealthy service=api: api is unhealthy: HTTP 503");
        });
    }

    private void deliver(Alert alert) throws Exception {
        notifier.deliver(alert).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private static Alert.Builder alert(Severity severity) {
        return Alert.builder("ServiceUnhealthy", "api").severity(severity).summary("api is unhealthy: HTTP 503")
                .startsAt(START);
    }
}
