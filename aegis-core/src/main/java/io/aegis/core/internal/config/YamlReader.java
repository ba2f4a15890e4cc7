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

/**
 * Reads YAML with Jackson's streaming parser into plain values, remembering where every key and value is.
 *
 * <p>Scalars keep the type YAML gives them: an unquoted {@code 5s} is a String, {@code 9090} an Integer,
 * {@code true} a Boolean, a quoted {@code "500"} a String, an empty value null. Anchors, aliases and
 * {@code <<} merge keys are resolved.
 */
final class YamlReader {
    // an empty plain value ("timeout:") is null, i.e. absent; a quoted "" stays an empty String
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();
    private static final String MERGE_KEY = "<<";

    private final SourceLocator locator = new SourceLocator();
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final Map<String, Object> anchors = new HashMap<>();
    private final Map<String, Integer> keyLines = new HashMap<>();

    private YamlReader() {
    }

    /**
     * Reads {@code yaml}.
     *
     * @throws InvalidConfigurationException when the text is not YAML, with the file, line and column and the
     *     parser's complaint in one sentence
     */
    static YamlDocument read(String yaml, String origin) {
        YamlReader reader = new YamlReader();
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
            throw new InvalidConfigurationException(List.of(syntaxError(origin, e)));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading from a String does no I/O
        }
    }

    private Object readValue(YAMLParser parser, String path, JsonToken token) throws IOException {
        String anchor = parser.getObjectId() instanceof String ? (String) parser.getObjectId() : null;
        Object value;
        switch (token) {
            case START_OBJECT:
                locator.valueAt(path, position(parser), true);
                value = readMapping(parser, path);
                break;
            case START_ARRAY:
                locator.valueAt(path, position(parser), true);
                value = readSequence(parser, path);
                break;
            default:
                boolean alias = token == JsonToken.VALUE_STRING && parser.isCurrentAlias();
                value = alias ? resolveAlias(parser.getText(), path) : scalar(parser, token);
                locator.valueAt(path, position(parser), value instanceof Map || value instanceof List);
                break;
        }
        if (anchor != null) {
            anchors.put(anchor, value);
        }
        return value;
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
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
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
    private static String syntaxError(String origin, JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        String where = location != null && location.getLineNr() > 0
                ? origin + ":" + location.getLineNr() + ":" + location.getColumnNr() : origin;
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

    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ").trim();
    }
}
