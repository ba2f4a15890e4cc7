package io.aegis.core.internal.config;

import io.aegis.api.ConfigProblem;
import java.util.List;
import java.util.Map;

/**
 * A YAML file read into plain values (mutable {@code LinkedHashMap}s and {@code ArrayList}s until the loader has
 * applied the environment), with the positions of its keys and the problems the reader itself found (duplicate
 * keys, unknown aliases).
 */
record YamlDocument(Object root, SourceLocator locator, List<ConfigProblem> problems) {
    boolean isMapping() {
        return root instanceof Map;
    }
}
