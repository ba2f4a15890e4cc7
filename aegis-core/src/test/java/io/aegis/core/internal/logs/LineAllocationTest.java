package io.aegis.core.internal.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.MoreExecutors;
import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.Severity;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.VirtualScheduler;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reading a line allocates nothing (review M4): neither the analyzer (it passed a lambda capturing the line per line)
 * nor the pattern set (it cloned its candidate set per line above 64 patterns). Measured with the JVM's per-thread
 * allocation counter over 100,000 lines, some of which hold a pattern's literal and are decoded and matched.
 */
class LineAllocationTest {
    private static final int LINES = 100_000;
    /** Far below the 3-5 MB that one small object per line over 100,000 lines gives, above the counter's noise. */
    private static final long BOUND_BYTES = 64 * 1024;

    private static final byte[][] TEXT = {
        "2026-01-01T00:00:00Z INFO request served in 12 ms".getBytes(StandardCharsets.UTF_8),
        "2026-01-01T00:00:00Z WARN OutOfMemoryError: x (not a digit, so the regex runs and fails)"
                .getBytes(StandardCharsets.UTF_8),
        "2026-01-01T00:00:00Z DEBUG word7 without its digit".getBytes(StandardCharsets.UTF_8)};

    @Test
    void theAnalyzerAllocatesNothingPerLine() {
        VirtualScheduler scheduler = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
        EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
        LogAnalyzer analyzer = new LogAnalyzer(new Alerts(bus, scheduler.clock()), bus, scheduler.clock(), scheduler,
                Runnable::run, (service, pattern, cause) -> java.util.concurrent.CompletableFuture.completedFuture(null));
        LogSink[] sink = new LogSink[1];
        LogSource source = new LogSource() {
            @Override
            public void start(LogSink s) {
                sink[0] = s;
            }

            @Override
            public void close() {
            }
        };
        analyzer.follow("api", List.of(new LogsConfig.PatternEntry("OutOfMemory", "OutOfMemoryError: \\d",
                Severity.CRITICAL, "Out of memory", 1, Duration.ofMinutes(1), List.of(), LogsConfig.Action.NONE,
                Duration.ofMinutes(5), "logs.patterns[0]")), "file /var/log/api.log", source);
        analyzer.start();
        try {
            Runnable lines = () -> {
                for (int n = 0; n < LINES; n++) {
                    byte[] line = TEXT[n % 2];
                    sink[0].line("/var/log/api.log", n, line, 0, line.length, false);
                }
            };
            lines.run(); // warm up: class loading, the thread's decoding buffer
            assertThat(allocatedBy(lines)).as("bytes allocated over %d lines", LINES).isLessThan(BOUND_BYTES);
        } finally {
            analyzer.close();
        }
    }

    @Test
    void aSetOfMoreThan64PatternsAllocatesNothingPerLine() {
        PatternSet.Builder builder = PatternSet.builder();
        for (int i = 0; i < 70; i++) {
            builder.add("p" + i, "word" + i + "\\d");
        }
        PatternSet set = builder.build();
        int[] matched = new int[1];
        PatternSet.Visitor visitor = (pattern, origin, lineNumber, bytes, offset, length) -> matched[0]++;
        Runnable lines = () -> {
            for (int n = 0; n < LINES; n++) {
                byte[] line = TEXT[n % TEXT.length];
                set.forEachMatch(line, 0, line.length, "/var/log/api.log", n, visitor);
            }
        };
        lines.run();
        assertThat(allocatedBy(lines)).as("bytes allocated over %d lines", LINES).isLessThan(BOUND_BYTES);
        assertThat(matched[0]).as("no line matches").isZero();
    }

    private static long allocatedBy(Runnable work) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        work.run();
        return threads.getThreadAllocatedBytes(id) - before;
    }
}
