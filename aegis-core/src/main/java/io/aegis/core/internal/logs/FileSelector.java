package io.aegis.core.internal.logs;

import java.nio.file.FileSystems;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.Optional;

/**
 * One file, or a glob, to follow. A glob's base directory is its longest parent without a wildcard; it is listed (to
 * the glob's depth) to find the matching files.
 */
final class FileSelector {
    private final String text;
    private final Path path;
    private final PathMatcher matcher;
    private final int depth;

    private FileSelector(String text, Path path, PathMatcher matcher, int depth) {
        this.text = text;
        this.path = path;
        this.matcher = matcher;
        this.depth = depth;
    }

    static FileSelector of(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        return new FileSelector(absolute.toString(), absolute, null, 0);
    }

    static FileSelector of(String pathOrGlob) {
        if (!isGlob(pathOrGlob)) {
            try {
                return of(Path.of(pathOrGlob));
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("expected a file path or a glob, found \"" + pathOrGlob + "\" ("
                        + e.getReason() + ")");
            }
        }
        Path absolute = Path.of("").toAbsolutePath();
        String glob = Path.of(pathOrGlob.replace('*', 'x').replace('?', 'x')).isAbsolute() ? pathOrGlob
                : absolute + absolute.getFileSystem().getSeparator() + pathOrGlob;
        String separator = absolute.getFileSystem().getSeparator();
        String[] segments = glob.split(java.util.regex.Pattern.quote(separator), -1);
        StringBuilder base = new StringBuilder();
        int firstGlob = 0;
        while (firstGlob < segments.length && !isGlob(segments[firstGlob])) {
            base.append(segments[firstGlob]).append(separator);
            firstGlob++;
        }
        int depth = glob.contains("**") ? Integer.MAX_VALUE : segments.length - firstGlob;
        PathMatcher matcher;
        try {
            matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("expected a file path or a glob, found \"" + pathOrGlob + "\" ("
                    + e.getMessage() + ")");
        }
        return new FileSelector(pathOrGlob, Path.of(base.length() == 0 ? separator : base.toString()).normalize(),
                matcher, depth);
    }

    static boolean isGlob(String text) {
        return text.indexOf('*') >= 0 || text.indexOf('?') >= 0 || text.indexOf('[') >= 0 || text.indexOf('{') >= 0;
    }

    /** The file, or the glob's base directory. */
    Path path() {
        return path;
    }

    /** The glob's matcher; empty for a single file. */
    Optional<PathMatcher> glob() {
        return Optional.ofNullable(matcher);
    }

    /** How many directory levels below {@link #path()} a glob reaches. */
    int depth() {
        return depth;
    }

    @Override
    public String toString() {
        return text;
    }
}
