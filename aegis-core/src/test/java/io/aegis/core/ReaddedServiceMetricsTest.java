package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.core.testing.RecordingRuntimeFactory;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.config.EscapingScheme;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Review S5: a service removed and added again under the same name (what hot reload does with a changed definition)
 * keeps its check metrics, also when it is added before the removal has finished stopping the old workload.
 */
class ReaddedServiceMetricsTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    private static final Pattern ATTEMPTS = Pattern.compile(
            "aegis_health_check_attempts_total\\{result=\"healthy\",service=\"api\"} ([0-9.E]+)");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private Engine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private static ServiceDefinition api(boolean holdStop) {
        return ServiceDefinition.builder("api").check("test-pass", "nowhere").interval(Duration.ofMillis(50))
                .runtime("test-recording", Map.of("holdStop", holdStop)).build();
    }

    @Test
    void aServiceAddedAgainWhileItsRemovalStillStopsTheOldWorkloadKeepsCountingItsChecks() throws Exception {
        engine = Engine.builder().metricsRegistry(registry).service(api(true)).build().start();
        await().atMost(AWAIT).until(() -> attempts() > 0);
        RecordingRuntimeFactory.Calls old = RecordingRuntimeFactory.calls("api");

        CompletableFuture<Void> removed = engine.removeService("api");
        await().atMost(AWAIT).until(() -> old.stops.get() == 1);
        engine.addService(api(false));
        // The removal ends only now, after the new service's monitor bound its metrics.
        old.stopHeld.complete(null);
        removed.get(20, TimeUnit.SECONDS);

        double afterRemoval = attempts();
        assertThat(afterRemoval).as("the re-added service's attempts on /metrics").isGreaterThanOrEqualTo(0);
        await().atMost(AWAIT).untilAsserted(() -> assertThat(attempts()).as("attempts after the removal ended")
                .isGreaterThan(afterRemoval));
    }

    @Test
    void aServiceAddedAgainAfterItsRemovalEndedHasItsSeriesAgain() throws Exception {
        engine = Engine.builder().metricsRegistry(registry).service(api(false)).build().start();
        await().atMost(AWAIT).until(() -> attempts() > 0);

        engine.removeService("api").get(20, TimeUnit.SECONDS);
        assertThat(text()).doesNotContain("service=\"api\"");
        engine.addService(api(false));

        await().atMost(AWAIT).until(() -> attempts() > 0);
    }

    /** The service's healthy check attempts on /metrics, or -1 when the series is missing. */
    private double attempts() {
        Matcher matcher = ATTEMPTS.matcher(text());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
    }

    private String text() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape(),
                    EscapingScheme.ALLOW_UTF8);
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
