package io.aegis.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.ConfigProblem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentSubstitutionTest {
    private final List<ConfigProblem> problems = new ArrayList<>();

    private String substitute(String text, Map<String, String> env) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("value", text);
        EnvironmentSubstitution.apply(tree, env, problems::add);
        return (String) tree.get("value");
    }

    @Test
    void replacesAVariable() {
        assertThat(substitute("${TOKEN}", Map.of("TOKEN", "s3cret"))).isEqualTo("s3cret");
    }

    @Test
    void replacesSeveralVariablesInsideLargerText() {
        assertThat(substitute("http://${HOST}:${PORT}/health", Map.of("HOST", "db", "PORT", "5432")))
                .isEqualTo("http://db:5432/health");
    }

    @Test
    void usesTheDefaultWhenTheVariableIsUnsetOrEmpty() {
        assertThat(substitute("${PORT:-8080}", Map.of())).isEqualTo("8080");
        assertThat(substitute("${PORT:-8080}", Map.of("PORT", ""))).isEqualTo("8080");
        assertThat(substitute("${PORT:-8080}", Map.of("PORT", "9"))).isEqualTo("9");
        assertThat(substitute("${SUFFIX:-}", Map.of())).isEmpty();
        assertThat(problems).isEmpty();
    }

    @Test
    void readsDoubleDollarAsALiteralDollar() {
        assertThat(substitute("costs $$5 or $${HOME}", Map.of("HOME", "/root"))).isEqualTo("costs $5 or ${HOME}");
    }

    @Test
    void leavesALoneDollarAlone() {
        assertThat(substitute("^ends with $", Map.of())).isEqualTo("^ends with $");
        assertThat(substitute("$HOME", Map.of("HOME", "/root"))).isEqualTo("$HOME");
    }

    @Test
    void reportsAnUnsetVariableWithoutDefaultAndLeavesTheValueOut() {
        assertThat(substitute("Bearer ${TOKEN}", Map.of())).isNull();
        assertThat(problems).containsExactly(new ConfigProblem("value",
                "environment variable TOKEN is not set (use ${TOKEN:-default} to give a default)"));
    }

    @Test
    void reportsAnUnclosedReference() {
        assertThat(substitute("${TOKEN", Map.of())).isNull();
        assertThat(problems).extracting(ConfigProblem::message)
                .containsExactly("unclosed ${ in \"${TOKEN\"; write ${NAME} for a variable or $$ for a literal $");
    }

    @Test
    void substitutesInNestedMapsAndListsWithTheirKeyPaths() {
        Map<String, Object> service = new LinkedHashMap<>();
        service.put("command", new ArrayList<>(List.of("java", "${JAR}")));
        service.put("port", 8080);
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("services", new ArrayList<>(List.of(service)));

        EnvironmentSubstitution.apply(tree, Map.of(), problems::add);

        assertThat(problems).extracting(ConfigProblem::keyPath).containsExactly("services[0].command[1]");
        assertThat(service.get("port")).isEqualTo(8080);
    }
}
