package io.aegis.core.internal.logs;

import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.LogSourceSpec;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Follows one service's log files (given files, or the files globs match) and hands every new line to a {@link
 * LogSink}, from the reading thread of its {@link FileTailer} (one thread for all sources of a factory). Created by
 * {@link FileLogSourceFactory}. Its positions are where {@link FileTailer} says; {@link #start(LogSink)} takes them
 * at once, so a line written after it returns is delivered.
 */
public final class FileLogSource implements LogSource {
    private final FileTailer tailer;
    private final List<FileSelector> selectors;
    private final LogSourceSpec spec;
    private final AtomicReference<Object> state = new AtomicReference<>("new");

    FileLogSource(FileTailer tailer, List<FileSelector> selectors, LogSourceSpec spec) {
        this.tailer = Objects.requireNonNull(tailer, "tailer");
        this.selectors = List.copyOf(selectors);
        this.spec = Objects.requireNonNull(spec, "spec");
    }

    /** The files and globs followed, as given (absolute). */
    public List<String> paths() {
        return selectors.stream().map(FileSelector::toString).toList();
    }

    @Override
    public void start(LogSink sink) {
        Objects.requireNonNull(sink, "sink");
        if (!state.compareAndSet("new", "starting")) {
            throw new IllegalStateException("the log source of " + spec.serviceName() + " was started already");
        }
        FileTailer.Follow follow = tailer.follow(selectors, spec, sink);
        if (!state.compareAndSet("starting", follow)) {
            follow.close(); // closed while it started
        }
    }

    @Override
    public void close() {
        Object previous = state.getAndSet("closed");
        if (previous instanceof FileTailer.Follow follow) {
            follow.close();
        }
    }

    @Override
    public String toString() {
        return "file log of " + spec.serviceName() + " " + paths();
    }
}
