package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class ExpositionRendererTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final AtomicInteger renders = new AtomicInteger();
    private final CountDownLatch firstRenderStarted = new CountDownLatch(1);
    private final CountDownLatch releaseFirstRender = new CountDownLatch(1);

    ExpositionRendererTest() {
        // A collector that counts renders and holds the first one until the test lets it go.
        registry.register(() -> {
            int render = renders.incrementAndGet();
            if (render == 1) {
                firstRenderStarted.countDown();
                try {
                    releaseFirstRender.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return GaugeSnapshot.builder().name("render")
                    .dataPoint(GaugeDataPointSnapshot.builder().value(render).build()).build();
        });
    }

    @Test
    void scrapesThatArriveDuringARenderShareTheNextOne() throws Exception {
        try (ExpositionRenderer renderer = new ExpositionRenderer(registry, "test-render")) {
            CompletableFuture<ExpositionRenderer.Body> first = renderer.render(null, false, null);
            assertThat(firstRenderStarted.await(10, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<ExpositionRenderer.Body>> later = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                later.add(renderer.render(null, i % 2 == 0, null));
            }

            releaseFirstRender.countDown();

            assertThat(text(first.get(10, TimeUnit.SECONDS))).contains("render 1.0");
            for (CompletableFuture<ExpositionRenderer.Body> scrape : later) {
                // Not the render that was running when they came (it may predate their data), the next one.
                assertThat(text(scrape.get(10, TimeUnit.SECONDS))).contains("render 2.0");
            }
            assertThat(renders).as("renders for 11 scrapes").hasValue(2);
        }
    }

    @Test
    void aScrapeAfterARenderEndedGetsANewRender() throws Exception {
        releaseFirstRender.countDown();
        try (ExpositionRenderer renderer = new ExpositionRenderer(registry, "test-render")) {
            assertThat(text(renderer.render(null, false, null).get(10, TimeUnit.SECONDS))).contains("render 1.0");
            assertThat(text(renderer.render(null, true, null).get(10, TimeUnit.SECONDS))).contains("render 2.0");
        }
    }

    private static String text(ExpositionRenderer.Body body) {
        byte[] bytes = java.util.Arrays.copyOf(body.bytes(), body.length());
        if ("gzip".equals(body.contentEncoding())) {
            try (InputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                bytes = gunzip.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
