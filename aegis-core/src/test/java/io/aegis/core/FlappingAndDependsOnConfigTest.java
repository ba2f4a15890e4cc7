package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code flapping} and {@code dependsOn} keys of a service, from a file and from code. */
class FlappingAndDependsOnConfigTest {
    @TempDir
    Path dir;

    private static AegisConfig parse(String yaml) {
        return AegisConfig.parse(yaml, "aegis.yaml", Map.of());
    }

    private static List<String> problems(String yaml) {
        return parse(yaml).report().lines();
    }

    private static String service(String name, String... lines) {
        return "  - name: " + name + "\n    type: tcp\n    endpoint: localhost:1\n"
                + String.join("", List.of(lines).stream().map(line -> "    " + line + "\n").toList());
    }

    private List<String> engineErrors(String yaml, ServiceDefinition... inCode) throws IOException {
        Path config = Files.writeString(dir.resolve("aegis.yaml"), yaml);
        Engine.Builder builder = Engine.builder().metricsEnabled(false).stateDirectory(dir.resolve("state"))
                .config(config);
        for (ServiceDefinition service : inCode) {
            builder.service(service);
        }
        try (Engine engine = builder.build()) {
            return List.of("built: " + engine);
        } catch (InvalidConfigurationException e) {
            return e.errors().stream().map(line -> line.replace(config.toString(), "aegis.yaml")).toList();
        }
    }

    // ---- flapping --------------------------------------------------------------------------------------------

