package io.aegis.core.internal.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.MoreExecutors;
import io.aegis.api.Alert;
import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.Severity;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.LogMatch;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.VirtualScheduler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The log analyzer on virtual time: thresholds ("4 matches in a minute do nothing, the 5th fires"), the alert and its
 * quiet period, events, actions and counters, with sources that hand it lines as the SPI says (bytes, reused array).
 */
class LogAnalyzerTest {
    private final VirtualScheduler scheduler = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
    private final EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private final List<String> actions = new CopyOnWriteArrayList<>();
    private final Alerts alerts = new Alerts(bus, scheduler.clock());
    private final ExecutorService pluginCalls = Executors.newCachedThreadPool();
    private final LogAnalyzer analyzer = new LogAnalyzer(alerts, bus, scheduler.clock(), scheduler, Runnable::run,
            (service, pattern, cause) -> {
                actions.add(service + " " + pattern.action() + " " + cause);
                return CompletableFuture.completedFuture(null);
            });

    LogAnalyzerTest() {
        bus.subscribeLossless("test", ServiceEvent.class, events::add);
    }

    @AfterEach
    void stop() throws InterruptedException {
        analyzer.close();
        pluginCalls.shutdownNow();
        pluginCalls.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void fourMatchesInAMinuteDoNothingTheFifthFires() {
        FakeSource source = follow("api", pattern("OutOfMemory", "OutOfMemoryError", 5, Duration.ofMinutes(1),
                LogsConfig.Action.RESTART));

        for (int i = 0; i < 4; i++) {
            source.line("java.lang.OutOfMemoryError: Java heap space");
            scheduler.advance(Duration.ofSeconds(10));
        }
        assertThat(eventsOf(LogMatch.class)).isEmpty();
        assertThat(eventsOf(AlertFired.class)).isEmpty();
        assertThat(actions).isEmpty();

        source.line("java.lang.OutOfMemoryError: Java heap space");

        assertThat(eventsOf(LogMatch.class)).singleElement().satisfies(match -> {
            assertThat(match.serviceName()).isEqualTo("api");
            assertThat(match.pattern()).isEqualTo("OutOfMemory");
            assertThat(match.severity()).isEqualTo(Severity.CRITICAL);
            assertThat(match.line()).isEqualTo("java.lang.OutOfMemoryError: Java heap space");
            assertThat(match.origin()).isEqualTo("/var/log/api.log");
            assertThat(match.lineNumber()).isEqualTo(5);
            assertThat(match.matches()).isEqualTo(5);
        });
        assertThat(eventsOf(AlertFired.class)).singleElement().satisfies(fired -> {
            Alert alert = fired.alert();
            assertThat(alert.name()).isEqualTo("OutOfMemory");
            assertThat(alert.labelSet()).containsAllEntriesOf(Map.of("alertname", "OutOfMemory", "service", "api",
                    "severity", "critical", "pattern", "OutOfMemory"));
            assertThat(alert.description()).contains("Out of memory error detected");
        });
        assertThat(actions).singleElement().asString().startsWith("api RESTART log pattern OutOfMemory matched in"
                + " /var/log/api.log:5 (5 matches within 1m)");
    }

    @Test
    void matchesSpreadWiderThanTheWindowNeverFire() {
        FakeSource source = follow("api", pattern("OutOfMemory", "OutOfMemoryError", 5, Duration.ofMinutes(1),
                LogsConfig.Action.NONE));

        for (int i = 0; i < 20; i++) {
            source.line("OutOfMemoryError");
            scheduler.advance(Duration.ofSeconds(16)); // 5 matches span 64 s
        }

        assertThat(eventsOf(LogMatch.class)).isEmpty();
    }

    @Test
    void theAlertResolvesAfterResolveAfterWithoutAMatchAndAMatchMeanwhileRestartsTheQuietPeriod() {
        FakeSource source = follow("api", pattern("Panic", "panic:", 1, Duration.ofMinutes(1), LogsConfig.Action.NONE));

        source.line("panic: runtime error: index out of range");
        assertThat(eventsOf(AlertFired.class)).hasSize(1);
        scheduler.advance(Duration.ofMinutes(4));
        source.line("panic: again");
        assertThat(eventsOf(AlertFired.class)).as("the same alert, firing already").hasSize(1);
        scheduler.advance(Duration.ofMinutes(4).plusSeconds(59));
        assertThat(eventsOf(AlertResolved.class)).as("4m59s after the last match").isEmpty();

        scheduler.advance(Duration.ofSeconds(1));

        assertThat(eventsOf(AlertResolved.class)).singleElement().satisfies(resolved -> {
            assertThat(resolved.alert().name()).isEqualTo("Panic");
            assertThat(resolved.alert().endsAt()).contains(Instant.parse("2026-01-01T00:09:00Z"));
        });
        assertThat(eventsOf(LogMatch.class)).hasSize(2);
    }

    @Test
    void countsLinesBytesAndEveryMatchAndOnlyMatchingLinesBecomeEvents() {
        FakeSource source = follow("api", pattern("Refused", "(?i)connection refused", 3, Duration.ofMinutes(1),
                LogsConfig.Action.NONE));

        source.line("GET /health 200");
        source.line("Connection refused: db:5432");
        source.line("\u00ff\u00fe not UTF-8 at all");
        source.cutLine("x".repeat(100));
        source.bytes(100);

        Map<String, Long> counts = new java.util.TreeMap<>();
        analyzer.visitCounts(new LogAnalyzer.CountVisitor() {
            @Override
            public void service(String service, long lines, long bytes, long cut) {
                counts.put(service + " cut", cut);
                counts.put(service + " lines", lines);
                counts.put(service + " bytes", bytes);
            }

            @Override
            public void pattern(String service, String pattern, String severity, long matches) {
                counts.put(service + " " + pattern + " " + severity, matches);
            }
        });
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of("api lines", 4L, "api bytes", 100L, "api cut", 1L,
                "api Refused critical", 1L));
        assertThat(eventsOf(LogMatch.class)).as("under its threshold").isEmpty();
    }

