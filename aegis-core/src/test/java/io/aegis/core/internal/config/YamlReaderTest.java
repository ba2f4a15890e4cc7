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
    void onlyTrueAndFalseAreBooleansAsInYaml12() {
        Map<String, Object> root = read("""
                command: [yes, no, on, off, y, n]
                enabled: TRUE
                disabled: False
                """);

        // YAML 1.1 (and the parser) read these as booleans: a command `yes` ran `true`.
        assertThat(root.get("command")).isEqualTo(List.of("yes", "no", "on", "off", "y", "n"));
        assertThat(root.get("enabled")).isEqualTo(Boolean.TRUE);
        assertThat(root.get("disabled")).isEqualTo(Boolean.FALSE);
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

    /** {@code lol0} is a list of 10 strings and every next level 10 aliases of the one before: 10^10 values. */
    static String billionLaughs(int levels) {
        StringBuilder yaml = new StringBuilder("lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i <= levels; i++) {
            yaml.append("lol").append(i).append(": &lol").append(i).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(10, "*lol" + (i - 1)))).append("]\n");
        }
        return yaml.toString();
    }

    @Test
    void stopsAnAliasBombAtTheAliasThatExpandsPastTheLimit() {
        assertThatThrownBy(() -> YamlReader.read(billionLaughs(9), "aegis.yaml"))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly("aegis.yaml:6:63: not valid as a configuration: its aliases expand to more"
                                + " than 1000000 values (at alias *lol4), the most a configuration may hold; this looks"
                                + " like an alias bomb (\"billion laughs\"): use fewer aliases of large blocks"));
    }

    @Test
    void stopsAFileWithMoreValuesThanTheLimitWithoutBlamingAliases() {
        String yaml = "a: [" + "1, ".repeat(100) + "1]\n"; // 103 values: the root, the list and 101 items

        assertThatThrownBy(() -> YamlReader.read(yaml, "aegis.yaml", 100))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly("aegis.yaml:1:299: not valid as a configuration: it holds more than 100"
                                + " values, the most a configuration may hold"));
        assertThat(YamlReader.read(yaml, "aegis.yaml", 103).problems()).isEmpty();
    }

    @Test
    void readsManyAliasesOfASmallBlock() {
        StringBuilder yaml = new StringBuilder("defaults: &defaults {interval: 5s, timeout: 1s, retries: 2}\nservices:\n");
        for (int i = 0; i < 5000; i++) {
            yaml.append("  - {<<: *defaults, name: svc-").append(i).append("}\n");
        }

        assertThat(YamlReader.read(yaml.toString(), "aegis.yaml").problems()).isEmpty();
    }

    @Test
    void stopsValuesNestedDeeperThanTheLimit() {
        String yaml = "a: " + "[".repeat(150) + "]".repeat(150) + "\n";

        assertThatThrownBy(() -> YamlReader.read(yaml, "aegis.yaml"))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly("aegis.yaml:1:103: not valid as a configuration: values are nested more than"
                                + " 100 levels deep, the most a configuration may nest"));
    }

    @Test
    void countsTheLevelsAnAliasStandsFor() {
        StringBuilder yaml = new StringBuilder("l0: &l0 [x]\n");
        for (int i = 1; i <= 150; i++) {
            yaml.append("l").append(i).append(": &l").append(i).append(" [*l").append(i - 1).append("]\n");
        }

        assertThatThrownBy(() -> YamlReader.read(yaml.toString(), "aegis.yaml"))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .singleElement().asString()
                        .startsWith("aegis.yaml:100:")
                        .contains("values are nested more than 100 levels deep (at alias *l98)"));
    }

    @Test
    void refusesAFileLargerThan3MiBSayingTheLimit() {
        String yaml = "a: \"" + "x".repeat(YamlReader.MAX_CODE_POINTS) + "\"\n";

        assertThatThrownBy(() -> YamlReader.read(yaml, "aegis.yaml"))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly("aegis.yaml: the configuration is too large: 3145734 characters, and at most"
                                + " 3145728 (3 MiB) are read; share repeated settings with an anchor and merge keys"
                                + " (<<: *defaults), or split the services between several aegis"));
    }

    @Test
    void reportsATabInTheIndentationWhereItIs() {
        String message = ": not valid YAML: found a tab in the indentation; tabs cannot indent YAML; use spaces";

        assertThatThrownBy(() -> YamlReader.read("services:\n  - name: a\n\ttype: http\n", "aegis.yaml"))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly("aegis.yaml:3:1" + message));
        assertThatThrownBy(() -> YamlReader.read("services:\n  - name: a\n    type: http\n  \t  endpoint: x\n",
                "aegis.yaml"))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly("aegis.yaml:4:3" + message));
    }

    @Test
    void keepsTabsInsideValues() {
        assertThat(read("a: \"x\\ty\"\nb: |\n  one\n  \ttwo\n").get("b")).isEqualTo("one\n\ttwo\n");
    }
}
