package io.aegis.benchmarks.jmh;

import io.aegis.api.ActionOutcome;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryConcluded;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.metrics.EngineMetrics;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@code /metrics} render of the engine's own metrics (no JVM metrics) at fleet size, in-process and
 * without the HTTP server: {@code collect} is the registry's snapshots, {@code text} adds client_java's
 * Prometheus text writer, {@code gzip} adds the fastest-level gzip the server applies once per render.
 * Every service has had checks, one in ten a failure reason and one in a hundred a recovery, so every
 * per-service family is there. {@code -prof gc} gives the allocation per render. {@code checkEvent} is the
 * other side: the metrics' cost of one final check attempt's event, cycling over the services.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main MetricsRenderBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class MetricsRenderBenchmark {
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

    @Param({"10000"})
    public int services;

    private PrometheusRegistry registry;
    private EngineMetrics metrics;
    private CheckCompleted[] checkEvents;
    private int nextEvent;
    private ExpositionFormatWriter text;
    private int lastSize = 1 << 16;

    @Setup
    public void setUp() {
        registry = new PrometheusRegistry();
        metrics = new EngineMetrics(registry, Clock.fixed(AT.plusSeconds(60), java.time.ZoneOffset.UTC));
        for (int i = 0; i < services; i++) {
            String name = String.format("svc-%05d", i);
            metrics.serviceAdded(name);
            metrics.onEvent(new StateChanged(name, AT, ServiceState.STARTING, ServiceState.HEALTHY, "ok"));
            for (int c = 0; c < 5; c++) {
                metrics.onEvent(new CheckCompleted(name, AT.plusSeconds(c),
                        CheckResult.healthy(Duration.ofMillis(1 + c * 7)), 1, true));
            }
            if (i % 10 == 0) {
                metrics.onEvent(new CheckCompleted(name, AT.plusSeconds(6),
                        CheckResult.unhealthy(FailureReason.CONNECT, "refused", Duration.ofMillis(2)), 1, true));
            }
            if (i % 100 == 0) {
                metrics.onEvent(new RecoveryFinished(name, AT, "restart", 1, ActionOutcome.succeeded("ok")));
                metrics.onEvent(new RecoveryConcluded(name, AT, "restart", 1, RecoveryConcluded.Outcome.SUCCEEDED,
                        "healthy"));
            }
        }
        checkEvents = new CheckCompleted[services];
        for (int i = 0; i < services; i++) {
            checkEvents[i] = new CheckCompleted(String.format("svc-%05d", i), AT.plusSeconds(9),
                    CheckResult.healthy(Duration.ofMillis(3)), 1, true);
        }
        text = ExpositionFormats.init().findWriter("text/plain; version=0.0.4");
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void checkEvent() {
        int i = nextEvent;
        nextEvent = i + 1 == checkEvents.length ? 0 : i + 1;
        metrics.onEvent(checkEvents[i]);
    }

    @Benchmark
    public MetricSnapshots collect() {
        return registry.scrape();
    }

    @Benchmark
    public int text() throws IOException {
        return write().size();
    }

    @Benchmark
    public int gzip() throws IOException {
        ByteArrayOutputStream plain = write();
        ByteArrayOutputStream out = new ByteArrayOutputStream(plain.size() / 16);
        try (GZIPOutputStream gzip = new GZIPOutputStream(out, 64 * 1024) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }) {
            plain.writeTo(gzip);
        }
        return out.size();
    }

    private ByteArrayOutputStream write() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(lastSize + lastSize / 8);
        text.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        lastSize = out.size();
        return out;
    }
}
