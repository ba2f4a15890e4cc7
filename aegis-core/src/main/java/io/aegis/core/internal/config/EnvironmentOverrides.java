package io.aegis.core.internal.config;

import io.aegis.api.ConfigProblem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Applies {@code AEGIS_LOG_LEVEL}, {@code AEGIS_METRICS_ENABLED}, {@code AEGIS_METRICS_PORT} and
 * {@code AEGIS_SERVICE_<NAME>_<FIELD>} to a YAML tree before it is validated, so an overriding value goes
 * through the same checks as one written in the file, and remembers which key path each variable set so a bad
 * value is reported as the variable's fault.
 *
 * <p>{@code NAME} is the service name upper-cased with every character that is not a letter or digit turned
 * into {@code _}; {@code FIELD} is the upper snake case of a key ({@code FAILURE_THRESHOLD}). Other variables,
 * including other {@code AEGIS_*} ones, are ignored. A variable whose {@code NAME} fits several services
 * ({@code my-svc} and {@code my.svc} are both {@code MY_SVC}) is an error naming them all, applied to none.
 */
final class EnvironmentOverrides {
    static final String SERVICE_PREFIX = "AEGIS_SERVICE_";

    private static final Map<String, String> GLOBALS = Map.of(
            "AEGIS_LOG_LEVEL", "logLevel",
            "AEGIS_METRICS_ENABLED", "metricsEnabled",
            "AEGIS_METRICS_PORT", "metricsPort",
            "AEGIS_METRICS_HOST", "metricsHost",
            "AEGIS_STATE_DIR", "stateDir",
            "AEGIS_MAX_IN_FLIGHT_CHECKS", "maxInFlightChecks");

    /** FIELD → key path inside the service block, in the order they are listed to a person. */
    private static final Map<String, String> SERVICE_FIELDS = serviceFields();

    private final Map<String, String> sources = new LinkedHashMap<>();
    private final List<ConfigProblem> problems = new ArrayList<>();

    /** Key path → the variable that set it. */
    Map<String, String> sources() {
        return sources;
    }

    /** Problems with the variables themselves; the key path of each is the variable's name. */
    List<ConfigProblem> problems() {
        return problems;
    }

