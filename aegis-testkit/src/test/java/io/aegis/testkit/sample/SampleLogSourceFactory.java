package io.aegis.testkit.sample;

import io.aegis.api.ConfigException;
import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.LogSourceFactory;
import io.aegis.api.LogSourceSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Type {@code sample-file}: a plain log source as an author would write one (one file, looked at every scan interval
 * on a thread of its own), which keeps every rule; and the same source with one {@link Fault} each, to show that the
 * kit catches it and names the rule.
 */
public class SampleLogSourceFactory implements LogSourceFactory {
    /** One deliberate break of the contract. */
    public enum Fault {
        NONE,
        /** Hands over the lines of each look at the file newest first, as a reader that walks back from the end. */
        NEWEST_FIRST,
        /** start() waits on its caller for the file to settle (20 scan intervals) before it returns. */
        BLOCKS_IN_START,
        /** close() stops delivering but forgets to end its reader thread. */
        LEAKS_ITS_THREAD
    }

    private static final AtomicInteger READERS = new AtomicInteger();

    private final Fault fault;

    /** The source that keeps every rule (what ServiceLoader makes). */
    public SampleLogSourceFactory() {
        this(Fault.NONE);
    }

    /** The source with {@code fault}. */
    public SampleLogSourceFactory(Fault fault) {
        this.fault = fault;
    }

    @Override
    public String type() {
        return "sample-file";
    }

    @Override
    public LogSource create(LogSourceSpec spec) {
        String path = spec.settings().string("path").filter(value -> !value.isBlank())
                .orElseThrow(() -> new ConfigException(spec.settings().keyPath("path"), "expected the file to follow"));
        return new SampleLogSource(Path.of(path), spec);
    }

    private final class SampleLogSource implements LogSource {
        private final Path file;
        private final String origin;
        private final LogSourceSpec spec;
        private final ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sample-log-reader-" + READERS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        private LogSink sink; // guarded by this
        private boolean closed; // guarded by this
        private long position = -1; // guarded by this; -1 until the first look
        private long lineNumber; // guarded by this

        SampleLogSource(Path file, LogSourceSpec spec) {
            this.file = file;
            this.origin = file.toString();
            this.spec = spec;
        }

        @Override
        public void start(LogSink to) {
            synchronized (this) {
                sink = to;
            }
            long interval = spec.scanInterval().toMillis();
            reader.scheduleWithFixedDelay(this::scan, 0, interval, TimeUnit.MILLISECONDS);
            if (fault == Fault.BLOCKS_IN_START) {
                try {
                    Thread.sleep(interval * 20); // the fault under test: start() blocks its caller
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Delivers the whole lines written since the last look; holds the lock, so none comes after close(). */
        private synchronized void scan() {
            if (closed) {
                return;
            }
            byte[] bytes;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = channel.size();
                if (position < 0) {
                    position = spec.fromBeginning() ? 0 : size;
                }
                if (size < position) {
                    sink.problem(origin + " shrank from " + position + " to " + size + " bytes: read again from its"
                            + " start");
                    position = 0;
                    lineNumber = 0;
                }
                ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(size - position, 1 << 20));
                while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) > 0) {
                    // read what is there
                }
                bytes = Arrays.copyOf(buffer.array(), buffer.position());
            } catch (NoSuchFileException e) {
                return; // not written yet: the next look finds it
            } catch (IOException e) {
                sink.problem("cannot read " + origin + ": " + e.getMessage());
                return;
            }
            List<int[]> lines = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    int end = i > start && bytes[i - 1] == '\r' ? i - 1 : i;
                    lines.add(new int[] {start, end - start});
                    start = i + 1;
                }
            }
            if (fault == Fault.NEWEST_FIRST) {
                Collections.reverse(lines);
            }
            for (int[] line : lines) {
                int length = Math.min(line[1], spec.maxLineLength());
                sink.line(origin, ++lineNumber, bytes, line[0], length, line[1] > length);
            }
            position += start; // a last line without its terminator waits for it
            if (start > 0) {
                sink.bytesRead(start);
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
            }
            if (fault == Fault.LEAKS_ITS_THREAD) {
                return;
            }
            reader.shutdownNow();
            try {
                reader.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
