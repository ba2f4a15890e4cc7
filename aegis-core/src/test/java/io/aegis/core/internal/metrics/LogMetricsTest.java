package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@code aegis_log_*}: read from the analyzer's counters at scrape time, and taken out with the engine's metrics. */
class LogMetricsTest {

    @Test
    void theLogCountersAreServedWithTheirLabelsAndGoneAfterUnregister() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        EngineMetrics metrics = new EngineMetrics(registry, new MutableClock(Instant.parse("2026-01-01T00:00:00Z")));
        AtomicLong lines = new AtomicLong(10);
        metrics.logs(visitor -> {
            visitor.service("api", lines.get(), 1234, 2);
            visitor.pattern("api", "OutOfMemory", "critical", 3);
        });

        String first;
        String second;
        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry)) {
            first = Scrape.of(server).text();
            lines.set(25);
            second = Scrape.of(server).text();
        }

        assertThat(first).contains("aegis_log_lines_total{service=\"api\"} 10.0",
                "aegis_log_bytes_read_total{service=\"api\"} 1234.0", "aegis_log_lines_cut_total{service=\"api\"} 2.0",
                "aegis_log_matches_total{pattern=\"OutOfMemory\",service=\"api\",severity=\"critical\"} 3.0");
        assertThat(second).contains("aegis_log_lines_total{service=\"api\"} 25.0");
        metrics.unregister();
        assertThat(registry.scrape().stream().map(snapshot -> snapshot.getMetadata().getName()))
                .noneMatch(name -> name.startsWith("aegis_log"));
    }
}