    private static Map<String, String> serviceFields() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("TYPE", "type");
        fields.put("ENDPOINT", "endpoint");
        fields.put("INTERVAL", "interval");
        fields.put("TIMEOUT", "timeout");
        fields.put("RETRIES", "retries");
        fields.put("FAILURE_THRESHOLD", "failureThreshold");
        fields.put("SUCCESS_THRESHOLD", "successThreshold");
        fields.put("INITIAL_DELAY", "initialDelay");
        fields.put("START_PERIOD", "startPeriod");
        fields.put("ON_FAILURE", "actions.onFailure");
        return fields;
    }

    /** The {@code NAME} part of a service's variables: {@code my-api.v2} → {@code MY_API_V2}. */
    static String variableName(String serviceName) {
        return serviceName.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Applies every override in {@code env} to {@code root} (a mutable tree as read by {@link YamlReader}). */
    static EnvironmentOverrides apply(Map<String, Object> root, Map<String, String> env) {
        EnvironmentOverrides overrides = new EnvironmentOverrides();
        // sorted, so problems and the winning value do not depend on the map's iteration order
        new TreeMap<>(env).forEach((variable, value) -> {
            if (GLOBALS.containsKey(variable)) {
                overrides.applyGlobal(root, variable, value);
            } else if (variable.startsWith(SERVICE_PREFIX)) {
                overrides.applyService(root, variable, value);
            }
        });
        return overrides;
    }

    private void applyGlobal(Map<String, Object> root, String variable, String value) {
        Object global = root.get("global");
        if (global == null) {
            global = new LinkedHashMap<String, Object>();
            root.put("global", global);
        }
        if (global instanceof Map) {
            put(asMap(global), GLOBALS.get(variable), value);
            sources.put("global." + GLOBALS.get(variable), variable);
        }
        // a "global" that is not a mapping is reported by the loader; there is nothing to override
    }

    private void applyService(Map<String, Object> root, String variable, String value) {
        String rest = variable.substring(SERVICE_PREFIX.length());
        Map<String, List<Integer>> services = servicesByVariableName(root);
        // the longest service name that fits wins: "API_V2_TIMEOUT" is service API_V2, not API with "V2_TIMEOUT"
        Optional<String> service = services.keySet().stream()
                .filter(name -> rest.startsWith(name + "_") && SERVICE_FIELDS.containsKey(rest.substring(name.length() + 1)))
                .max((a, b) -> Integer.compare(a.length(), b.length()));
        if (service.isPresent() && services.get(service.get()).size() > 1) {
            problems.add(new ConfigProblem(variable, ambiguous(root, services.get(service.get()), service.get())));
            return;
        }
        if (service.isPresent()) {
            int index = services.get(service.get()).get(0);
            String key = SERVICE_FIELDS.get(rest.substring(service.get().length() + 1));
            Map<String, Object> block = asMap(((List<?>) root.get("services")).get(index));
            if (key.startsWith("actions.")) {
                Object actions = block.get("actions");
                if (actions == null) {
                    actions = new LinkedHashMap<String, Object>();
                    block.put("actions", actions);
                }
                if (!(actions instanceof Map)) {
                    return; // reported by the loader
                }
                put(asMap(actions), key.substring("actions.".length()), value);
            } else {
                put(block, key, value);
            }
            sources.put("services[" + index + "]." + key, variable);
            return;
        }
        Optional<String> prefix = services.keySet().stream().filter(name -> rest.startsWith(name + "_"))
                .max((a, b) -> Integer.compare(a.length(), b.length()));
        if (prefix.isPresent()) {
            String field = rest.substring(prefix.get().length() + 1);
            String hint = KeySuggestions.closest(field, SERVICE_FIELDS.keySet()).map(s -> "; did you mean " + s + "?")
                    .orElse("");
            problems.add(new ConfigProblem(variable, "unknown field \"" + field + "\" of service " + prefix.get() + hint
                    + " (fields: " + String.join(", ", SERVICE_FIELDS.keySet()) + ")"));
            return;
        }
        String guessedName = SERVICE_FIELDS.keySet().stream().filter(field -> rest.endsWith("_" + field))
                .max((a, b) -> Integer.compare(a.length(), b.length()))
                .map(field -> rest.substring(0, rest.length() - field.length() - 1)).orElse(rest);
        String known = services.isEmpty() ? "no services are defined"
                : "services: " + String.join(", ", services.keySet());
        problems.add(new ConfigProblem(variable, "no service named like \"" + guessedName + "\" (" + known + ")"));
    }

    /**
     * "matches 2 services, "my-svc" (services[0]) and "my.svc" (services[1]), ...": set to either one, the variable
     * would silently leave the other unchanged.
     */
    private static String ambiguous(Map<String, Object> root, List<Integer> indexes, String name) {
        List<?> services = (List<?>) root.get("services");
        List<String> matches = new ArrayList<>();
        for (int index : indexes) {
            Object serviceName = ((Map<?, ?>) services.get(index)).get("name");
            matches.add(QuotedText.of(String.valueOf(serviceName)) + " (services[" + index + "])");
        }
        String listed = String.join(", ", matches.subList(0, matches.size() - 1)) + " and "
                + matches.get(matches.size() - 1);
        return "matches " + matches.size() + " services, " + listed + ", whose names " + (matches.size() == 2 ? "both" : "all")
                + " become " + name
                + " in a variable name; it was applied to none of them: rename the services so that they differ in"
                + " more than punctuation";
    }

    /** NAME → indexes in the services list, in file order; entries without a name are left out. */
    private static Map<String, List<Integer>> servicesByVariableName(Map<String, Object> root) {
        Map<String, List<Integer>> result = new LinkedHashMap<>();
        if (root.get("services") instanceof List) {
            List<?> services = (List<?>) root.get("services");
            for (int i = 0; i < services.size(); i++) {
                if (services.get(i) instanceof Map) {
                    Object name = ((Map<?, ?>) services.get(i)).get("name");
                    if (name instanceof String || name instanceof Number) {
                        result.computeIfAbsent(variableName(name.toString()), k -> new ArrayList<>()).add(i);
                    }
                }
            }
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return (Map<String, Object>) value;
    }

    private static void put(Map<String, Object> block, String key, String value) {
        block.put(key, value);
    }
}
