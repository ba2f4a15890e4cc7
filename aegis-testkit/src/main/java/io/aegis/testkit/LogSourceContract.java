package io.aegis.testkit;

import io.aegis.api.ConfigException;
import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.LogSourceFactory;
import io.aegis.api.LogSourceSpec;
import io.aegis.api.Settings;
import io.aegis.testkit.internal.Calls;
import io.aegis.testkit.internal.FreshClasses;
import io.aegis.testkit.internal.Leaks;
import io.aegis.testkit.internal.Rules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of {@link LogSource} and {@link LogSourceFactory}, as tests. Extend it and say how to make your factory
 * and how to write lines where your source reads them:
 *
 * <pre>{@code
 * class JournalSourceContractTest extends LogSourceContract {
 *     protected LogSourceFactory factory() { return new JournalSourceFactory(); }
 *
 *     protected Input input(Path dir) {
 *         Path file = dir.resolve("app.log");
 *         return new Input(Settings.of("logs.files[0]", Map.of("path", file.toString())),
 *                 line -> Files.writeString(file, line + "\n", CREATE, APPEND));
 *     }
 * }
 * }</pre>
 *
 * The kit makes each {@link LogSourceSpec} itself (from the beginning, a short scan interval, a state directory of
 * its own, its blocking executor) and records what the source hands its {@link LogSink}.
 */
public abstract class LogSourceContract {
    /** Longest line the kit's specs deliver whole. */
    private static final int MAX_LINE = 64;

    /**
     * Where the source reads: its settings, and how the test writes one line there.
     *
     * @param settings the source's configuration block
     * @param writer   appends one line (given without a terminator) where the source reads
     */
    public record Input(Settings settings, LineWriter writer) {
    }

    /** Appends one line where the source reads. */
    @FunctionalInterface
    public interface LineWriter {
        /**
         * Appends {@code line} and its terminator.
         *
         * @param line the line, without a terminator
         * @throws Exception when it cannot be written
         */
        void append(String line) throws Exception;
    }

    private final Calls calls = new Calls();
    /** Where the inputs and the state directories are made; JUnit deletes it after each test. */
    @TempDir
    Path directory;

    /** {@return a new instance of the factory under test, as {@link ServiceLoader} would make it} */
    protected abstract LogSourceFactory factory();

    /**
     * {@return where a source reads, made in {@code dir}: its settings and a writer}
     *
     * @param dir an empty directory of the test's own
     * @throws Exception when it cannot be prepared
     */
    protected abstract Input input(Path dir) throws Exception;

    /** {@return settings with one mistake each, and the key path the factory's {@link ConfigException} must name} */
    protected List<Misconfiguration<Settings>> misconfigurations() {
        return List.of();
    }

    /** {@return how long {@code start()} may take to return; by default 500 ms} */
    protected Duration callerBudget() {
        return Duration.ofMillis(500);
    }

    /** {@return how long lines may take to arrive, and threads to end after close: 5 s by default} */
    protected Duration patience() {
        return Duration.ofSeconds(5);
    }

    @AfterEach
    void endTheKitsThreads() {
        calls.close();
    }

    @Test
    void typeIsAName() {
        try (LogSourceFactory factory = factory()) {
            Rules.requireName(factory, "type()", factory.type());
        }
    }

    @Test
    void factoryIsRegisteredForServiceLoader() {
        try (LogSourceFactory factory = factory()) {
            Rules.requireRegistered(LogSourceFactory.class, factory);
        }
    }

