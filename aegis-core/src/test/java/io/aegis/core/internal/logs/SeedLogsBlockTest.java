package io.aegis.core.internal.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.MoreExecutors;
import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.Severity;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.LogMatch;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.config.ConfigLoader;
import io.aegis.core.internal.VirtualScheduler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The seed README's {@code logs:} block, exactly as written there (in the seed configuration this module's tests
 * share), works: its OutOfMemory pattern, {@code (?i)} included, turns the lines the seed meant into a CRITICAL event
 * and alert with its description, and leaves other lines alone.
 */
class SeedLogsBlockTest {

    @Test
    void theSeedsOutOfMemoryPatternMatchesWhatItMeansAndNothingElse() throws IOException {
        String seed;
        try (InputStream in = SeedLogsBlockTest.class.getResourceAsStream("/io/aegis/core/seed-config.yaml")) {
            seed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(seed).contains("""
                logs:
                  enabled: true
                  scan_interval: "1m"
                  files:
                    - service: "example-service"
                      path: "/path/to/example-service.log"
                  patterns:
                    - name: "OutOfMemory"
                      pattern: "(?i)(out of memory|java\\\\.lang\\\\.OutOfMemoryError)"
                      severity: "CRITICAL"
                      description: "Out of memory error detected"
                """);
        LogsConfig logs = ConfigLoader.load(seed, "aegis.yaml", Map.of()).logsConfig();
        VirtualScheduler scheduler = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
        EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
        List<ServiceEvent> events = new CopyOnWriteArrayList<>();
        bus.subscribeLossless("test", ServiceEvent.class, events::add);
        LogAnalyzer analyzer = new LogAnalyzer(new Alerts(bus, scheduler.clock()), bus, scheduler.clock(), scheduler,
                Runnable::run, (service, pattern, cause) -> CompletableFuture.completedFuture(null));
        LogSink[] sink = new LogSink[1];
        analyzer.follow(logs.files().get(0).service(), logs.patterns(), "file", new LogSource() {
            @Override
            public void start(LogSink given) {
                sink[0] = given;
            }

            @Override
            public void close() {
            }
        });
        analyzer.start();

        long number = 0;
        for (String line : List.of("GET /api/users 200 12ms", "Exception in thread \"main\" java.lang.OutOfMemoryError:"
                + " Java heap space", "kernel: Out Of Memory: Killed process 4242 (java)", "java_lang_OutOfMemoryError",
                "memory usage 81%")) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            sink[0].line("/path/to/example-service.log", ++number, bytes, 0, bytes.length, false);
        }

        assertThat(events).filteredOn(LogMatch.class::isInstance).map(LogMatch.class::cast)
                .extracting(LogMatch::lineNumber).containsExactly(2L, 3L);
        assertThat(events).filteredOn(AlertFired.class::isInstance).map(event -> ((AlertFired) event).alert())
                .singleElement().satisfies(alert -> {
                    assertThat(alert.name()).isEqualTo("OutOfMemory");
                    assertThat(alert.serviceName()).isEqualTo("example-service");
                    assertThat(alert.severity()).isEqualTo(Severity.CRITICAL);
                    assertThat(alert.description()).contains("Out of memory error detected");
                });
        analyzer.close();
    }
}
