package io.aegis.benchmarks;

import io.aegis.api.LogSink;
import io.aegis.api.LogSourceSpec;
import io.aegis.api.Settings;
import io.aegis.core.internal.logs.FileLogSource;
import io.aegis.core.internal.logs.FileLogSourceFactory;
import io.aegis.core.internal.logs.PatternSet;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Log analysis speed: aegis' file tailer and {@link PatternSet} scanning a generated log with 10 realistic patterns,
 * beside {@code grep -cE} with the same patterns on the same file in the same run (interleaved rounds; the page cache
 * is warm for both), and the CPU the tailer's thread takes while following a file appended at 20 MB/s.
 *
 * <p>Both must count the same matching lines, or the scenario fails. grep runs with {@code LC_ALL=C} (its fastest)
 * and with {@code C.UTF-8}; the patterns are written once for Java and once as POSIX ERE ({@code (?i)} spelled out
 * as {@code [xX]} classes, since ERE has no inline flags).
 */
final class LogsScenario implements Scenario {
    /** name, Java regex, the same as POSIX ERE. */
    static final List<String[]> PATTERNS = List.of(
            new String[] {"OutOfMemory", "(?i)(out of memory|java\\.lang\\.OutOfMemoryError)", null},
            new String[] {"StackTrace", "^[ \\t]+at [A-Za-z0-9_$.]+\\(", "^[ \t]+at [A-Za-z0-9_$.]+\\("},
            new String[] {"Http5xx", "\" 5[0-9][0-9] [0-9]+ ", null},
            new String[] {"ConnectionRefused", "(?i)connection refused", null},
            new String[] {"GoPanic", "^panic: |goroutine [0-9]+ \\[running\\]", null},
            new String[] {"PythonTraceback", "Traceback \\(most recent call last\\)", null},
            new String[] {"Fatal", "\\b(FATAL|CRITICAL)\\b", null},
            new String[] {"TooManyOpenFiles", "(?i)too many open files", null},
            new String[] {"Timeout", "(?i)(timed out|deadline exceeded)", null},
            new String[] {"Crash", "deadlock detected|Segmentation fault|SIGSEGV", null});

    @Override
    public String name() {
        return "logs";
    }

