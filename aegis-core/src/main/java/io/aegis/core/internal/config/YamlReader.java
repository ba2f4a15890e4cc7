package io.aegis.core.internal.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.aegis.api.ConfigProblem;
import io.aegis.core.InvalidConfigurationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads YAML with Jackson's streaming parser into plain values, remembering where every key and value is.
 *
 * <p>Scalars keep the type YAML gives them: an unquoted {@code 5s} is a String, {@code 9090} an Integer,
 * {@code true} a Boolean, a quoted {@code "500"} a String, an empty value null. Booleans are YAML 1.2's: only
 * {@code true} and {@code false} (any case). YAML 1.1 also read {@code yes}, {@code no}, {@code on}, {@code off},
 * {@code y} and {@code n} as booleans, and so does the parser: those stay the text written, so that
 * {@code command: [yes, ...]} runs {@code yes} (it ran {@code true}: found by hand), and a boolean setting written
 * {@code yes} is an error that names its key instead of a silent guess. Anchors, aliases and {@code <<} merge keys are
 * resolved.
 *
 * <p>Limits, so that a hostile or broken file fails at once with a sentence instead of taking minutes and
 * gigabytes: at most {@link #MAX_CODE_POINTS} characters, values nested at most {@link #MAX_DEPTH} levels, and at
 * most {@link #MAX_VALUES} values once aliases are expanded (an alias shares the anchored value instead of
 * copying it, so a "billion laughs" file reads in milliseconds, but everything after the reader walks the
 * expanded tree). SnakeYAML's own {@code LoaderOptions.maxAliasesForCollections} and {@code nestingDepthLimit}
 * do not help here: only its {@code Composer} applies them, and Jackson's streaming parser does not use it.
 */
final class YamlReader {
    /** The longest configuration read, in characters (Unicode code points): 3 MiB, SnakeYAML's default limit. */
    static final int MAX_CODE_POINTS = 3 * 1024 * 1024;
    /** How deep values may be nested, counting aliases expanded; Aegis' own schema needs fewer than 10 levels. */
    static final int MAX_DEPTH = 100;
    /** How many values (scalars, mappings, lists) the file may hold once every alias is expanded. */
    static final int MAX_VALUES = 1_000_000;

    // an empty plain value ("timeout:") is null, i.e. absent; a quoted "" stays an empty String
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .loaderOptions(loaderOptions())
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();
    private static final String MERGE_KEY = "<<";

    private final SourceLocator locator = new SourceLocator();
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final Map<String, Object> anchors = new HashMap<>();
    private final Map<String, Integer> keyLines = new HashMap<>();
    /** Anchor → how many values and how many levels it holds, expanded, to account for each alias of it. */
    private final Map<String, long[]> anchorSizes = new HashMap<>();
    private final String origin;
    private final long maxValues;
    private long values;
    private int depth;
    private int deepest;
    private boolean expandedAliases;

    private YamlReader(String origin, long maxValues) {
        this.origin = origin;
        this.maxValues = maxValues;
    }

    private static LoaderOptions loaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_CODE_POINTS + 1); // read() checks first, with a clearer message
        return options;
    }

    /**
     * Reads {@code yaml}.
     *
     * @throws InvalidConfigurationException when the text is not YAML, with the file, line and column and the
     *     parser's complaint in one sentence
     */
    static YamlDocument read(String yaml, String origin) {
        return read(yaml, origin, MAX_VALUES);
    }

    /** The error for a configuration of {@code characters} characters, past {@link #MAX_CODE_POINTS}. */
    static InvalidConfigurationException tooLarge(String origin, String characters) {
        return new InvalidConfigurationException(List.of(origin + ": the configuration is too large: " + characters
                + " characters, and at most " + MAX_CODE_POINTS + " (3 MiB) are read; share repeated settings"
                + " with an anchor and merge keys (<<: *defaults), or split the services between several aegis"));
    }

    /** {@link #read(String, String)} with another limit of values, for tests. */
    static YamlDocument read(String yaml, String origin, long maxValues) {
        int length = yaml.codePointCount(0, yaml.length());
        if (length > MAX_CODE_POINTS) {
            throw tooLarge(origin, Integer.toString(length));
        }
        YamlReader reader = new YamlReader(origin, maxValues);
        try (YAMLParser parser = (YAMLParser) FACTORY.createParser(yaml)) {
            JsonToken token = parser.nextToken();
            Object root = token == null ? null : reader.readValue(parser, "", token);
            JsonToken extra = parser.nextToken();
            if (extra != null) {
                reader.problems.add(new ConfigProblem("", "expected one YAML document, found another one starting on line "
                        + parser.currentTokenLocation().getLineNr() + "; put everything in one document"));
            }
            return new YamlDocument(root, reader.locator, reader.problems);
        } catch (JsonProcessingException e) {
            throw new InvalidConfigurationException(List.of(syntaxError(origin, yaml, e)));
        } catch (LimitExceeded e) {
            throw new InvalidConfigurationException(List.of(e.getMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading from a String does no I/O
        }
    }

    private Object readValue(YAMLParser parser, String path, JsonToken token) throws IOException {
        String anchor = parser.getObjectId() instanceof String ? (String) parser.getObjectId() : null;
        long valuesBefore = values;
        int deepestOutside = deepest;
        deepest = depth;
        Object value;
        switch (token) {
            case START_OBJECT:
                locator.valueAt(path, position(parser), true);
                count(parser, 1, 1);
                depth++;
                value = readMapping(parser, path);
                depth--;
                break;
            case START_ARRAY:
                locator.valueAt(path, position(parser), true);
                count(parser, 1, 1);
                depth++;
                value = readSequence(parser, path);
                depth--;
                break;
            default:
                boolean alias = token == JsonToken.VALUE_STRING && parser.isCurrentAlias();
                if (alias) {
                    long[] size = anchorSizes.getOrDefault(parser.getText(), new long[] {1, 0});
                    count(parser, size[0], (int) size[1]);
                } else {
                    count(parser, 1, 0);
                }
                value = alias ? resolveAlias(parser.getText(), path) : scalar(parser, token);
                locator.valueAt(path, position(parser), value instanceof Map || value instanceof List);
                break;
        }
        if (anchor != null) {
            anchors.put(anchor, value);
            anchorSizes.put(anchor, new long[] {values - valuesBefore, deepest - depth});
        }
        deepest = Math.max(deepest, deepestOutside);
        return value;
    }

    /**
     * Counts {@code added} values reaching {@code levels} below the current depth (an alias counts as everything
     * it stands for), and stops reading once the file holds more than the limits allow.
     */
    private void count(YAMLParser parser, long added, int levels) throws IOException {
        values += added;
        deepest = Math.max(deepest, depth + levels);
        expandedAliases |= parser.isCurrentAlias();
        if (values > maxValues) {
            String where = origin + ":" + position(parser) + ": not valid as a configuration: ";
            throw new LimitExceeded(expandedAliases
                    ? where + "its aliases expand to more than " + maxValues + " values" + atAlias(parser) + ", the"
                            + " most a configuration may hold; this looks like an alias bomb (\"billion laughs\"): use"
                            + " fewer aliases of large blocks"
                    : where + "it holds more than " + maxValues + " values, the most a configuration may hold");
        }
        if (depth + levels > MAX_DEPTH) {
            throw new LimitExceeded(origin + ":" + position(parser) + ": not valid as a configuration: values are"
                    + " nested more than " + MAX_DEPTH + " levels deep" + atAlias(parser) + ", the most a"
                    + " configuration may nest");
        }
    }

    private static String atAlias(YAMLParser parser) throws IOException {
        return parser.isCurrentAlias() ? " (at alias *" + parser.getText() + ")" : "";
    }

    /** A limit of {@link YamlReader} was reached: the message is the whole line to print. */
    private static final class LimitExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LimitExceeded(String line) {
            super(line, null, false, false);
        }
    }

    private Map<String, Object> readMapping(YAMLParser parser, String path) throws IOException {
        Map<String, Object> map = new LinkedHashMap<>();
        List<Object> merged = new ArrayList<>();
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_OBJECT) {
            if (token != JsonToken.FIELD_NAME) {
                throw new IllegalStateException("expected a key, found " + token);
            }
            String key = parser.currentName();
            String keyPath = path.isEmpty() ? key : path + "." + key;
            SourceLocator.Position keyPosition = position(parser);
            Object value = readValue(parser, keyPath, parser.nextToken());
            if (MERGE_KEY.equals(key)) {
                merged.add(value);
                continue;
            }
            locator.keyAt(keyPath, keyPosition);
            if (map.containsKey(key)) {
                problems.add(new ConfigProblem(keyPath, "duplicate key \"" + key + "\"; it is already set on line "
                        + keyLines.get(keyPath) + " (remove one of them)"));
            }
            keyLines.putIfAbsent(keyPath, keyPosition.line());
            map.put(key, value);
        }
        for (Object source : merged) {
            merge(map, source, path);
        }
        return map;
    }

    private void merge(Map<String, Object> target, Object source, String path) {
        if (source instanceof Map) {
            ((Map<?, ?>) source).forEach((k, v) -> target.putIfAbsent(String.valueOf(k), v));
        } else if (source instanceof List) {
            ((List<?>) source).forEach(item -> merge(target, item, path));
        } else {
            problems.add(new ConfigProblem(path.isEmpty() ? MERGE_KEY : path + "." + MERGE_KEY,
                    "expected an alias of a mapping to merge (<<: *name), found " + io.aegis.api.Settings.describe(source)));
        }
    }

    private List<Object> readSequence(YAMLParser parser, String path) throws IOException {
        List<Object> list = new ArrayList<>();
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            list.add(readValue(parser, path + "[" + list.size() + "]", token));
        }
        return list;
    }

    private Object resolveAlias(String name, String path) {
        if (!anchors.containsKey(name)) {
            problems.add(new ConfigProblem(path, "unknown alias *" + name + "; define it first with &" + name));
            return null;
        }
        return anchors.get(name);
    }

    private static Object scalar(YAMLParser parser, JsonToken token) throws IOException {
        switch (token) {
            case VALUE_STRING:
                return parser.getText();
            case VALUE_NUMBER_INT:
                switch (parser.getNumberType()) {
                    case INT:
                        return parser.getIntValue();
                    case LONG:
                        return parser.getLongValue();
                    default:
                        return parser.getBigIntegerValue();
                }
            case VALUE_NUMBER_FLOAT:
                return parser.getDoubleValue();
            case VALUE_TRUE:
            case VALUE_FALSE:
                String text = parser.getText();
                return text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")
                        ? Boolean.valueOf(token == JsonToken.VALUE_TRUE) : text;
            case VALUE_NULL:
                return null;
            default:
                return parser.getEmbeddedObject() != null ? parser.getEmbeddedObject() : parser.getText();
        }
    }

    private static SourceLocator.Position position(JsonParser parser) {
        JsonLocation location = parser.currentTokenLocation();
        return new SourceLocator.Position(location.getLineNr(), location.getColumnNr());
    }

    /** {@code aegis.yaml:2:4: not valid YAML: mapping values are not allowed here (while parsing a block mapping)}. */
    private static String syntaxError(String origin, String yaml, JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        String where = location != null && location.getLineNr() > 0
                ? origin + ":" + location.getLineNr() + ":" + location.getColumnNr() : origin;
        String message = String.valueOf(e.getMessage());
        if (message.contains("(TAB)") || message.contains("tab character")) {
            // SnakeYAML points at the end of the token before the tab, often the line above: find the tab itself
            SourceLocator.Position tab = indentingTab(yaml, location != null ? location.getLineNr() : 1);
            if (tab != null) {
                return origin + ":" + tab + ": not valid YAML: found a tab in the indentation; tabs cannot indent"
                        + " YAML; use spaces";
            }
        }
        String problem = null;
        String context = null;
        for (Throwable cause = e; cause != null && problem == null; cause = cause.getCause()) {
            if (cause instanceof org.yaml.snakeyaml.error.MarkedYAMLException) {
                problem = ((org.yaml.snakeyaml.error.MarkedYAMLException) cause).getProblem();
                context = ((org.yaml.snakeyaml.error.MarkedYAMLException) cause).getContext();
            }
        }
        if (problem == null) {
            String original = e instanceof StreamReadException ? e.getOriginalMessage() : e.getMessage();
            problem = original == null ? e.getClass().getSimpleName() : original.lines().findFirst().orElse(original);
        }
        String sentence = oneLine(problem) + (context == null || context.isBlank() ? "" : " (" + oneLine(context) + ")");
        return where + ": not valid YAML: " + sentence;
    }

    /**
     * The first tab in the indentation of a line, from line {@code fromLine} on (else from the top); null when no
     * line is indented with a tab.
     */
    private static SourceLocator.Position indentingTab(String yaml, int fromLine) {
        List<String> lines = yaml.lines().toList();
        for (int pass = 0; pass < 2; pass++) {
            for (int i = pass == 0 ? Math.max(0, fromLine - 1) : 0; i < lines.size(); i++) {
                String line = lines.get(i);
                for (int column = 0; column < line.length() && (line.charAt(column) == ' ' || line.charAt(column) == '\t');
                        column++) {
                    if (line.charAt(column) == '\t') {
                        return new SourceLocator.Position(i + 1, column + 1);
                    }
                }
            }
        }
        return null;
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ").trim();
    }
}
