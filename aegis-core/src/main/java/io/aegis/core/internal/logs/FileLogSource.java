package io.aegis.core.internal.logs;

import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.LogSourceSpec;
import java.util.List;
import java.util.Objects;

/**
 * Follows one service's log files (given files, or the files globs match) and hands every new line to a {@link
 * LogSink}, from the reading thread of its {@link FileTailer}. Created by {@link FileLogSourceFactory}.
 */
public final class FileLogSource implements LogSource {
    private final FileTailer tailer;
    private final List<FileSelector> selectors;
    private final LogSourceSpec spec;
    private FileTailer.Follow follow;

    FileLogSource(FileTailer tailer, List<FileSelector> selectors, LogSourceSpec spec) {
        this.tailer = Objects.requireNonNull(tailer, "tailer");
        this.selectors = List.copyOf(selectors);
        this.spec = Objects.requireNonNull(spec, "spec");
    }

    /** The files and globs followed, as given. */
    public List<String> paths() {
        return selectors.stream().map(FileSelector::toString).toList();
    }

    @Override
    public synchronized void start(LogSink sink) {
        if (follow != null) {
            throw new IllegalStateException("the log source of " + spec.serviceName() + " was started already");
        }
        follow = tailer.follow(selectors, spec, Objects.requireNonNull(sink, "sink"));
    }

    @Override
    public synchronized void close() {
        if (follow != null) {
            follow.close();
        }
    }
}
