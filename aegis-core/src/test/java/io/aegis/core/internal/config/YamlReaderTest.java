package io.aegis.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigProblem;
import io.aegis.core.InvalidConfigurationException;
import io.aegis.core.internal.config.SourceLocator.Position;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YamlReaderTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(String yaml) {
        return (Map<String, Object>) YamlReader.read(yaml, "aegis.yaml").root();
    }

    @Test
    void keepsTheScalarTypesYamlGives() {
        Map<String, Object> root = read("""
                interval: 5s
                port: 9090
                big: 99999999999
                ratio: 0.05
                enabled: true
                quoted: "500"
                empty:
                """);

        assertThat(root.get("interval")).isEqualTo("5s");
        assertThat(root.get("port")).isEqualTo(9090);
        assertThat(root.get("big")).isEqualTo(99_999_999_999L);
        assertThat(root.get("ratio")).isEqualTo(0.05);
        assertThat(root.get("enabled")).isEqualTo(Boolean.TRUE);
        assertThat(root.get("quoted")).isEqualTo("500");
        assertThat(root).containsEntry("empty", null);
        assertThat(read("quoted: ''\n").get("quoted")).isEqualTo("");
    }

    @Test
    void remembersWhereKeysAndValuesAre() {
        SourceLocator locator = YamlReader.read("""
                services:
                  - name: api
                    actions: {onFailure: restart}
                """, "aegis.yaml").locator();

        assertThat(locator.keyPosition("services")).contains(new Position(1, 1));
        assertThat(locator.valuePosition("services[0]")).contains(new Position(2, 5));
        assertThat(locator.keyPosition("services[0].name")).contains(new Position(2, 5));
        assertThat(locator.valuePosition("services[0].name")).contains(new Position(2, 11));
        assertThat(locator.keyPosition("services[0].actions.onFailure")).contains(new Position(3, 15));
        assertThat(locator.valuePosition("services[0].actions.onFailure")).contains(new Position(3, 26));
        assertThat(locator.keyPosition("services[0]")).isEmpty();
    }

    @Test
    void locatesAValueProblemAtTheValueAndAKeyProblemAtTheKey() {
        SourceLocator locator = YamlReader.read("global:\n  metricsPort: x\n", "aegis.yaml").locator();

        assertThat(locator.locate(new ConfigProblem("global.metricsPort", "expected a whole number")))
                .contains(new Position(2, 16));
        assertThat(locator.locate(new ConfigProblem("global.metricsPort", "unknown key \"metricsPort\"")))
                .contains(new Position(2, 3));
        assertThat(locator.locate(new ConfigProblem("global.logLevel", "missing"))).contains(new Position(1, 1));
        assertThat(locator.locate(new ConfigProblem("other", "x"))).isEmpty();
        assertThat(locator.locate(new ConfigProblem("global[api].x", "built in code"))).isEmpty();
    }

    @Test
    void resolvesAnchorsAliasesAndMergeKeys() {
        Map<String, Object> root = read("""
                defaults: &defaults {interval: 5s, timeout: 1s}
                services:
                  - <<: *defaults
                    name: api
                    timeout: 2s
                  - tags: *defaults
                """);

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> services = (List<Map<String, Object>>) root.get("services");
        assertThat(services.get(0)).containsEntry("interval", "5s").containsEntry("timeout", "2s")
                .containsEntry("name", "api").doesNotContainKey("<<");
        assertThat(services.get(1).get("tags")).isEqualTo(Map.of("interval", "5s", "timeout", "1s"));
    }

    @Test
    void reportsDuplicateKeysAtTheSecondOne() {
        YamlDocument document = YamlReader.read("a: 1\nb: 2\na: 3\n", "aegis.yaml");

        assertThat(document.problems()).containsExactly(
                new ConfigProblem("a", "duplicate key \"a\"; it is already set on line 1 (remove one of them)"));
        assertThat(document.locator().locate(document.problems().get(0))).contains(new Position(3, 1));
    }

    @Test
    void reportsAnUnknownAlias() {
        assertThat(YamlReader.read("a: *nothing\n", "aegis.yaml").problems())
                .containsExactly(new ConfigProblem("a", "unknown alias *nothing; define it first with &nothing"));
    }

    @Test
    void describesASyntaxErrorInOneLineWithFileLineAndColumn() {
        assertThatThrownBy(() -> YamlReader.read("services:\n  - name: \"api\n", "aegis.yaml"))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .singleElement().asString()
                        .isEqualTo("aegis.yaml:2:9: not valid YAML: found unexpected end of stream (while scanning a quoted scalar)")
                        .doesNotContain("\n"));
    }

    @Test
    void readsAnEmptyDocumentAsNothing() {
        assertThat(YamlReader.read("# only a comment\n", "aegis.yaml").root()).isNull();
    }

    @Test
    void reportsASecondDocument() {
        assertThat(YamlReader.read("a: 1\n---\nb: 2\n", "aegis.yaml").problems()).extracting(ConfigProblem::message)
                .containsExactly("expected one YAML document, found another one starting on line 3; put everything"
                        + " in one document");
    }
}