    @Override
    public Result run(Options options) throws Exception {
        long size = options.smoke() ? 2L << 20 : 200L << 20;
        int rounds = options.size(5, 1);
        Path dir = Files.createDirectories(options.workDir().resolve("logs"));
        Path log = dir.resolve("app.log");
        generate(log, size, 42);
        size = Files.size(log);
        PatternSet patterns = patternSet();

        List<Double> aegis = new ArrayList<>();
        List<Double> grepC = new ArrayList<>();
        List<Double> grepUtf8 = new ArrayList<>();
        List<Double> ratioC = new ArrayList<>(); // aegis' speed / grep's, per round: pairs share the machine's load
        List<Double> ratioUtf8 = new ArrayList<>();
        long aegisCount = -1;
        long grepCount = -1;
        long grepUtf8Count = -1;
        boolean grepThere = Procs.which("grep").isPresent();
        // The first rounds warm the page cache and the JIT and are not counted: on a loaded machine C2 takes a while,
        // and one round was not always enough (a run measured C1 code at a quarter of the speed).
        int warmUp = options.size(3, 1);
        for (int round = 1 - warmUp; round <= rounds; round++) {
            long t0 = System.nanoTime();
            long count = scan(log, size, patterns);
            double aegisSeconds = (System.nanoTime() - t0) / 1e9;
            aegisCount = check("aegis", aegisCount, count);
            if (grepThere) {
                t0 = System.nanoTime();
                long c = grep(log, "C");
                double cSeconds = (System.nanoTime() - t0) / 1e9;
                grepCount = check("grep", grepCount, c);
                t0 = System.nanoTime();
                long u = grep(log, "C.UTF-8");
                double uSeconds = (System.nanoTime() - t0) / 1e9;
                grepUtf8Count = check("grep C.UTF-8", grepUtf8Count, u);
                if (round > 0) {
                    grepC.add(size / 1e6 / cSeconds);
                    grepUtf8.add(size / 1e6 / uSeconds);
                    ratioC.add(cSeconds / aegisSeconds);
                    ratioUtf8.add(uSeconds / aegisSeconds);
                }
            }
            if (round > 0) {
                aegis.add(size / 1e6 / aegisSeconds);
            }
        }
        if (grepThere && (aegisCount != grepCount || aegisCount != grepUtf8Count)) {
            throw new IllegalStateException("aegis counted " + aegisCount + " matching lines, grep -cE " + grepCount
                    + " (LC_ALL=C) and " + grepUtf8Count + " (C.UTF-8): the patterns do not mean the same");
        }
        String scenario = "logs " + (size >> 20) + " MB, " + PATTERNS.size() + " patterns";
        Stats scanned = Stats.of(aegis);
        Result result = new Result();
        if (grepThere) {
            Stats c = Stats.of(grepC);
            Stats u = Stats.of(grepUtf8);
            result.row(scenario, "scan MB/s (tailer+patterns)", scanned.summary("MB/s"),
                    Stats.of(ratioC).summary("x") + " vs grep -cE LC_ALL=C (" + c.summary("MB/s") + ")",
                    Stats.of(ratioUtf8).summary("x") + " vs grep -cE C.UTF-8 (" + u.summary("MB/s") + ")");
            result.note("logs: the ratios are aegis' speed over grep's in the same round (median [min-max] of the"
                    + " rounds), each round running aegis, then grep in the C locale, then in C.UTF-8");
        } else {
            result.row(scenario, "scan MB/s (tailer+patterns)", scanned.summary("MB/s"), "grep not installed", "");
        }
        result.note("logs: " + aegisCount + " matching lines of " + lines(log) + ", the same count as grep -cE"
                + (grepThere ? "" : " (not installed: not compared)") + "; patterns: "
                + PATTERNS.stream().map(p -> p[0]).toList());

        Duration window = options.duration(Duration.ofSeconds(5), Duration.ofMillis(500));
        Stats cpu = follow(dir.resolve("followed.log"), 20L << 20, window, options.size(4, 1), patterns);
        result.row("logs follow 20 MB/s append", "CPU % of one core (tailer+patterns)", cpu.summary("%"), "", "");
        return result;
    }

    static PatternSet patternSet() {
        PatternSet.Builder builder = PatternSet.builder();
        for (String[] pattern : PATTERNS) {
            builder.add(pattern[0], pattern[1]);
        }
        return builder.build();
    }

    private static long check(String who, long previous, long count) {
        if (previous >= 0 && previous != count) {
            throw new IllegalStateException(who + " counted " + count + " matching lines, then " + previous);
        }
        return count;
    }

