package io.aegis.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@link Settings} over a plain map; the engine uses its own implementation that also tracks reads. */
final class MapSettings implements Settings {
    private final String path;
    private final Map<String, ?> values;

    MapSettings(String path, Map<String, ?> values) {
        this.path = path;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public Set<String> keys() {
        return values.keySet();
    }

    @Override
    public Optional<Object> raw(String key) {
        return Optional.ofNullable(values.get(key));
    }

    @Override
    public Optional<Settings> section(String key) {
        return raw(key).map(value -> {
            if (!(value instanceof Map)) {
                throw invalid(key, "expected a mapping", value);
            }
            return new MapSettings(keyPath(key), stringKeys((Map<?, ?>) value));
        });
    }

    @Override
    public List<Settings> sections(String key) {
        Optional<Object> raw = raw(key);
        if (raw.isEmpty()) {
            return List.of();
        }
        if (!(raw.get() instanceof List)) {
            throw invalid(key, "expected a list", raw.get());
        }
        List<?> items = (List<?>) raw.get();
        List<Settings> result = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof Map)) {
                throw invalid(key + "[" + i + "]", "expected a mapping", items.get(i));
            }
            result.add(new MapSettings(keyPath(key) + "[" + i + "]", stringKeys((Map<?, ?>) items.get(i))));
        }
        return List.copyOf(result);
    }

    private static Map<String, Object> stringKeys(Map<?, ?> map) {
        Map<String, Object> result = new LinkedHashMap<>();
        map.forEach((k, v) -> result.put(String.valueOf(k), v));
        return result;
    }

    @Override
    public String toString() {
        return "Settings" + (path.isEmpty() ? "" : "(" + path + ")") + values;
    }
}
