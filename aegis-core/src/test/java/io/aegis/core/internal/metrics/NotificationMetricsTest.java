package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.core.internal.alerting.delivery.NotificationDelivery.NotifierCounts;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The notification delivery's metrics, per notifier, read at scrape time. */
class NotificationMetricsTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final EngineMetrics metrics = new EngineMetrics(registry, new MutableClock(Instant.EPOCH));

    @Test
    void exportsSentFailedDroppedByReasonAndSpooledPerNotifierAsTheDeliveryCountsThem() throws Exception {
        AtomicReference<List<NotifierCounts>> counts = new AtomicReference<>(List.of(
                new NotifierCounts("pager", 0, 0, 0, 0, 0), new NotifierCounts("log", 0, 0, 0, 0, 0)));
        metrics.notifications(counts::get);

        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry)) {
            assertThat(Scrape.of(server).sampleLines()).as("every series exists at 0 from the start").contains(
                    "aegis_notifications_sent_total{notifier=\"pager\"} 0.0",
                    "aegis_notifications_failed_total{notifier=\"pager\"} 0.0",
                    "aegis_notifications_dropped_total{notifier=\"pager\",reason=\"overflow\"} 0.0",
                    "aegis_notifications_dropped_total{notifier=\"pager\",reason=\"rejected\"} 0.0",
                    "aegis_notifications_spooled{notifier=\"pager\"} 0.0",
                    "aegis_notifications_sent_total{notifier=\"log\"} 0.0");

            counts.set(List.of(new NotifierCounts("pager", 7, 3, 2, 1, 5), new NotifierCounts("log", 9, 0, 0, 0, 0)));

            assertThat(Scrape.of(server).sampleLines()).contains(
                    "aegis_notifications_sent_total{notifier=\"pager\"} 7.0",
                    "aegis_notifications_failed_total{notifier=\"pager\"} 3.0",
                    "aegis_notifications_dropped_total{notifier=\"pager\",reason=\"overflow\"} 2.0",
                    "aegis_notifications_dropped_total{notifier=\"pager\",reason=\"rejected\"} 1.0",
                    "aegis_notifications_spooled{notifier=\"pager\"} 5.0",
                    "aegis_notifications_sent_total{notifier=\"log\"} 9.0");

            metrics.unregister();
            assertThat(Scrape.of(server).sampleLines()).noneMatch(line -> line.startsWith("aegis_notifications"));
        }
    }
}