    @Test
    void aFloodOfMatchingLinesHandsOverOneActionAtATimeAndRaisesOneAlert() {
        List<CompletableFuture<Void>> handedOver = new CopyOnWriteArrayList<>();
        LogAnalyzer flooded = new LogAnalyzer(alerts, bus, scheduler.clock(), scheduler, Runnable::run,
                (service, pattern, cause) -> {
                    CompletableFuture<Void> decided = new CompletableFuture<>();
                    handedOver.add(decided);
                    return decided;
                });
        FakeSource source = new FakeSource();
        flooded.follow("api", List.of(pattern("Err", "ERROR", 1, Duration.ofMinutes(1), LogsConfig.Action.RESTART)),
                "file /var/log/api.log", source);
        flooded.start();

        for (int i = 0; i < 5000; i++) {
            source.line("ERROR boom " + i);
        }
        assertThat(handedOver).as("one decision in flight, not one queued per line").hasSize(1);
        handedOver.get(0).complete(null);
        for (int i = 0; i < 5000; i++) {
            source.line("ERROR boom again " + i);
        }

        assertThat(handedOver).as("the next match after the decision is handed over").hasSize(2);
        assertThat(eventsOf(AlertFired.class)).hasSize(1);
        flooded.close();
    }

    @Test
    void aScrapeDuringAFloodNeverShowsMoreMatchesThanLines() {
        FakeSource source = follow("api", pattern("Err", "ERROR", 1, Duration.ofMinutes(1), LogsConfig.Action.NONE));
        source.line("ERROR one");
        Map<String, Long> counts = new java.util.TreeMap<>();

        analyzer.visitCounts(new LogAnalyzer.CountVisitor() {
            @Override
            public void service(String service, long lines, long bytes, long cut) {
                counts.put("lines", lines);
                source.line("ERROR two"); // a line analyzed while the scrape reads the counters
            }

            @Override
            public void pattern(String service, String pattern, String severity, long matches) {
                counts.put("matches", matches);
            }
        });

        assertThat(counts.get("matches")).isLessThanOrEqualTo(counts.get("lines"));
    }

    @Test
    void aLongMatchingLineIsCutToOneKilobyteInTheEvent() {
        FakeSource source = follow("api", pattern("Boom", "boom", 1, Duration.ofMinutes(1), LogsConfig.Action.NONE));

        source.line("boom " + "x".repeat(5000));

        assertThat(eventsOf(LogMatch.class)).singleElement()
                .satisfies(match -> assertThat(match.line()).hasSize(LogMatch.MAX_LINE_BYTES).startsWith("boom x"));
    }