    @Test
    void linesArriveOnceInOrderAndNoneAfterClose() throws Exception {
        Input input = input(Files.createDirectory(directory.resolve("in-order")));
        Recorder sink = new Recorder();
        input.writer().append("before start 1");
        input.writer().append("before start 2");
        try (LogSourceFactory factory = factory()) {
            LogSource source = factory.create(spec(input.settings(), "in-order"));
            calls.time("start()", () -> {
                source.start(sink);
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }, callerBudget().plus(patience()), ContractRule.RETURNS_WITHOUT_BLOCKING)
                    .requireWithin(callerBudget(), "start()", "");
            input.writer().append("after start 3");
            input.writer().append("x".repeat(MAX_LINE * 2));
            input.writer().append("after start 5");
            List<String> expected = List.of("before start 1", "before start 2", "after start 3", "x".repeat(MAX_LINE),
                    "after start 5");
            List<String> got = sink.awaitLines(expected.size(), patience());
            Rules.check(got.equals(expected), ContractRule.LINES_ONCE_IN_ORDER, "the source delivered " + got
                    + " for the lines " + expected);
            Rules.check(sink.cut().equals(List.of(false, false, false, true, false)), ContractRule.LINES_ONCE_IN_ORDER,
                    "cut flags " + sink.cut() + " for a line of " + (MAX_LINE * 2) + " bytes with maxLineLength "
                            + MAX_LINE);
            source.close();
            int delivered = sink.lines().size();
            input.writer().append("after close");
            Rules.check(!sink.awaitMore(delivered, Duration.ofMillis(300)), ContractRule.LINES_ONCE_IN_ORDER,
                    "a line written after close() returned was delivered: " + sink.lines());
        }
    }

    @Test
    void closeLeavesNoThreadOrProcess() throws Exception {
        FreshClasses.checkTwice(this::factory, LogSourceFactory.class, this::requireNothingLeftAfterClose);
    }

    private void requireNothingLeftAfterClose(Supplier<LogSourceFactory> factories, String how) throws Exception {
        String name = how.isEmpty() ? "close" : "close-afresh";
        Input input = input(Files.createDirectory(directory.resolve(name)));
        Leaks leaks = Leaks.take();
        LogSourceFactory factory = factories.get();
        LogSource source = factory.create(spec(input.settings(), name));
        Recorder sink = new Recorder();
        source.start(sink);
        input.writer().append("one line");
        sink.awaitLines(1, patience());
        calls.close("close() of the source", source, patience());
        calls.close("close() of the factory", factory, patience());
        List<String> remaining = leaks.remainingAfter(patience());
        Rules.check(remaining.isEmpty(), ContractRule.CLOSE_RELEASES_EVERYTHING, "after a line and close() of the"
                + " source and of the factory" + how + ", still there: " + remaining);
    }

    @Test
    void misconfigurationsNameTheirKeys() throws Exception {
        List<Misconfiguration<Settings>> mistakes = misconfigurations();
        Assumptions.assumeFalse(mistakes.isEmpty(), "misconfigurations() gives none");
        Rules.requireRefusals(mistakes, this::factory, (factory, settings) -> factory.create(spec(settings,
                "mistake")), patience());
    }

    private LogSourceSpec spec(Settings settings, String name) {
        return new LogSourceSpec("contract", settings, true, MAX_LINE, Duration.ofMillis(50),
                Optional.of(directory.resolve("state-" + name)), calls.blockingExecutor());
    }

    /** What the source handed its sink. */
    private static final class Recorder implements LogSink {
        private final List<String> lines = new ArrayList<>();
        private final List<Boolean> cut = new ArrayList<>();

        @Override
        public synchronized void line(String origin, long lineNumber, byte[] bytes, int offset, int length,
                boolean wasCut) {
            lines.add(new String(bytes, offset, length, StandardCharsets.UTF_8));
            cut.add(wasCut);
            notifyAll();
        }

        @Override
        public void bytesRead(long count) {
        }

        @Override
        public void problem(String sentence) {
        }

        synchronized List<String> lines() {
            return List.copyOf(lines);
        }

        synchronized List<Boolean> cut() {
            return List.copyOf(cut);
        }

        /** Waits for {@code count} lines (or the patience), then returns all delivered so far. */
        synchronized List<String> awaitLines(int count, Duration patience) throws InterruptedException {
            long deadline = System.nanoTime() + patience.toNanos();
            while (lines.size() < count && deadline - System.nanoTime() > 0) {
                TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
            }
            return List.copyOf(lines);
        }

        /** Whether a line beyond the first {@code count} comes within {@code wait}. */
        synchronized boolean awaitMore(int count, Duration wait) throws InterruptedException {
            long deadline = System.nanoTime() + wait.toNanos();
            while (lines.size() <= count && deadline - System.nanoTime() > 0) {
                TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
            }
            return lines.size() > count;
        }
    }
}
