package io.aegis.plugin.support;

import io.aegis.api.ConfigException;
import io.aegis.api.Settings;
import java.util.Map;

/** Reads a map of environment variables for a workload ({@code env: {JAVA_OPTS: -Xmx256m}}) from a plugin's settings. */
public final class EnvironmentSettings {

    private EnvironmentSettings() {
    }

    /**
     * {@return the variables under {@code key}, names as written; none when the key is absent}
     *
     * @param settings the block to read from
     * @param key the key of the map, such as {@code env}
     * @throws ConfigException when the value is not a map of single values, or a name is empty or holds {@code =} or
     *     a NUL, which no operating system accepts in a variable's name
     */
    public static Map<String, String> read(Settings settings, String key) {
        Map<String, String> environment = settings.stringMap(key);
        for (String name : environment.keySet()) {
            if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
                throw new ConfigException(settings.keyPath(key),
                        "expected environment variable names without '=', found \"" + name + "\"");
            }
        }
        return environment;
    }
}
