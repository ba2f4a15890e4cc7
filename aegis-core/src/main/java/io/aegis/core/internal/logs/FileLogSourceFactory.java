package io.aegis.core.internal.logs;

import io.aegis.api.ConfigException;
import io.aegis.api.LogSourceFactory;
import io.aegis.api.LogSourceSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code file} log source: follows a file, or every file a glob matches, like {@code tail -F}. All sources of one
 * factory (one engine) are read by a single thread, whatever the number of files; {@link #close()} stops it.
 *
 * <p>Settings (a {@code logs.files[]} entry): {@code path}, a file ({@code /var/log/api.log}) or a glob
 * ({@code /var/log/api/*.log}, {@code /var/log/**}{@code /*.log}).
 */
public final class FileLogSourceFactory implements LogSourceFactory {
    /** The type name in {@code logs.files[].type}. */
    public static final String TYPE = "file";

    private final FileTailer tailer;

    /** Creates the factory; it starts no thread before a source is started. */
    public FileLogSourceFactory() {
        this.tailer = new FileTailer();
    }

    /** A factory whose sources keep at most {@code maxOpenFiles} files open at once (tests use a small number). */
    FileLogSourceFactory(int maxOpenFiles) {
        this.tailer = new FileTailer(maxOpenFiles);
    }

    @Override
    public String type() {
        return TYPE;
    }

    /**
     * A source following the {@code path} of {@code spec}'s settings (a file or a glob).
     *
     * @throws ConfigException when {@code path} is missing, blank, or not a valid path or glob
     */
    @Override
    public FileLogSource create(LogSourceSpec spec) {
        String path = spec.settings().requireString("path", "the path of the service's log file (a file or a glob)");
        try {
            return new FileLogSource(tailer, List.of(FileSelector.of(path)), spec);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(spec.settings().keyPath("path"), e.getMessage());
        }
    }

    /**
     * A source following the given files (for example a runtime's {@link io.aegis.api.RuntimeAdapter#logFiles()}),
     * whatever {@code spec}'s settings say; files that do not exist yet are followed from when they appear.
     */
    public FileLogSource following(List<Path> paths, LogSourceSpec spec) {
        return new FileLogSource(tailer, paths.stream().map(FileSelector::of).toList(), spec);
    }

    /** Whether the tailer's thread runs (for tests: it ends when the factory closes). */
    boolean tailerThreadAlive() {
        return tailer.threadAlive();
    }

    /** Whether the tailer watches {@code directory}'s events now (for tests). */
    boolean watching(Path directory) {
        return tailer.watching(directory);
    }

    /** How many followed files are open now (for tests). */
    int openFileCount() {
        return tailer.openFileCount();
    }

    /** Stops the reading thread and closes every source of this factory that is still open. */
    @Override
    public void close() {
        tailer.close();
    }
}