    /** Reads the whole file through a file log source from its beginning; the number of lines any pattern matched. */
    static long scan(Path log, long size, PatternSet patterns) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong read = new AtomicLong();
        long[] matched = new long[1];
        LogSink sink = new LogSink() {
            @Override
            public void line(String origin, long lineNumber, byte[] bytes, int offset, int length, boolean cut) {
                if (patterns.forEachMatch(bytes, offset, length, p -> { }) > 0) {
                    matched[0]++;
                }
            }

            @Override
            public void bytesRead(long count) {
                if (read.addAndGet(count) >= size) {
                    done.countDown();
                }
            }

            @Override
            public void problem(String sentence) {
                System.err.println("logs: " + sentence);
            }
        };
        try (FileLogSourceFactory factory = new FileLogSourceFactory();
                FileLogSource source = factory.create(spec(log, true))) {
            source.start(sink);
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the tailer read " + read.get() + " of " + size + " bytes");
            }
            // bytesRead is told before the lines of that read are handed over: the source's close waits for them
        }
        return matched[0];
    }

    private static LogSourceSpec spec(Path log, boolean fromBeginning) {
        return new LogSourceSpec("bench", Settings.of("logs.files[0]", Map.of("path", log.toString())), fromBeginning,
                64 * 1024, Duration.ofSeconds(1), Optional.empty(), Runnable::run);
    }

    /** CPU of the tailer's threads while another thread appends {@code rate} bytes a second, per window. */
    private static Stats follow(Path log, long rate, Duration window, int windows, PatternSet patterns)
            throws Exception {
        Files.deleteIfExists(log);
        Files.createFile(log);
        AtomicLong read = new AtomicLong();
        AtomicLong matched = new AtomicLong();
        LogSink sink = new LogSink() {
            @Override
            public void line(String origin, long lineNumber, byte[] bytes, int offset, int length, boolean cut) {
                if (patterns.forEachMatch(bytes, offset, length, p -> { }) > 0) {
                    matched.incrementAndGet();
                }
            }

            @Override
            public void bytesRead(long count) {
                read.addAndGet(count);
            }

            @Override
            public void problem(String sentence) {
                System.err.println("logs: " + sentence);
            }
        };
        byte[] chunkSource = chunk(rate / 100);
        List<Double> cpu = new ArrayList<>();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long written = 0;
        try (FileLogSourceFactory factory = new FileLogSourceFactory();
                FileLogSource source = factory.create(spec(log, false));
                OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
            source.start(sink);
            long period = TimeUnit.SECONDS.toNanos(1) / 100;
            long next = System.nanoTime();
            for (int w = 0; w <= windows; w++) {
                long cpu0 = tailerCpu(threads);
                long t0 = System.nanoTime();
                long end = t0 + window.toNanos();
                while (System.nanoTime() < end) {
                    out.write(chunkSource);
                    out.flush();
                    written += chunkSource.length;
                    next += period;
                    long pause = next - System.nanoTime();
                    if (pause > 0) {
                        TimeUnit.NANOSECONDS.sleep(pause); // pacing the writer at 20 MB/s, not waiting for a result
                    }
                }
                long wall = System.nanoTime() - t0;
                if (w > 0) { // window 0 warms up
                    cpu.add(100.0 * (tailerCpu(threads) - cpu0) / wall);
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (read.get() < written && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(10);
            }
            if (read.get() < written) {
                throw new IllegalStateException("the tailer fell behind: " + read.get() + " of " + written + " bytes");
            }
        }
        return Stats.of(cpu);
    }

    private static long tailerCpu(ThreadMXBean threads) {
        long total = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals("aegis-logs") || thread.getName().startsWith("FileSystemWatch")) {
                long nanos = threads.getThreadCpuTime(thread.getId());
                total += Math.max(0, nanos);
            }
        }
        return total;
    }

    private static byte[] chunk(long bytes) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        LogGenerator generator = new LogGenerator(new Random(7));
        while (out.size() < bytes) {
            out.write(generator.next());
        }
        return out.toByteArray();
    }

    private static long grep(Path log, String locale) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("grep", "-cE"));
        for (String[] pattern : PATTERNS) {
            command.add("-e");
            command.add(pattern[2] != null ? pattern[2] : ere(pattern[1]));
        }
        command.add(log.toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("LC_ALL", locale);
        Process process = builder.redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (process.waitFor() > 1) {
            throw new IllegalStateException("grep failed: " + output);
        }
        return Long.parseLong(output);
    }

    /** A Java regex of this scenario as POSIX ERE: {@code (?i)} becomes {@code [xX]} for every letter. */
    static String ere(String regex) {
        if (!regex.startsWith("(?i)")) {
            return regex;
        }
        StringBuilder ere = new StringBuilder();
        boolean inClass = false;
        for (int i = 4; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\') {
                ere.append(c).append(regex.charAt(++i));
            } else if (c == '[') {
                inClass = true;
                ere.append(c);
            } else if (c == ']') {
                inClass = false;
                ere.append(c);
            } else if (!inClass && Character.isLetter(c) && c < 128) {
                ere.append('[').append(Character.toLowerCase(c)).append(Character.toUpperCase(c)).append(']');
            } else {
                ere.append(c);
            }
        }
        return ere.toString();
    }

    private static long lines(Path log) throws IOException {
        long count = 0;
        byte[] buffer = new byte[1 << 16];
        try (var in = Files.newInputStream(log)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    static void generate(Path log, long size, long seed) throws IOException {
        LogGenerator generator = new LogGenerator(new Random(seed));
        long written = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(log), 1 << 16)) {
            while (written < size) {
                byte[] line = generator.next();
                out.write(line);
                written += line.length;
            }
        }
    }

    /** Lines of a busy Java service behind a proxy: application log, access log, the odd error and stack trace. */
    static final class LogGenerator {
        private static final String[] LEVELS = {"INFO ", "INFO ", "INFO ", "DEBUG", "INFO ", "WARN "};
        private static final String[] CLASSES = {"com.example.orders.OrderService", "com.example.cart.CartController",
            "com.example.payments.PaymentClient", "org.hibernate.SQL", "com.zaxxer.hikari.pool.HikariPool",
            "com.example.inventory.StockReservations"};
        private static final String[] PATHS = {"/api/v1/orders/", "/api/v1/cart/", "/static/app.", "/api/v1/users/",
            "/healthz", "/api/v2/search?q=shoes&page="};
        private static final String[] RARE = {
            "ERROR [http-nio-8080-exec-3] com.example.orders.OrderService - Request failed: java.net.ConnectException:"
                + " Connection refused (Connection refused)",
            "ERROR [main] c.e.Application - java.lang.OutOfMemoryError: Java heap space",
            "WARN  [pool-2-thread-1] com.example.payments.PaymentClient - call to payments timed out after 5000 ms",
            "ERROR [worker-7] c.e.files.Uploader - open /data/upload/tmp: too many open files",
            "FATAL [main] c.e.Application - cannot bind 0.0.0.0:8080",
            "ERROR [db] org.postgresql.util.PSQLException: ERROR: deadlock detected",
            "panic: runtime error: index out of range [5] with length 3",
            "Traceback (most recent call last):",
            "WARN  [grpc-default-executor-2] c.e.search.SearchClient - DEADLINE_EXCEEDED: deadline exceeded after"
                + " 1.999s"};
        private final Random random;
        private long sequence;
        private int traceLeft;

        LogGenerator(Random random) {
            this.random = random;
        }

        byte[] next() {
            sequence++;
            String second = String.format("%02d:%02d:%02d.%03d", (sequence / 3_600_000) % 24,
                    (sequence / 60_000) % 60, (sequence / 1000) % 60, sequence % 1000);
            String line;
            if (traceLeft > 0) {
                traceLeft--;
                line = "\tat " + CLASSES[random.nextInt(CLASSES.length)] + ".handle" + random.nextInt(20) + "("
                        + "OrderService.java:" + (20 + random.nextInt(400)) + ")";
            } else {
                int kind = random.nextInt(1000);
                if (kind < 3) {
                    line = "2026-12-01T" + second + "Z " + RARE[random.nextInt(RARE.length)];
                    if (random.nextInt(3) == 0) {
                        traceLeft = 5 + random.nextInt(15);
                    }
                } else if (kind < 400) {
                    int status = random.nextInt(1000) < 5 ? 500 + random.nextInt(4)
                            : random.nextInt(10) == 0 ? 404 : random.nextInt(20) == 0 ? 302 : 200;
                    line = "10.0." + random.nextInt(256) + "." + random.nextInt(256) + " - - [01/Dec/2026:" + second
                            .substring(0, 8) + " +0000] \"" + (random.nextInt(5) == 0 ? "POST" : "GET") + " "
                            + PATHS[random.nextInt(PATHS.length)] + random.nextInt(100_000) + " HTTP/1.1\" " + status
                            + " " + random.nextInt(50_000) + " \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:120.0)"
                            + " Gecko/20100101 Firefox/120.0\" 0." + String.format("%03d", random.nextInt(1000));
                } else {
                    line = "2026-12-01T" + second + "Z " + LEVELS[random.nextInt(LEVELS.length)] + " [http-nio-8080-exec-"
                            + random.nextInt(200) + "] " + CLASSES[random.nextInt(CLASSES.length)] + " - order "
                            + random.nextInt(1_000_000) + " for customer " + random.nextInt(100_000)
                            + " processed in " + random.nextInt(300) + " ms (items=" + random.nextInt(12) + ", total="
                            + random.nextInt(5000) + "." + random.nextInt(100) + " EUR)";
                }
            }
            return (line + "\n").getBytes(StandardCharsets.UTF_8);
        }
    }
}
