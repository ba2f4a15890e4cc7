package io.aegis.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which substituted values count as secrets to mask: those that came from the environment. */
class EnvironmentSecretsTest {

    @Test
    void returnsTheValuesTakenFromTheEnvironmentButNotTheDefaultsWrittenInTheFile() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("header", "Bearer ${TOKEN}");
        tree.put("list", new java.util.ArrayList<>(List.of("${PASSWORD}", "${PORT:-8080}", "${EMPTY:-fallback}")));

        java.util.Set<String> secrets = EnvironmentSubstitution.apply(tree, Map.of("TOKEN", "t0ken-value", "PASSWORD", "pw-value",
                "EMPTY", ""), problem -> { });

        assertThat(secrets).containsExactlyInAnyOrder("t0ken-value", "pw-value");
        assertThat(tree.get("header")).isEqualTo("Bearer t0ken-value");
    }
}