    @Test
    void aSourceThatHangsOrThrowsInStartStallsNeitherTheStartNorTheOtherSources() throws InterruptedException {
        LogAnalyzer threaded = new LogAnalyzer(alerts, bus, scheduler.clock(), scheduler, pluginCalls,
                (service, pattern, cause) -> CompletableFuture.completedFuture(null));
        List<LogsConfig.PatternEntry> patterns = List.of(pattern("Boom", "boom", 1, Duration.ofMinutes(1),
                LogsConfig.Action.NONE));
        CountDownLatch release = new CountDownLatch(1);
        threaded.follow("hangs", patterns, "a hanging source", new LogSource() {
            @Override
            public void start(LogSink sink) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void close() {
            }
        });
        threaded.follow("throws", patterns, "a broken source", new LogSource() {
            @Override
            public void start(LogSink sink) {
                throw new IllegalStateException("broken plugin");
            }

            @Override
            public void close() {
            }
        });
        FakeSource healthy = new FakeSource();
        threaded.follow("api", patterns, "file /var/log/api.log", healthy);

        threaded.start(); // returns although one source never returns from start()

        await().atMost(Duration.ofSeconds(10)).until(() -> healthy.sink != null);
        healthy.line("boom");
        assertThat(eventsOf(LogMatch.class)).singleElement()
                .satisfies(match -> assertThat(match.serviceName()).isEqualTo("api"));
        release.countDown();
        threaded.close();
    }

    @Test
    void nothingIsDeliveredAfterTheServiceIsRemoved() {
        FakeSource source = follow("api", pattern("Boom", "boom", 1, Duration.ofMinutes(1), LogsConfig.Action.NONE));

        assertThat(analyzer.serviceRemoved("api")).containsExactly(source);
        source.line("boom");

        assertThat(eventsOf(LogMatch.class)).isEmpty();
    }

    @Test
    void aLineThatOverflowsTheStackInARegexCountsAsNoMatchAndNeverReachesTheSourcesThread() {
        // java.util.regex recurses per repetition of a group: this overflows the stack on a long line (review H1).
        FakeSource source = follow("api", pattern("StackTrace", "Caused by: (\\w|\\.)+Exception", 1,
                Duration.ofMinutes(1), LogsConfig.Action.NONE));
        String longLine = "Caused by: " + "a.".repeat(32_768) + "Exception";

        source.cutLine(longLine); // threw StackOverflowError into the source's thread, ending it

        source.line("Caused by: java.io.IOException");
        assertThat(eventsOf(LogMatch.class)).singleElement().satisfies(match ->
                assertThat(match.line()).isEqualTo("Caused by: java.io.IOException"));
    }

    @Test
    void afterStopActingMatchesStillCountButAlertAndRestartNothing() {
        FakeSource source = follow("api", pattern("OutOfMemory", "OutOfMemoryError", 1, Duration.ofMinutes(1),
                LogsConfig.Action.RESTART));

        analyzer.stopActing(); // the engine is shutting down and closes its sources next
        source.line("java.lang.OutOfMemoryError: Java heap space");

        assertThat(eventsOf(LogMatch.class)).hasSize(1);
        // What services print while aegis stops them pages nobody (hostile F3: alerts after "shutting down").
        assertThat(eventsOf(AlertFired.class)).isEmpty();
        assertThat(actions).isEmpty();
    }

    private FakeSource follow(String service, LogsConfig.PatternEntry pattern) {
        FakeSource source = new FakeSource();
        analyzer.follow(service, List.of(pattern), "file /var/log/" + service + ".log", source);
        analyzer.start();
        return source;
    }

    private static LogsConfig.PatternEntry pattern(String name, String regex, int count, Duration within,
            LogsConfig.Action action) {
        return new LogsConfig.PatternEntry(name, regex, Severity.CRITICAL, "Out of memory error detected", count, within,
                List.of(), action, Duration.ofMinutes(5), "logs.patterns[0]");
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        List<E> found = new ArrayList<>();
        events.stream().filter(type::isInstance).map(type::cast).forEach(found::add);
        return found;
    }

    /** A source that delivers what the test writes, from a reused array as a real one does. */
    private static final class FakeSource implements LogSource {
        private final byte[] buffer = new byte[8192];
        volatile LogSink sink;
        private long lineNumber;

        @Override
        public void start(LogSink sink) {
            this.sink = sink;
        }

        void line(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1.newEncoder().canEncode(text)
                    && text.chars().anyMatch(c -> c > 0x7f) ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
            java.util.Arrays.fill(buffer, (byte) '#');
            System.arraycopy(bytes, 0, buffer, 3, bytes.length);
            sink.line("/var/log/api.log", ++lineNumber, buffer, 3, bytes.length, false);
        }

        void cutLine(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            sink.line("/var/log/api.log", ++lineNumber, bytes, 0, bytes.length, true);
        }

        void bytes(long count) {
            sink.bytesRead(count);
        }

        @Override
        public void close() {
        }
    }
}
