package io.aegis.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrackingSettingsTest {

    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private static TrackingSettings serviceBlock() {
        return new TrackingSettings("services[0]", map(
                "name", "api", "type", "http", "endpoint", "http://localhost/health",
                "metod", "GET",
                "expect", map("status", 200, "bodyy", "ok"),
                "headers", map("X-Anything", "1"),
                "metadata", map("latency_threshold", "500")));
    }

    @Test
    void reportsAKeyNobodyReadWithTheClosestKeyThatWasRead() {
        TrackingSettings service = serviceBlock();
        service.string("name");
        service.string("type");
        service.string("endpoint");
        service.string("method"); // the http checker plugin reads its keys
        service.section("expect").ifPresent(expect -> {
            expect.integer("status");
            expect.string("body");
        });
        service.stringMap("headers");
        service.stringMap("metadata");

        assertThat(service.unknownKeys()).containsExactly(
                new ConfigProblem("services[0].metod", "unknown key \"metod\"; did you mean \"method\"?"),
                new ConfigProblem("services[0].expect.bodyy", "unknown key \"bodyy\"; did you mean \"body\"?"));
    }

    @Test
    void listsTheKeysThatWereReadWhenNoneIsClose() {
        TrackingSettings settings = new TrackingSettings("global", map("colour", "blue"));
        settings.string("logLevel");
        settings.bool("metricsEnabled");

        assertThat(settings.unknownKeys()).containsExactly(new ConfigProblem("global.colour",
                "unknown key \"colour\"; expected one of: logLevel, metricsEnabled"));
    }

    @Test
    void countsAKeyAsKnownWhenItWasAskedForEvenIfAbsent() {
        TrackingSettings settings = new TrackingSettings("", map("intervall", "5s"));
        settings.duration("interval");

        assertThat(settings.requestedKeys()).containsExactly("interval");
        assertThat(settings.unknownKeys()).extracting(ConfigProblem::message)
                .containsExactly("unknown key \"intervall\"; did you mean \"interval\"?");
    }

    @Test
    void neverReportsKeysInsideAMapReadAsAWhole() {
        TrackingSettings service = serviceBlock();
        service.stringMap("headers");
        service.stringMap("metadata");

        assertThat(service.unknownKeys()).extracting(ConfigProblem::keyPath)
                .containsExactly("services[0].name", "services[0].type", "services[0].endpoint", "services[0].metod",
                        "services[0].expect");
    }

    @Test
    void neverReportsKeysInsideAFreeFormSectionEvenWhenAPluginReadsItKeyByKey() {
        TrackingSettings service = new TrackingSettings("services[0]", map("metadata", map("service", "x", "other", 1)));
        service.stringMap("metadata"); // the loader
        service.section("metadata").orElseThrow().string("service"); // a plugin

        assertThat(service.unknownKeys()).isEmpty();
    }

    @Test
    void allowAnyKeysInAcceptsEveryKeyOfThatBlockOnly() {
        TrackingSettings service = new TrackingSettings("s", map("env", map("A", "1"), "typo", 1));
        service.allowAnyKeysIn("env");
        service.section("env");

        assertThat(service.unknownKeys()).extracting(ConfigProblem::keyPath).containsExactly("s.typo");
    }

    @Test
    void handsOutTheSameChildForTheSameKeySoReadsAddUp() {
        TrackingSettings root = new TrackingSettings("", map("runtime", map("type", "process", "command", "x")));
        root.section("runtime").orElseThrow().string("type"); // the loader
        root.section("runtime").orElseThrow().string("command"); // the runtime plugin

        assertThat(root.section("runtime")).containsSame(root.section("runtime").orElseThrow());
        assertThat(root.unknownKeys()).isEmpty();
    }

    @Test
    void namesChildBlocksWithTheirKeyPath() {
        TrackingSettings root = new TrackingSettings("", map("services", List.of(map("runtime", map("type", "x")))));
        Settings service = root.sections("services").get(0);

        assertThat(service.path()).isEqualTo("services[0]");
        assertThat(service.section("runtime").orElseThrow().path()).isEqualTo("services[0].runtime");
        assertThat(service.section("runtime").orElseThrow().keyPath("type")).isEqualTo("services[0].runtime.type");
    }

    @Test
    void checksListItemsKeyByKey() {
        TrackingSettings logs = new TrackingSettings("logs", map("patterns", List.of(map("name", "a", "patern", "x"))));
        logs.sections("patterns").forEach(pattern -> {
            pattern.string("name");
            pattern.string("pattern");
        });

        assertThat(logs.unknownKeys()).containsExactly(new ConfigProblem("logs.patterns[0].patern",
                "unknown key \"patern\"; did you mean \"pattern\"?"));
    }

    @Test
    void unknownKeysHereLeavesTheBlocksBelowAlone() {
        TrackingSettings root = new TrackingSettings("", map("global", map("x", 1), "extra", 2));
        root.section("global");

        assertThat(root.unknownKeysHere()).extracting(ConfigProblem::keyPath).containsExactly("extra");
        assertThat(root.unknownKeys()).extracting(ConfigProblem::keyPath).containsExactly("global.x", "extra");
    }

    @Test
    void aSectionThatIsNotAMappingThrowsWithItsKeyPath() {
        TrackingSettings service = new TrackingSettings("services[0]", map("actions", "restart"));

        assertThatThrownBy(() -> service.section("actions")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).containsExactly(new ConfigProblem("services[0].actions",
                        "expected a mapping, found \"restart\"")));
    }

    @Test
    void trackedSectionsReportsItemsThatAreNotMappingsAndKeepsTheOthersWithTheirIndex() {
        TrackingSettings root = new TrackingSettings("", map("services", List.of("api", map("name", "web"))));
        List<ConfigProblem> problems = new ArrayList<>();

        List<TrackingSettings> services = root.trackedSections("services", problems::add);

        assertThat(problems).containsExactly(new ConfigProblem("services[0]", "expected a mapping, found \"api\""));
        assertThat(services).extracting(Settings::path).containsExactly("services[1]");
        assertThatThrownBy(() -> root.sections("services")).isInstanceOf(ConfigException.class);
    }

    @Test
    void typedAccessorsThrowWithTheKeyPath() {
        TrackingSettings service = new TrackingSettings("services[0]", map("interval", "5 seconds"));

        assertThatThrownBy(() -> service.duration("interval")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).containsExactly(new ConfigProblem("services[0].interval",
                        "expected a duration like 500ms, 5s, 1m or 1h, found \"5 seconds\"")));
    }
}
