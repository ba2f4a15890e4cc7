package io.aegis.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigProblem;
import io.aegis.core.InvalidConfigurationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigReportTest {
    private static final String YAML = """
            services:
              - name: api
                type: http
                interval: 5 seconds
                runtime:
                  type: process
            """;

    private static ConfigReport report(Map<String, String> environmentSources) {
        return new ConfigReport("aegis.yaml", YamlReader.read(YAML, "aegis.yaml").locator(), environmentSources);
    }

    @Test
    void formatsAProblemWithFileLineAndColumnOfTheValue() {
        ConfigReport report = report(Map.of()).add(new ConfigProblem("services[0].interval", "bad"));

        assertThat(report.lines()).containsExactly("aegis.yaml:4:15: services[0].interval: bad");
    }

    @Test
    void pointsAnUnknownKeyAtTheKey() {
        ConfigReport report = report(Map.of())
                .add(new ConfigProblem("services[0].interval", "unknown key \"interval\"; expected one of: a"));

        assertThat(report.lines()).containsExactly(
                "aegis.yaml:4:5: services[0].interval: unknown key \"interval\"; expected one of: a");
    }

    @Test
    void pointsAProblemWithABlockAtItsKey() {
        assertThat(report(Map.of()).add(new ConfigProblem("services[0].runtime", "no runtime plugin")).lines())
                .containsExactly("aegis.yaml:5:5: services[0].runtime: no runtime plugin");
    }

    @Test
    void pointsAMissingKeyAtTheNearestParentInTheFile() {
        ConfigReport report = report(Map.of())
                .add(new ConfigProblem("services[0].runtime.command", "missing: expected the command to run"))
                .add(new ConfigProblem("services[0].endpoint", "missing"));

        assertThat(report.lines()).containsExactly(
                "aegis.yaml:2:5: services[0].endpoint: missing",
                "aegis.yaml:5:5: services[0].runtime.command: missing: expected the command to run");
    }

    @Test
    void namesTheEnvironmentVariableForAValueItSet() {
        ConfigReport report = report(Map.of("services[0].interval", "AEGIS_SERVICE_API_INTERVAL"))
                .add(new ConfigProblem("services[0].interval", "expected a duration like 500ms, 5s, 1m or 1h,"
                        + " found \"abc\""));

        assertThat(report.lines()).containsExactly("environment: AEGIS_SERVICE_API_INTERVAL: expected a duration like"
                + " 500ms, 5s, 1m or 1h, found \"abc\"");
    }

    @Test
    void formatsAProblemWithAVariableItself() {
        ConfigReport report = new ConfigReport().addEnvironmentProblem("AEGIS_SERVICE_X_TIMEOUT", "no service");

        assertThat(report.lines()).containsExactly("environment: AEGIS_SERVICE_X_TIMEOUT: no service");
    }

    @Test
    void formatsAProblemOfAServiceBuiltInCodeByKeyPathOnly() {
        ConfigReport report = new ConfigReport().add(new ConfigProblem("services[api].runtime.command", "missing"));

        assertThat(report.lines()).containsExactly("services[api].runtime.command: missing");
    }

    @Test
    void sortsEnvironmentFirstThenByPositionThenTheRestInOrderAdded() {
        ConfigReport report = report(Map.of())
                .add(new ConfigProblem("services[api2].type", "later in code"))
                .add(new ConfigProblem("services[0].runtime.type", "line 6"))
                .add(new ConfigProblem("services[0].name", "line 2"))
                .addEnvironmentProblem("AEGIS_SERVICE_X_TIMEOUT", "env")
                .add(new ConfigProblem("services[api1].type", "last in code"));

        assertThat(report.lines()).containsExactly(
                "environment: AEGIS_SERVICE_X_TIMEOUT: env",
                "aegis.yaml:2:11: services[0].name: line 2",
                "aegis.yaml:6:13: services[0].runtime.type: line 6",
                "services[api2].type: later in code",
                "services[api1].type: last in code");
    }

    @Test
    void reportsTheSameProblemOnce() {
        ConfigReport report = new ConfigReport().addAll(List.of(new ConfigProblem("a", "b"), new ConfigProblem("a", "b")));

        assertThat(report.lines()).containsExactly("a: b");
    }

    @Test
    void copiesAreIndependent() {
        ConfigReport original = new ConfigReport().add(new ConfigProblem("a", "first"));
        ConfigReport copy = original.copy().add(new ConfigProblem("b", "second"));

        assertThat(original.lines()).containsExactly("a: first");
        assertThat(copy.lines()).containsExactly("a: first", "b: second");
    }

    @Test
    void throwsOnlyWhenThereAreProblems() {
        ConfigReport report = new ConfigReport();
        report.throwIfProblems();
        assertThat(report.hasProblems()).isFalse();

        report.add(new ConfigProblem("services[api].interval", "expected a positive duration"));
        assertThatThrownBy(report::throwIfProblems).isInstanceOfSatisfying(InvalidConfigurationException.class, e -> {
            assertThat(e.errors()).containsExactly("services[api].interval: expected a positive duration");
            assertThat(e.getMessage()).isEqualTo("invalid configuration: 1 error\n"
                    + "  services[api].interval: expected a positive duration");
        });
    }
}