    @Test
    void flappingIsOffUnlessAServiceAsksForIt() {
        AegisConfig config = parse("services:\n" + service("api"));

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services().get(0).flapping()).isEmpty();
        assertThat(ServiceDefinition.builder("x").check("tcp", "h:1").build().flapping()).isEmpty();
    }

    @Test
    void readsTheFlappingBlock() {
        AegisConfig config = parse("services:\n" + service("api", "flapping: {threshold: 6, window: 10m}"));

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services().get(0).flapping()).contains(FlappingPolicy.of(6, Duration.ofMinutes(10)));
    }

    @Test
    void reportsFlappingMistakesAtTheirKeysAllAtOnce() {
        assertThat(problems("services:\n" + service("api", "flapping: {threshold: 0, window: 0s, windw: 1m}")))
                .containsExactly(
                        "aegis.yaml:5:27: services[0].flapping.threshold: expected a whole number of at least 1,"
                                + " found 0",
                        "aegis.yaml:5:38: services[0].flapping.window: expected a duration above zero like 500ms, 5s,"
                                + " 1m or 1h, found \"0s\"",
                        "aegis.yaml:5:42: services[0].flapping.windw: unknown key \"windw\"; did you mean \"window\"?");
        assertThat(problems("services:\n" + service("api", "flapping: {threshold: many, window: 1ns}")))
                .containsExactly(
                        "aegis.yaml:5:27: services[0].flapping.threshold: expected a whole number, found \"many\"",
                        "aegis.yaml:5:41: services[0].flapping.window: expected a duration of at least 1ms, found"
                                + " \"1ns\"");
    }

    @Test
    void bothFlappingKeysAreRequired() {
        AegisConfig config = parse("services:\n" + service("api", "flapping: {}"));

        assertThat(config.report().lines()).containsExactly(
                "aegis.yaml:5:5: services[0].flapping.threshold: missing: expected the most state changes within the"
                        + " window that are not yet flapping (a whole number of at least 1, such as 6)",
                "aegis.yaml:5:5: services[0].flapping.window: missing: expected how far back state changes count, and"
                        + " how long a flapping service must stay calm, as a duration like 500ms, 5s, 1m or 1h");
        assertThat(problems("services:\n" + service("api", "flapping: 5"))).containsExactly(
                "aegis.yaml:5:15: services[0].flapping: expected a mapping, found 5");
    }

    @Test
    void aServiceBuiltInCodeGetsFlappingThroughItsBuilder() {
        ServiceDefinition api = ServiceDefinition.builder("api").check("tcp", "h:1")
                .flapping(3, Duration.ofMinutes(5)).build();

        assertThat(api.flapping()).contains(FlappingPolicy.of(3, Duration.ofMinutes(5)));
        assertThatThrownBy(() -> ServiceDefinition.builder("api").flapping(0, Duration.ofMinutes(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("flapping.threshold");
    }

    // ---- dependsOn in the file -------------------------------------------------------------------------------

    @Test
    void readsDependsOnAsAListOrOneName() {
        AegisConfig config = parse("services:\n" + service("api", "dependsOn: [db, cache]")
                + service("web", "dependsOn: api") + service("db") + service("cache"));

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services()).extracting(ServiceDefinition::dependsOn).containsExactly(
                List.of("db", "cache"), List.of("api"), List.of(), List.of());
    }

    @Test
    void reportsEntriesThatAreNoServiceNamesAndRepeatsInTheFile() {
        assertThat(problems("services:\n" + service("api", "dependsOn: [db, {name: x}, \"a b\", db]") + service("db")))
                .containsExactly(
                        "aegis.yaml:5:21: services[0].dependsOn[1]: expected the name of a service defined under"
                                + " services, found a mapping",
                        "aegis.yaml:5:32: services[0].dependsOn[2]: expected the name of a service defined under"
                                + " services, found \"a b\"",
                        "aegis.yaml:5:39: services[0].dependsOn[3]: \"db\" is already listed at"
                                + " services[0].dependsOn[0]; list each dependency once");
    }

    @Test
    void reportsUnknownNamesSelfReferencesAndCyclesWithTheirLinesAllAtOnce() throws IOException {
        String yaml = "services:\n"
                + service("api", "dependsOn: [dbb, api]")
                + service("db", "dependsOn:", "  - cache")
                + service("cache", "dependsOn: db");

        assertThat(engineErrors(yaml)).containsExactly(
                "aegis.yaml:5:17: services[0].dependsOn[0]: no service named \"dbb\"; did you mean \"db\"?",
                "aegis.yaml:5:22: services[0].dependsOn[1]: a service cannot depend on itself; remove \"api\" from its"
                        + " dependsOn",
                "aegis.yaml:10:9: services[1].dependsOn[0]: dependsOn cycle: db -> cache -> db; each of these services"
                        + " would wait for the next to start: remove one of these dependencies");
    }

    @Test
    void validatesServicesFromTheFileAndFromCodeTogether() throws IOException {
        String yaml = "services:\n" + service("api", "dependsOn: [worker]");
        ServiceDefinition worker = ServiceDefinition.builder("worker").check("tcp", "localhost:1")
                .dependsOn("api").build();
        ServiceDefinition lonely = ServiceDefinition.builder("lonely").check("tcp", "localhost:1")
                .dependsOn("apii").build();

        assertThat(engineErrors(yaml, worker, lonely)).containsExactly(
                "aegis.yaml:5:17: services[0].dependsOn[0]: dependsOn cycle: api -> worker -> api; each of these"
                        + " services would wait for the next to start: remove one of these dependencies",
                "services[lonely].dependsOn[0]: no service named \"apii\"; did you mean \"api\"?");
    }

    @Test
    void suggestsDependsOnForComposesSpellingAndFlappingForATypo() throws IOException {
        String yaml = "services:\n" + service("api", "depends_on: [db]", "flaping: {threshold: 6, window: 10m}")
                + service("db");

        assertThat(engineErrors(yaml)).containsExactly(
                "aegis.yaml:5:5: services[0].depends_on: unknown key \"depends_on\"; did you mean \"dependsOn\"?",
                "aegis.yaml:6:5: services[0].flaping: unknown key \"flaping\"; did you mean \"flapping\"?");
    }

    @Test
    void anEngineWithValidDependenciesBuilds() throws IOException {
        String yaml = "services:\n" + service("api", "dependsOn: db", "flapping: {threshold: 6, window: 10m}")
                + service("db");

        assertThat(engineErrors(yaml)).singleElement().asString().startsWith("built: ");
    }
}
