package io.aegis.core.internal.config;

import io.aegis.api.ConfigProblem;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where each key path of a YAML file is: the position of the key and of its value. Built by {@link YamlReader}
 * while it streams the file, because a parsed tree no longer knows its lines.
 *
 * <p>Key paths look like {@code services[0].actions.backoff.initial}; the root is {@code ""}.
 */
public final class SourceLocator {
    /** A 1-based line and column in the file. */
    public record Position(int line, int column) implements Comparable<Position> {
        @Override
        public int compareTo(Position other) {
            return line != other.line ? Integer.compare(line, other.line) : Integer.compare(column, other.column);
        }

        @Override
        public String toString() {
            return line + ":" + column;
        }
    }

    private static final SourceLocator NONE = new SourceLocator();
    private static final Pattern NAMED_INDEX = Pattern.compile("\\[(?![0-9]+])");

    private final Map<String, Position> keys = new HashMap<>();
    private final Map<String, Position> values = new HashMap<>();
    private final Set<String> containers = new HashSet<>();

    SourceLocator() {
    }

    /** A locator that knows no positions, for configurations built in code. */
    public static SourceLocator none() {
        return NONE;
    }

    void keyAt(String path, Position position) {
        keys.put(path, position);
    }

    void valueAt(String path, Position position, boolean container) {
        values.put(path, position);
        if (container) {
            containers.add(path);
        } else {
            containers.remove(path);
        }
    }

    /** The position of the key that ends {@code path}; empty for list items, the root and unknown paths. */
    public Optional<Position> keyPosition(String path) {
        return Optional.ofNullable(keys.get(path));
    }

    /** The position where the value at {@code path} starts. */
    public Optional<Position> valuePosition(String path) {
        return Optional.ofNullable(values.get(path));
    }

    /**
     * Where to point a person for {@code problem}: the key itself for a problem about the key (an unknown or
     * duplicate key) or about a whole block, the value for a problem about a single value; a path that is not in
     * the file (a missing key) falls back to the nearest parent that is (never the whole file); a path of a
     * service built in code ({@code services[api].type}) has no position.
     */
    public Optional<Position> locate(ConfigProblem problem) {
        String path = problem.keyPath();
        if (values.containsKey(path) || keys.containsKey(path)) {
            boolean preferKey = isAboutTheKey(problem) || containers.contains(path);
            Position first = preferKey ? keys.get(path) : values.get(path);
            return Optional.ofNullable(first != null ? first : preferKey ? values.get(path) : keys.get(path));
        }
        if (!isFilePath(path)) {
            return Optional.empty();
        }
        for (String parent = parent(path); parent != null && !parent.isEmpty(); parent = parent(parent)) {
            Position position = keys.containsKey(parent) ? keys.get(parent) : values.get(parent);
            if (position != null) {
                return Optional.of(position);
            }
        }
        return Optional.empty();
    }

    /** Services built in code have paths like {@code services[api]}: a name, not an index, so not in the file. */
    private static boolean isFilePath(String path) {
        return !NAMED_INDEX.matcher(path).find();
    }

    private static boolean isAboutTheKey(ConfigProblem problem) {
        return problem.message().startsWith("unknown key ") || problem.message().startsWith("duplicate key ");
    }

    /** {@code a.b[2]} for {@code a.b[2].c}, {@code a.b} for {@code a.b[2]}, {@code ""} for {@code a}; null for the root. */
    static String parent(String path) {
        if (path.isEmpty()) {
            return null;
        }
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
