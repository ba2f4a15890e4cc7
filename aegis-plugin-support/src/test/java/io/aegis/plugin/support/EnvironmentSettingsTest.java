package io.aegis.plugin.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentSettingsTest {

    @Test
    void readsTheVariablesAsWrittenAndNoneWhenTheKeyIsAbsent() {
        Settings runtime = Settings.of("services.web.runtime", Map.of("env", Map.of("JAVA_OPTS", "-Xmx256m")));

        assertThat(EnvironmentSettings.read(runtime, "env")).containsExactly(Map.entry("JAVA_OPTS", "-Xmx256m"));
        assertThat(EnvironmentSettings.read(Settings.of("services.web.runtime", Map.of()), "env")).isEmpty();
    }

    @Test
    void refusesANameNoOperatingSystemAccepts() {
        Settings runtime = Settings.of("services.web.runtime", Map.of("env", Map.of("A=B", "x")));

        assertThatThrownBy(() -> EnvironmentSettings.read(runtime, "env")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("services.web.runtime.env: expected environment variable names without '=',"
                        + " found \"A=B\"");
    }
}
