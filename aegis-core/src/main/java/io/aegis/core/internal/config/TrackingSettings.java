package io.aegis.core.internal.config;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * {@link Settings} over a block of a configuration file that remembers which keys were asked for, so that keys
 * nobody asked for can be reported as unknown, with a "did you mean" taken from the keys that were asked for.
 *
 * <p>A key counts as known once it is requested through {@link #raw}, {@link #section} or {@link #sections}
 * (and so through every typed accessor), whether or not it is present. A value read through {@code raw} is
 * taken as a whole (a {@code headers:} map read with {@link #stringMap}); only blocks handed out by
 * {@code section}/{@code sections} are checked key by key. The same child object is handed out for the same key
 * every time, so what the loader and the plugins read adds up.
 *
 * <p>Thread-safe: plugins may read from any thread.
 */
public final class TrackingSettings implements Settings {
    private final String path;
    private final Map<String, Object> values;
    private final Set<String> requested = Collections.synchronizedSet(new LinkedHashSet<>());
    private final Map<String, TrackingSettings> sections = new ConcurrentHashMap<>();
    private final Map<String, List<TrackingSettings>> sectionLists = new ConcurrentHashMap<>();
    private final Set<String> freeFormKeys = ConcurrentHashMap.newKeySet();
    private volatile boolean freeForm;

    /** Tracks reads of {@code values} (as YAML gives them), a block at key path {@code path}. */
    public TrackingSettings(String path, Map<?, ?> values) {
        this.path = path;
        Map<String, Object> copy = new LinkedHashMap<>();
        values.forEach((key, value) -> copy.put(String.valueOf(key), value));
        this.values = Collections.unmodifiableMap(copy);
    }

    @Override
    public String path() {
        return path;
    }

    /** The values as YAML gave them (after substitution), without counting any key as read: for comparing blocks. */
    public Map<String, Object> values() {
        return values;
    }

    @Override
    public Set<String> keys() {
        return values.keySet();
    }

    @Override
    public Optional<Object> raw(String key) {
        requested.add(key);
        return Optional.ofNullable(values.get(key));
    }

    /** Reads the map as a whole; keys inside it are never reported as unknown. */
    @Override
    public Map<String, String> stringMap(String key) {
        freeFormKeys.add(key);
        TrackingSettings section = sections.get(key);
        if (section != null) {
            section.allowAnyKeys();
        }
        return Settings.super.stringMap(key);
    }

    @Override
    public Optional<Settings> section(String key) {
        return trackedSection(key).map(section -> section);
    }

    /** Like {@link #section} but typed, for the loader and the engine. */
    public Optional<TrackingSettings> trackedSection(String key) {
        Optional<Object> raw = raw(key);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        if (!(raw.get() instanceof Map)) {
            throw invalid(key, "expected a mapping", raw.get());
        }
        return Optional.of(sections.computeIfAbsent(key, k -> {
            TrackingSettings child = new TrackingSettings(keyPath(k), (Map<?, ?>) raw.get());
            if (freeForm || freeFormKeys.contains(k)) {
                child.allowAnyKeys();
            }
            return child;
        }));
    }

    @Override
    public List<Settings> sections(String key) {
        List<ConfigProblem> problems = new ArrayList<>();
        List<TrackingSettings> result = trackedSections(key, problems::add);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems.subList(0, 1));
        }
        return List.copyOf(result);
    }

    /**
     * The list of blocks under {@code key}, leniently: an item that is not a mapping is reported to
     * {@code problems} and left out (the others keep their index in their key path). Empty when absent.
     */
    public List<TrackingSettings> trackedSections(String key, Consumer<ConfigProblem> problems) {
        Optional<Object> raw = raw(key);
        if (raw.isEmpty()) {
            return List.of();
        }
        if (!(raw.get() instanceof List)) {
            problems.accept(invalid(key, "expected a list", raw.get()).problems().get(0));
            return List.of();
        }
        List<?> items = (List<?>) raw.get();
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof Map)) {
                problems.accept(invalid(key + "[" + i + "]", "expected a mapping", items.get(i)).problems().get(0));
            }
        }
        return sectionLists.computeIfAbsent(key, k -> {
            List<TrackingSettings> children = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i) instanceof Map) {
                    TrackingSettings child = new TrackingSettings(keyPath(k) + "[" + i + "]", (Map<?, ?>) items.get(i));
                    if (freeForm) {
                        child.allowAnyKeys();
                    }
                    children.add(child);
                }
            }
            return List.copyOf(children);
        });
    }

    /** Accepts every key of this block and of the blocks below it: a free-form map such as {@code metadata}. */
    public void allowAnyKeys() {
        freeForm = true;
        sections.values().forEach(TrackingSettings::allowAnyKeys);
        sectionLists.values().forEach(list -> list.forEach(TrackingSettings::allowAnyKeys));
    }

    /** Accepts every key inside the block under {@code key} (but {@code key} itself must still be read). */
    public void allowAnyKeysIn(String key) {
        freeFormKeys.add(key);
        TrackingSettings section = sections.get(key);
        if (section != null) {
            section.allowAnyKeys();
        }
    }

    /** The keys asked for so far, present or not, in the order they were first asked for. */
    public Set<String> requestedKeys() {
        synchronized (requested) {
            return Collections.unmodifiableSet(new LinkedHashSet<>(requested));
        }
    }

    /**
     * Every key present in this block or in a block handed out below it that nobody asked for, as a problem
     * such as {@code unknown key "intervall"; did you mean "interval"?}. Call it after every reader (the loader,
     * the plugins) has read its keys.
     */
    public List<ConfigProblem> unknownKeys() {
        List<ConfigProblem> problems = new ArrayList<>();
        collectUnknownKeys(problems, true);
        return problems;
    }

    /** Like {@link #unknownKeys()} for this block only, not the blocks below it. */
    public List<ConfigProblem> unknownKeysHere() {
        List<ConfigProblem> problems = new ArrayList<>();
        collectUnknownKeys(problems, false);
        return problems;
    }

    private void collectUnknownKeys(List<ConfigProblem> problems, boolean recursive) {
        if (freeForm) {
            return;
        }
        List<String> known;
        synchronized (requested) {
            known = new ArrayList<>(requested);
        }
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                problems.add(new ConfigProblem(keyPath(key), unknownKeyMessage(key, known)));
                continue;
            }
            if (recursive) {
                TrackingSettings section = sections.get(key);
                if (section != null) {
                    section.collectUnknownKeys(problems, true);
                }
                for (TrackingSettings item : sectionLists.getOrDefault(key, List.of())) {
                    item.collectUnknownKeys(problems, true);
                }
            }
        }
    }

    static String unknownKeyMessage(String key, Collection<String> known) {
        String message = "unknown key \"" + key + "\"";
        Optional<String> suggestion = KeySuggestions.closest(key, known);
        if (suggestion.isPresent()) {
            return message + "; did you mean \"" + suggestion.get() + "\"?";
        }
        return known.isEmpty() ? message : message + "; expected one of: " + String.join(", ", known);
    }

    @Override
    public String toString() {
        return "TrackingSettings" + (path.isEmpty() ? "" : "(" + path + ")") + values;
    }
}
