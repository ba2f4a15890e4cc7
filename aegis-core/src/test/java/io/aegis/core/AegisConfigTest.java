package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import io.aegis.core.internal.config.ConfigReport;
import io.aegis.core.internal.config.ServiceWarnings;
import io.aegis.core.internal.config.TrackingSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AegisConfigTest {
    private static final String API = """
            services:
              - name: api
                type: http
                endpoint: http://localhost:8080/health
            """;

    private static AegisConfig parse(String yaml) {
        return parse(yaml, Map.of());
    }

    private static AegisConfig parse(String yaml, Map<String, String> env) {
        return AegisConfig.parse(yaml, "aegis.yaml", env);
    }

    private static List<String> problems(String yaml) {
        return parse(yaml).report().lines();
    }

    private static List<String> problems(String yaml, Map<String, String> env) {
        return parse(yaml, env).report().lines();
    }

    private static String seedConfig() throws IOException {
        try (InputStream in = AegisConfigTest.class.getResourceAsStream("seed-config.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    // ---- global.api -------------------------------------------------------------------------------------------

    @Test
    void theApiIsOffWithoutItsBlockAndOnLoopbackWithIt() {
        assertThat(parse(API).api()).isEqualTo(HttpApiConfig.DISABLED);
        HttpApiConfig api = parse("global:\n  api: {}\n" + API).api();
        assertThat(api.enabled()).isTrue();
        assertThat(api.host()).isEqualTo("127.0.0.1");
        assertThat(api.port()).isEqualTo(9098);
        assertThat(api.token()).isEmpty();
        assertThat(parse("global:\n  api: {enabled: false, port: 0}\n" + API).api().enabled()).isFalse();
    }

    @Test
    void theApiTokenComesFromTheEnvironmentOrAFileAndIsNeverShown(@TempDir Path dir) throws IOException {
        AegisConfig fromEnv = parse("global:\n  api:\n    token: \"${AEGIS_TOKEN}\"\n" + API,
                Map.of("AEGIS_TOKEN", "0123456789abcdef-secret"));
        assertThat(fromEnv.api().token()).contains("0123456789abcdef-secret");
        assertThat(fromEnv.api().toString()).doesNotContain("secret");
        Path file = Files.writeString(dir.resolve("token"), "fedcba9876543210-from-file\n");
        AegisConfig fromFile = parse("global:\n  api:\n    tokenFile: " + file + "\n" + API);
        assertThat(fromFile.api().token()).contains("fedcba9876543210-from-file");
        assertThat(fromFile.redact("token fedcba9876543210-from-file")).doesNotContain("fedcba9876543210");
    }

    @Test
    void everyMistakeInTheApiBlockIsReportedWithItsKeyPath(@TempDir Path dir) {
        assertThat(problems("""
                global:
                  api:
                    enabled: sometimes
                    host: "127.0.0.1:9098"
                    port: 70000
                    token: short
                    tokn: x
                """ + API)).satisfiesExactlyInAnyOrder(
                line -> assertThat(line).contains("global.api.enabled"),
                line -> assertThat(line).contains("global.api.host").contains("the port goes in port"),
                line -> assertThat(line).contains("global.api.port"),
                line -> assertThat(line).contains("global.api.token").contains("at least 16 characters")
                        .doesNotContain("short"),
                line -> assertThat(line).contains("global.api.tokn").contains("token"));
        assertThat(problems("global:\n  api:\n    tokenFile: " + dir.resolve("missing") + "\n" + API))
                .singleElement().asString().contains("global.api.tokenFile").contains("does not exist");
        assertThat(problems("global:\n  api:\n    token: \"0123456789abcdef\"\n    tokenFile: /x\n" + API))
                .singleElement().asString().contains("either token or tokenFile");
    }

    // ---- global.stateDir -------------------------------------------------------------------------------------

    @Test
    void stateDirOfAFileIsResolvedAgainstItsFolderOrDefaultsToOnePerFile(@TempDir Path dir)
            throws IOException {
        Path file = Files.writeString(dir.resolve("aegis.yaml"), "global:\n  stateDir: run/state\n" + API);
        assertThat(AegisConfig.load(file, Map.of()).stateDir()).contains(dir.resolve("run/state"));

        Path plain = Files.writeString(dir.resolve("plain.yaml"), API);
        Path xdg = dir.resolve("xdg");
        assertThat(AegisConfig.load(plain, Map.of("XDG_STATE_HOME", xdg.toString())).stateDir()).hasValueSatisfying(
                state -> assertThat(state.toString()).matches(java.util.regex.Pattern.quote(xdg + "/aegis/plain.yaml-")
                        + "[0-9a-f]{8}"));
        assertThat(AegisConfig.load(plain, Map.of("AEGIS_STATE_DIR", "/srv/aegis")).stateDir())
                .contains(Path.of("/srv/aegis"));
    }

    @Test
    void configurationTextHasNoStateDirUnlessItSetsOne() {
        assertThat(parse(API).stateDir()).isEmpty();
        assertThat(parse("global:\n  stateDir: /var/lib/aegis\n" + API).stateDir()).contains(Path.of("/var/lib/aegis"));
        assertThat(problems("global:\n  stateDir: \"\"\n" + API)).singleElement().asString()
                .contains("global.stateDir: expected a directory path");
    }

    // ---- the README's reference example ----------------------------------------------------------------------

    @Test
    void theReadmesConfigurationReferenceLoadsWithoutProblems() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("## Configuration");
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String yaml = readme.substring(start, readme.indexOf("```", start));

        AegisConfig config = parse(yaml, Map.of("API_TOKEN", "a", "TOKEN", "b"));

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services()).extracting(ServiceDefinition::checkType)
                .containsExactly("http", "tcp", "grpc", "script");
        assertThat(config.services()).flatExtracting(ServiceWarnings::of).as("an example to copy warns about nothing")
                .isEmpty();
    }

    // ---- where metrics are served ----------------------------------------------------------------------------

    @Test
    void readsTheMetricsHostFromTheFileAndTheEnvironment() {
        assertThat(parse(API).metricsHost()).isEqualTo("0.0.0.0");
        assertThat(parse("global:\n  metricsHost: 127.0.0.1\n" + API).metricsHost()).isEqualTo("127.0.0.1");
        assertThat(parse(API, Map.of("AEGIS_METRICS_HOST", "::1")).metricsHost()).isEqualTo("::1");
    }

    @Test
    void readsTheLimitOfBlockingChecksAndDefaultsIt() {
        assertThat(parse(API).maxConcurrentBlockingChecks()).isEqualTo(16);
        assertThat(parse("global:\n  maxConcurrentBlockingChecks: 4\n" + API).maxConcurrentBlockingChecks())
                .isEqualTo(4);
        assertThat(problems("global:\n  maxConcurrentBlockingChecks: 0\n" + API)).containsExactly(
                "aegis.yaml:2:32: global.maxConcurrentBlockingChecks: expected a whole number from 1 to 1024, found 0");
    }

    @Test
    void readsTheCapOfChecksInFlightFromTheFileAndTheEnvironmentAndDefaultsIt() {
        // 4096, or half the file descriptor limit when that is lower
        assertThat(parse(API).maxInFlightChecks()).isEqualTo(io.aegis.core.internal.CheckLoad.defaultMaxInFlight());
        assertThat(parse("global:\n  maxInFlightChecks: 500\n" + API).maxInFlightChecks()).isEqualTo(500);
        assertThat(parse("global:\n  maxInFlightChecks: 0\n" + API).maxInFlightChecks()).as("no cap").isZero();
        assertThat(parse(API, Map.of("AEGIS_MAX_IN_FLIGHT_CHECKS", "2000")).maxInFlightChecks()).isEqualTo(2000);
        assertThat(problems("global:\n  maxInFlightChecks: -1\n" + API)).containsExactly(
                "aegis.yaml:2:22: global.maxInFlightChecks: expected a whole number from 0 to 1000000, found -1");
    }

    @Test
    void rejectsAMetricsHostWithAPort() {
        assertThat(problems("global:\n  metricsHost: 0.0.0.0:9090\n" + API)).containsExactly(
                "aegis.yaml:2:16: global.metricsHost: expected an address to bind such as 127.0.0.1 or 0.0.0.0 (the"
                        + " port goes in metricsPort), found \"0.0.0.0:9090\"");
    }

    // ---- start period and recovery verification ------------------------------------------------------------

    @Test
    void aServiceWithARuntimeGetsAStartPeriodByDefaultAndOneWithoutDoesNot() {
        AegisConfig config = parse("""
                services:
                  - name: managed
                    type: http
                    endpoint: http://localhost:8080/health
                    runtime: {type: process, command: [sleep, "60"]}
                  - name: watched
                    type: http
                    endpoint: http://localhost:8081/health
                  - name: explicit
                    type: http
                    endpoint: http://localhost:8082/health
                    startPeriod: 0s
                    runtime: {type: process, command: [sleep, "60"]}
                """);

        assertThat(config.services()).extracting(ServiceDefinition::startPeriod)
                .containsExactly(ServiceDefinition.DEFAULT_START_PERIOD_WITH_RUNTIME, Duration.ZERO, Duration.ZERO);
    }

    @Test
    void readsTheRetryBackoffAndDefaultsIt() {
        AegisConfig config = parse(API + """
                    retries: 3
                    retryBackoff: {initial: 50ms, multiplier: 3, max: 1s}
                  - name: web
                    type: http
                    endpoint: http://localhost:8081/health
                """);

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services().get(0).retryBackoff())
                .isEqualTo(RetryBackoff.of(Duration.ofMillis(50), 3.0, Duration.ofSeconds(1)));
        assertThat(config.services().get(1).retryBackoff()).isEqualTo(RetryBackoff.ofDefaults());
    }

    @Test
    void reportsRetryBackoffMistakesAtTheirKeys() {
        assertThat(problems(API + """
                    retryBackoff: {initial: 1s, multiplier: 0.5, max: 100ms, jitter: full}
                """)).containsExactly(
                "aegis.yaml:5:45: services[0].retryBackoff.multiplier: expected a number of at least 1, found 0.5",
                "aegis.yaml:5:55: services[0].retryBackoff.max: expected a duration of at least retryBackoff.initial"
                        + " (1s), found \"100ms\"",
                "aegis.yaml:5:62: services[0].retryBackoff.jitter: unknown key \"jitter\"; expected one of: initial,"
                        + " multiplier, max");
    }

    @Test
    void readsTheRecoveryVerificationWindow() {
        AegisConfig config = parse(API + """
                    actions:
                      onFailure: notify
                      verifyWithin: 45s
                """);

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services().get(0).recoveryPolicy().verifyWithin()).isEqualTo(Duration.ofSeconds(45));
    }

    // ---- the seed project's example ------------------------------------------------------------------------

    @Test
    void loadsTheSeedProjectsExampleWithoutProblems() throws IOException {
        AegisConfig config = parse(seedConfig());

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.logLevel()).isEqualTo("info");
        assertThat(config.metricsEnabled()).isTrue();
        assertThat(config.metricsPort()).isEqualTo(9090);
        assertThat(config.services()).extracting(ServiceDefinition::name).containsExactly("example-service",
                "example-tcp-service", "example-grpc-service", "example-script-service");
    }

    @Test
    void readsEverySeedServiceFieldAsWritten() throws IOException {
        List<ServiceDefinition> services = parse(seedConfig()).services();

        ServiceDefinition http = services.get(0);
        assertThat(http.checkType()).isEqualTo("http");
        assertThat(http.endpoint()).isEqualTo("http://localhost:8081/health");
        assertThat(http.interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(http.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(http.retries()).isEqualTo(3);
        assertThat(http.onFailure()).isEqualTo("restart");
        assertThat(http.metadata()).containsExactlyInAnyOrderEntriesOf(
                Map.of("latency_threshold", "500", "error_rate_threshold", "0.05"));
        ServiceDefinition script = services.get(3);
        assertThat(script.checkType()).isEqualTo("script");
        assertThat(script.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(script.onFailure()).isEqualTo("notify");
        assertThat(script.metadata()).containsEntry("args", "-Service ExampleService -Timeout 5");
        assertThat(services.get(2).metadata()).containsEntry("service", "health.v1.HealthService");
    }

    @Test
    void keepsTheSeedsNotificationLogAndAnomalyBlocksForTheEngine() throws IOException {
        AegisConfig config = parse(seedConfig());

        Settings webhook = config.notifications().section("webhook").orElseThrow();
        assertThat(webhook.path()).isEqualTo("notifications.webhook");
        assertThat(webhook.string("endpoint")).contains("http://localhost:8080/webhook");
        assertThat(webhook.stringMap("headers")).containsEntry("Authorization", "Bearer example-token");
        assertThat(config.logs().duration("scan_interval")).contains(Duration.ofMinutes(1));
        assertThat(config.logs().sections("patterns").get(0).string("pattern"))
                .contains("(?i)(out of memory|java\\.lang\\.OutOfMemoryError)");
        assertThat(config.anomalyDetection().integer("history_size")).contains(100L);
        assertThat(config.anomalyDetection().section("thresholds").orElseThrow().sections("error_rate").get(0)
                .number("value")).contains(0.05);
    }

    @Test
    void seedServiceBlocksHaveNoUnknownKeysOnceLoaded() throws IOException {
        AegisConfig config = parse(seedConfig());

        for (ServiceDefinition service : config.services()) {
            assertThat(((TrackingSettings) service.settings()).unknownKeys()).as(service.name()).isEmpty();
        }
    }

    // ---- defaults -------------------------------------------------------------------------------------------

    @Test
    void usesDefaultsForEverythingLeftOut() {
        AegisConfig config = parse(API);

        assertThat(config.report().hasProblems()).isFalse();
        assertThat(config.logLevel()).isEqualTo("info");
        assertThat(config.metricsEnabled()).isTrue();
        assertThat(config.metricsPort()).isEqualTo(9090);
        ServiceDefinition api = config.services().get(0);
        assertThat(api.interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(api.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(api.retries()).isZero();
        assertThat(api.failureThreshold()).isEqualTo(1);
        assertThat(api.successThreshold()).isEqualTo(1);
        assertThat(api.initialDelay()).isZero();
        assertThat(api.startPeriod()).isZero();
        assertThat(api.onFailure()).isEqualTo("notify");
        assertThat(api.recoveryPolicy()).isEqualTo(RecoveryPolicy.ofDefaults());
        assertThat(api.metadata()).isEmpty();
        assertThat(api.runtimeSettings()).isEmpty();
        assertThat(config.notifications().keys()).isEmpty();
        assertThat(config.logs().keys()).isEmpty();
        assertThat(config.anomalyDetection().keys()).isEmpty();
    }

    @Test
    void anEmptyFileIsAnErrorThatSaysSo() {
        for (String empty : List.of("", "\n\n", "# nothing yet\n")) {
            AegisConfig config = parse(empty);

            assertThat(config.report().lines()).as("%s", empty).containsExactly("aegis.yaml: the configuration is"
                    + " empty (nothing but blank lines and comments); expected at least a services: list, see the"
                    + " Configuration section of the README");
            assertThat(config.services()).isEmpty();
            assertThat(config.logLevel()).isEqualTo("info");
        }
    }

    @Test
    void aFileWithoutServicesIsValidForAnEngineThatAddsServicesInCode() {
        assertThat(problems("notifications:\n  log: {}\n")).isEmpty();
        assertThat(problems("services: []\n")).isEmpty();
    }

    @Test
    void readsOurExtensionsToTheServiceBlock() {
        AegisConfig config = parse(API + """
                    failureThreshold: 3
                    successThreshold: 2
                    initialDelay: 2s
                    startPeriod: 1m30s
                    actions:
                      onFailure: restart
                      backoff: {initial: 2s, multiplier: 3, max: 1m}
                      resetAfter: 5m
                      budget: {max: 3, window: 30m}
                    runtime:
                      type: process
                      command: [java, -jar, api.jar]
                """);

        assertThat(config.report().lines()).isEmpty();
        ServiceDefinition api = config.services().get(0);
        assertThat(api.failureThreshold()).isEqualTo(3);
        assertThat(api.successThreshold()).isEqualTo(2);
        assertThat(api.initialDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(api.startPeriod()).isEqualTo(Duration.ofSeconds(90));
        assertThat(api.onFailure()).isEqualTo("restart");
        assertThat(api.recoveryPolicy()).isEqualTo(RecoveryPolicy.custom()
                .backoff(Duration.ofSeconds(2), 3, Duration.ofMinutes(1)).resetAfter(Duration.ofMinutes(5))
                .budget(3, Duration.ofMinutes(30)).build());
        assertThat(api.runtimeType()).contains("process");
        assertThat(api.runtimeSettings().orElseThrow().path()).isEqualTo("services[0].runtime");
        assertThat(api.runtimeSettings().orElseThrow().stringList("command")).containsExactly("java", "-jar", "api.jar");
        assertThat(api.actionSettings().path()).isEqualTo("services[0].actions");
    }

    @Test
    void acceptsLogLevelInAnyCaseAndReturnsItInLowerCase() {
        assertThat(parse("global: {logLevel: DEBUG}").logLevel()).isEqualTo("debug");
    }

    // ---- one test per kind of mistake, asserting the exact line ---------------------------------------------

    @Test
    void reportsABadDurationAtItsValue() {
        assertThat(problems("""
                global:
                  logLevel: info
                services:
                  - name: api
                    type: http
                    endpoint: http://localhost:8080/health
                    interval: 5 seconds
                """)).containsExactly(
                "aegis.yaml:7:15: services[0].interval: expected a duration like 500ms, 5s, 1m or 1h, found \"5 seconds\"");
    }

    @Test
    void reportsAnUnknownKeyInActionsWithTheKeyItProbablyMeant() {
        assertThat(problems(API + """
                    actions:
                      onFailur: restart
                """)).containsExactly(
                "aegis.yaml:6:7: services[0].actions.onFailur: unknown key \"onFailur\"; did you mean \"onFailure\"?");
    }

    @Test
    void reportsAnUnknownTopLevelKeyWithTheKeyItProbablyMeant() {
        assertThat(problems(API + "notification:\n  webhook: {enabled: false}\n")).containsExactly(
                "aegis.yaml:5:1: notification: unknown key \"notification\"; did you mean \"notifications\"?");
    }

    @Test
    void listsTheKnownKeysWhenNoneIsClose() {
        assertThat(problems("global:\n  colour: blue\n")).containsExactly("aegis.yaml:2:3: global.colour: unknown key"
                + " \"colour\"; expected one of: logLevel, metricsEnabled, metricsPort, metricsHost, stateDir,"
                + " maxConcurrentBlockingChecks, maxInFlightChecks, recovery, api");
    }

    @Test
    void leavesUnknownServiceKeysToTheEngineWhichAsksTrackingSettingsAfterThePluginsRead() {
        AegisConfig config = parse("""
                services:
                  - name: api
                    type: http
                    endpoint: http://localhost:8080/health
                    method: GET
                    intervall: 5s
                    metod: HEAD
                """);
        assertThat(config.report().lines()).isEmpty();

        Settings service = config.services().get(0).settings();
        service.string("method"); // what the http checker plugin reads
        ConfigReport report = config.report();
        report.addAll(((TrackingSettings) service).unknownKeys());

        assertThat(report.lines()).containsExactly(
                "aegis.yaml:6:5: services[0].intervall: unknown key \"intervall\"; did you mean \"interval\"?",
                "aegis.yaml:7:5: services[0].metod: unknown key \"metod\"; did you mean \"method\"?");
    }

    @Test
    void reportsAMissingEndpointAtTheServiceEntryAndLeavesTheServiceOut() {
        AegisConfig config = parse("""
                global: {logLevel: info}
                services:
                  - name: api
                    type: http
                  - name: web
                    type: tcp
                    endpoint: localhost:80
                """);

        assertThat(config.report().lines()).containsExactly(
                "aegis.yaml:3:5: services[0].endpoint: missing: expected what to check (a URL, host:port or script path)");
        assertThat(config.services()).extracting(ServiceDefinition::name).containsExactly("web");
    }

    @Test
    void reportsAMissingNameAndType() {
        assertThat(problems("services:\n  - endpoint: localhost:80\n")).containsExactly(
                "aegis.yaml:2:5: services[0].name: missing: expected a unique name for the service",
                "aegis.yaml:2:5: services[0].type: missing: expected a checker type such as http, tcp, grpc or script");
    }

    @Test
    void reportsADuplicateServiceNameAtTheSecondOne() {
        AegisConfig config = parse(API + """
                  - name: api
                    type: tcp
                    endpoint: localhost:80
                """);

        assertThat(config.report().lines()).containsExactly(
                "aegis.yaml:5:11: services[1].name: another service is already named \"api\" (services[0]); names must be unique");
        assertThat(config.services()).hasSize(1);
    }

    @Test
    void reportsNumbersOutOfRange() {
        assertThat(problems(API + """
                    retries: -1
                    failureThreshold: 0
                    successThreshold: two
                global:
                  metricsPort: 70000
                """)).containsExactly(
                "aegis.yaml:5:14: services[0].retries: expected a whole number of at least 0, found -1",
                "aegis.yaml:6:23: services[0].failureThreshold: expected a whole number of at least 1, found 0",
                "aegis.yaml:7:23: services[0].successThreshold: expected a whole number, found \"two\"",
                "aegis.yaml:9:16: global.metricsPort: expected a whole number from 0 to 65535, found 70000");
    }

    @Test
    void reportsAZeroIntervalAndABadLogLevel() {
        assertThat(problems(API + "    interval: 0s\nglobal:\n  logLevel: verbose\n  metricsEnabled: maybe\n"))
                .containsExactly(
                "aegis.yaml:5:15: services[0].interval: expected a duration above zero like 500ms, 5s, 1m or 1h, found \"0s\"",
                "aegis.yaml:7:13: global.logLevel: expected one of trace, debug, info, warn, error, found \"verbose\"",
                "aegis.yaml:8:19: global.metricsEnabled: expected true or false, found \"maybe\"");
    }

    @Test
    void fallsBackToDefaultsForValuesWithProblems() {
        AegisConfig config = parse(API + "    interval: soon\n    retries: many\nglobal: {metricsPort: -1}\n");

        assertThat(config.report().lines()).hasSize(3);
        assertThat(config.services().get(0).interval()).isEqualTo(ServiceDefinition.DEFAULT_INTERVAL);
        assertThat(config.services().get(0).retries()).isZero();
        assertThat(config.metricsPort()).isEqualTo(9090);
    }

    @Test
    void reportsRecoveryPolicyMistakesAtTheirKeys() {
        assertThat(problems(API + """
                    actions:
                      backoff: {initial: 10s, multiplier: 0.5, max: 5s}
                      budget:
                        max: 0
                        window: 0s
                """)).containsExactly(
                "aegis.yaml:6:43: services[0].actions.backoff.multiplier: expected a number of at least 1, found 0.5",
                "aegis.yaml:6:53: services[0].actions.backoff.max: expected a duration of at least backoff.initial (10s),"
                        + " found \"5s\"",
                "aegis.yaml:8:14: services[0].actions.budget.max: expected a whole number of at least 1, found 0",
                "aegis.yaml:9:17: services[0].actions.budget.window: expected a duration above zero like 500ms, 5s,"
                        + " 1m or 1h, found \"0s\"");
    }

    @Test
    void reportsARuntimeWithoutTypeAndKeepsTheServiceWithoutRuntime() {
        AegisConfig config = parse(API + "    runtime:\n      command: [java, -jar, api.jar]\n");

        assertThat(config.report().lines()).containsExactly(
                "aegis.yaml:5:5: services[0].runtime.type: missing: expected a runtime type such as process or docker");
        assertThat(config.services().get(0).runtimeSettings()).isEmpty();
        assertThat(((TrackingSettings) config.services().get(0).settings()).unknownKeys()).isEmpty();
    }

    @Test
    void reportsABlockOfTheWrongShape() {
        assertThat(problems(API + "    actions: restart\n    metadata: [a, b]\n")).containsExactly(
                "aegis.yaml:5:14: services[0].actions: expected a mapping, found \"restart\"",
                "aegis.yaml:6:5: services[0].metadata: expected a mapping of names to values, found a list");
    }

    @Test
    void reportsAServicesEntryThatIsNotAMappingAndKeepsTheOthers() {
        AegisConfig config = parse(API + "  - just-a-name\n");

        assertThat(config.report().lines()).containsExactly(
                "aegis.yaml:5:5: services[1]: expected a mapping, found \"just-a-name\"");
        assertThat(config.services()).hasSize(1);
    }

    @Test
    void reportsANotifierBlockThatIsNotAMapping() {
        assertThat(problems("""
                notifications:
                  webhook: {endpoint: http://localhost:8080/hook}
                  log: yes please
                """)).containsExactly(
                "aegis.yaml:3:8: notifications.log: expected a mapping with the settings of notifier \"log\""
                        + " (log: {} for its defaults), found \"yes please\"");
    }

    @Test
    void acceptsAnyNotifierBlockThatIsAMappingAndLeavesItsKeysToThePlugin() {
        AegisConfig config = parse("notifications:\n  alertmanager: {url: http://am:9093, anything: 1}\n  log: {}\n");

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.notifications().keys()).containsExactly("alertmanager", "log");
    }

    @Test
    void reportsLogAnalysisMistakes() {
        assertThat(problems(API + """
                logs:
                  enabled: true
                  scan_interval: often
                  files:
                    - service: apii
                      path: /var/log/api.log
                  patterns:
                    - name: oom
                      pattern: "(out of memory"
                      severity: FATAL
                    - pattern: x
                      desciption: typo
                """)).containsExactly(
                "aegis.yaml:7:18: logs.scan_interval: expected a duration like 500ms, 5s, 1m or 1h, found \"often\"",
                "aegis.yaml:13:16: logs.patterns[0].pattern: expected a regular expression, found \"(out of memory\""
                        + " (Unclosed group near index 14)",
                "aegis.yaml:14:17: logs.patterns[0].severity: expected one of INFO, WARNING, CRITICAL, found \"FATAL\"",
                "aegis.yaml:15:7: logs.patterns[1].name: missing: expected a name for the pattern",
                "aegis.yaml:16:7: logs.patterns[1].desciption: unknown key \"desciption\"; did you mean \"description\"?");
    }

    @Test
    void reportsAnomalyDetectionMistakes() {
        assertThat(problems(API + """
                anomaly_detection:
                  history_size: 0
                  thresholds:
                    error_rate:
                      - {service: api, value: 5}
                    latency:
                      - {service: web, value: -1}
                    throughput:
                      - service: api
                    saturation: []
                """)).containsExactly(
                "aegis.yaml:6:17: anomaly_detection.history_size: expected a whole number from 1 to 1000000, found 0",
                "aegis.yaml:9:31: anomaly_detection.thresholds.error_rate[0].value: expected a fraction from 0 to 1"
                        + " (0.05 is 5%), found 5",
                "aegis.yaml:11:19: anomaly_detection.thresholds.latency[0].service: no service named \"web\""
                        + " (services: api)",
                "aegis.yaml:11:31: anomaly_detection.thresholds.latency[0].value: expected a latency in milliseconds"
                        + " (a number of at least 0, such as 500), found -1",
                "aegis.yaml:13:9: anomaly_detection.thresholds.throughput[0].value: missing: expected requests per"
                        + " second (a number of at least 0, such as 10)",
                "aegis.yaml:14:5: anomaly_detection.thresholds.saturation: unknown key \"saturation\"; expected one of:"
                        + " latency, error_rate, throughput");
    }

    @Test
    void reportsMistakesInTheAnomalyDetectionSettingsBeyondTheSeeds() {
        assertThat(problems(API + """
                anomaly_detection:
                  sensitivity: 0
                  warmUp: -2
                  for: zero
                  resolveAfter: 0s
                  baselines: maybe
                  severity: loud
                  action: reboot
                  detectionInterval: 10s
                  detection_interval: 5s
                """)).containsExactly(
                "aegis.yaml:6:16: anomaly_detection.sensitivity: expected how many standard deviations from the"
                        + " baseline's mean are still normal, a number above 0 such as 3, found 0",
                "aegis.yaml:7:11: anomaly_detection.warmUp: expected a whole number from 1 to 10000, found -2",
                "aegis.yaml:8:8: anomaly_detection.for: expected a whole number, found \"zero\"",
                "aegis.yaml:9:17: anomaly_detection.resolveAfter: expected a duration above zero like 500ms, 5s, 1m"
                        + " or 1h, found \"0s\"",
                "aegis.yaml:10:14: anomaly_detection.baselines: expected true or false, found \"maybe\"",
                "aegis.yaml:11:13: anomaly_detection.severity: expected one of INFO, WARNING, CRITICAL, found \"loud\"",
                "aegis.yaml:12:11: anomaly_detection.action: expected none (an event, DEGRADED and an alert only),"
                        + " restart (restart the workload, with the backoff and budget of its recovery) or ladder (start"
                        + " the service's actions.onFailure ladder, as a failed check would), found \"reboot\"",
                "aegis.yaml:13:22: anomaly_detection.detectionInterval: expected only one of detection_interval and"
                        + " detectionInterval (two spellings of the same setting), found \"10s\"");
    }

    @Test
    void reportsEveryMistakeAtOnceSortedByLine() {
        assertThat(problems("""
                global:
                  metricsPort: ninety
                services:
                  - name: api
                    type: http
                    endpoint: http://localhost:8080/health
                    timeout: 5 seconds
                    actions:
                      onFailur: restart
                """)).containsExactly(
                "aegis.yaml:2:16: global.metricsPort: expected a whole number, found \"ninety\"",
                "aegis.yaml:7:14: services[0].timeout: expected a duration like 500ms, 5s, 1m or 1h, found \"5 seconds\"",
                "aegis.yaml:9:7: services[0].actions.onFailur: unknown key \"onFailur\"; did you mean \"onFailure\"?");
    }

    @Test
    void reportsADuplicateKey() {
        assertThat(problems(API + "    type: tcp\n")).containsExactly(
                "aegis.yaml:5:5: services[0].type: duplicate key \"type\"; it is already set on line 3 (remove one of them)");
    }

    // ---- what cannot be loaded at all -----------------------------------------------------------------------

    @Test
    void throwsAtOnceWithFileLineAndColumnWhenTheTextIsNotYaml() {
        assertThatThrownBy(() -> parse("services:\n  - name: api\n    type: http: tcp\n"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("invalid configuration: 1 error\n"
                        + "  aegis.yaml:3:15: not valid YAML: mapping values are not allowed here");
    }

    @Test
    void throwsAtOnceWhenTheFileDoesNotExist(@TempDir Path dir) {
        Path missing = dir.resolve("aegis.yaml");

        assertThatThrownBy(() -> AegisConfig.load(missing, Map.of()))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly(missing + ": cannot read the configuration file: the file does not exist"));
    }

    @Test
    void aFileFarPastTheSizeLimitFailsAfterReadingOnlyTheLimit(@TempDir Path dir) throws IOException {
        // 3 GiB of NUL characters, sparse, so it costs no disk: read whole (as before) it was an OutOfMemoryError;
        // /dev/zero, endless, filled the heap before failing.
        Path file = dir.resolve("aegis.yaml");
        try (java.io.RandomAccessFile sparse = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(3L << 30);
        }

        assertThatThrownBy(() -> AegisConfig.load(file, Map.of()))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly(file + ": the configuration is too large: more than 6291456 characters,"
                                + " and at most 3145728 (3 MiB) are read; share repeated settings with an anchor and"
                                + " merge keys (<<: *defaults), or split the services between several aegis"));
    }

    @Test
    void loadsAFileAndNamesItInMessages(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("aegis.yaml");
        Files.writeString(file, API + "    retries: -2\n");

        AegisConfig config = AegisConfig.load(file, Map.of());

        assertThat(config.origin()).isEqualTo(file.toString());
        assertThat(config.report().lines()).containsExactly(
                file + ":5:14: services[0].retries: expected a whole number of at least 0, found -2");
    }

    @Test
    void throwIfProblemsListsEveryLineUnderACount() {
        ConfigReport report = parse(API + "    retries: -1\n    interval: x\n").report();

        assertThatThrownBy(report::throwIfProblems).isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("invalid configuration: 2 errors\n"
                        + "  aegis.yaml:5:14: services[0].retries: expected a whole number of at least 0, found -1\n"
                        + "  aegis.yaml:6:15: services[0].interval: expected a duration like 500ms, 5s, 1m or 1h,"
                        + " found \"x\"");
    }

    @Test
    void eachReportIsANewCopyForTheEngineToAddTo() {
        AegisConfig config = parse(API);
        ConfigReport first = config.report();
        first.add(new ConfigProblem("services[0].type", "unknown checker type \"htp\""));

        assertThat(first.lines()).containsExactly("aegis.yaml:3:11: services[0].type: unknown checker type \"htp\"");
        assertThat(config.report().hasProblems()).isFalse();
    }

    // ---- the environment ------------------------------------------------------------------------------------

    @Test
    void substitutesEnvironmentVariablesInValues() {
        AegisConfig config = parse("""
                services:
                  - name: api
                    type: http
                    endpoint: http://${API_HOST}:${API_PORT:-8080}/health
                    interval: ${API_INTERVAL:-5s}
                notifications:
                  webhook:
                    endpoint: https://hooks.example.com/x
                    headers: {Authorization: "Bearer ${TOKEN}", Cost: "$$5"}
                """, Map.of("API_HOST", "10.0.0.7", "TOKEN", "s3cret"));

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services().get(0).endpoint()).isEqualTo("http://10.0.0.7:8080/health");
        assertThat(config.services().get(0).interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.notifications().section("webhook").orElseThrow().stringMap("headers"))
                .containsEntry("Authorization", "Bearer s3cret").containsEntry("Cost", "$5");
    }

    @Test
    void reportsAnUnsetVariableAtTheValueThatUsesIt() {
        assertThat(problems(API + "    timeout: ${CHECK_TIMEOUT}\n")).containsExactly(
                "aegis.yaml:5:14: services[0].timeout: environment variable CHECK_TIMEOUT is not set"
                        + " (use ${CHECK_TIMEOUT:-default} to give a default)");
    }

    @Test
    void reportsAnUnsetVariableInARequiredValueOnce() {
        AegisConfig config = parse("""
                services:
                  - name: api
                    type: http
                    endpoint: http://${API_HOST}/health
                """);

        assertThat(config.report().lines()).containsExactly("aegis.yaml:4:15: services[0].endpoint: environment"
                + " variable API_HOST is not set (use ${API_HOST:-default} to give a default)");
        assertThat(config.services()).isEmpty();
    }

    @Test
    void substitutedTextGoesThroughTheSameChecks() {
        // a value from the environment is masked in the message like any other: it may be a secret
        assertThat(problems("global:\n  metricsPort: ${PORT}\n", Map.of("PORT", "99999"))).containsExactly(
                "aegis.yaml:2:16: global.metricsPort: expected a whole number from 0 to 65535, found ***");
        assertThat(parse("global:\n  metricsPort: ${PORT}\n", Map.of("PORT", "8081")).metricsPort()).isEqualTo(8081);
    }

    @Test
    void environmentOverridesTheFile() {
        AegisConfig config = parse("""
                global:
                  logLevel: info
                services:
                  - name: my-api.v2
                    type: http
                    endpoint: http://localhost:8080/health
                    interval: 5s
                """, Map.of("AEGIS_LOG_LEVEL", "debug", "AEGIS_METRICS_PORT", "9191", "AEGIS_METRICS_ENABLED", "false",
                "AEGIS_SERVICE_MY_API_V2_INTERVAL", "1m", "AEGIS_SERVICE_MY_API_V2_FAILURE_THRESHOLD", "3",
                "AEGIS_SERVICE_MY_API_V2_ON_FAILURE", "restart", "AEGIS_SERVICE_MY_API_V2_ENDPOINT", "http://api:80/",
                "AEGIS_HOME", "/opt/aegis", "PATH", "/usr/bin"));

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.logLevel()).isEqualTo("debug");
        assertThat(config.metricsPort()).isEqualTo(9191);
        assertThat(config.metricsEnabled()).isFalse();
        ServiceDefinition api = config.services().get(0);
        assertThat(api.interval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(api.failureThreshold()).isEqualTo(3);
        assertThat(api.onFailure()).isEqualTo("restart");
        assertThat(api.endpoint()).isEqualTo("http://api:80/");
    }

    @Test
    void environmentCanSupplyARequiredValueMissingFromTheFile() {
        AegisConfig config = parse("services:\n  - name: api\n    type: http\n",
                Map.of("AEGIS_SERVICE_API_ENDPOINT", "http://localhost/health"));

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services().get(0).endpoint()).isEqualTo("http://localhost/health");
    }

    @Test
    void reportsABadOverrideAsTheEnvironmentsFault() {
        assertThat(problems(API + "    interval: 5s\n", Map.of("AEGIS_SERVICE_API_INTERVAL", "abc",
                "AEGIS_METRICS_PORT", "http"))).containsExactly(
                "environment: AEGIS_METRICS_PORT: expected a whole number, found \"http\"",
                "environment: AEGIS_SERVICE_API_INTERVAL: expected a duration like 500ms, 5s, 1m or 1h, found \"abc\"");
    }

    @Test
    void reportsAnOverrideForAServiceThatDoesNotExist() {
        assertThat(problems(API + "  - {name: web, type: tcp, endpoint: 'localhost:80'}\n",
                Map.of("AEGIS_SERVICE_APII_INTERVAL", "5s"))).containsExactly(
                "environment: AEGIS_SERVICE_APII_INTERVAL: no service named like \"APII\" (services: API, WEB)");
    }

    @Test
    void reportsAnOverrideOfAnUnknownField() {
        assertThat(problems(API, Map.of("AEGIS_SERVICE_API_INTERVALL", "5s"))).containsExactly(
                "environment: AEGIS_SERVICE_API_INTERVALL: unknown field \"INTERVALL\" of service API; did you mean"
                        + " INTERVAL? (fields: TYPE, ENDPOINT, INTERVAL, TIMEOUT, RETRIES, FAILURE_THRESHOLD,"
                        + " SUCCESS_THRESHOLD, INITIAL_DELAY, START_PERIOD, ON_FAILURE)");
    }

    @Test
    void matchesTheLongestServiceNameInAnOverride() {
        AegisConfig config = parse(API + "  - {name: api_v2, type: tcp, endpoint: 'localhost:80'}\n",
                Map.of("AEGIS_SERVICE_API_V2_TIMEOUT", "1s"));

        assertThat(config.report().lines()).isEmpty();
        assertThat(config.services().get(0).timeout()).isEqualTo(ServiceDefinition.DEFAULT_TIMEOUT);
        assertThat(config.services().get(1).timeout()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void anOverrideMatchingTwoServicesIsAnErrorNamingBoth() {
        AegisConfig config = parse("""
                services:
                  - {name: my-svc, type: tcp, endpoint: 'localhost:80'}
                  - {name: my.svc, type: tcp, endpoint: 'localhost:81'}
                """, Map.of("AEGIS_SERVICE_MY_SVC_INTERVAL", "1s"));

        assertThat(config.report().lines()).containsExactly("environment: AEGIS_SERVICE_MY_SVC_INTERVAL: matches 2"
                + " services, \"my-svc\" (services[0]) and \"my.svc\" (services[1]), whose names both become MY_SVC in"
                + " a variable name; it was applied to none of them: rename the services so that they differ in more"
                + " than punctuation");
        assertThat(config.services()).extracting(ServiceDefinition::interval)
                .containsOnly(ServiceDefinition.DEFAULT_INTERVAL);
    }

    // ---- durations as the original (Go) project wrote them -------------------------------------------------

    @Test
    void readsGoDurationsAndAnUnquotedZero() {
        AegisConfig config = parse(API + """
                    interval: 1m30.5s
                    timeout: 1.5s
                    initialDelay: 0
                    retryBackoff: {initial: 300ms, max: 2h45m}
                    actions: {resetAfter: 1h30m}
                """);

        assertThat(config.report().lines()).isEmpty();
        ServiceDefinition api = config.services().get(0);
        assertThat(api.interval()).isEqualTo(Duration.ofMillis(90_500));
        assertThat(api.timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(api.initialDelay()).isZero();
        assertThat(api.retryBackoff().initial()).isEqualTo(Duration.ofMillis(300));
        assertThat(api.retryBackoff().max()).isEqualTo(Duration.ofMinutes(165));
        assertThat(api.recoveryPolicy().resetAfter()).isEqualTo(Duration.ofMinutes(90));
    }

    @Test
    void saysABackoffMustBeAtLeastOneMillisecondSinceItCountsWholeMilliseconds() {
        assertThat(problems(API + """
                    retryBackoff: {initial: 500us}
                    actions: {backoff: {initial: 0.5ms}}
                """)).containsExactly(
                "aegis.yaml:5:29: services[0].retryBackoff.initial: expected a duration of at least 1ms (backoff delays"
                        + " are counted in whole milliseconds), found \"500us\"",
                "aegis.yaml:6:34: services[0].actions.backoff.initial: expected a duration of at least 1ms (backoff"
                        + " delays are counted in whole milliseconds), found \"0.5ms\"");
        assertThatThrownBy(() -> RetryBackoff.of(Duration.ofNanos(500_000), 2, Duration.ofSeconds(1)))
                .hasMessage("retryBackoff.initial must be at least 1ms, got PT0.0005S");
        assertThatThrownBy(() -> RecoveryPolicy.custom().backoff(Duration.ofNanos(500_000), 2, Duration.ofSeconds(1)))
                .hasMessage("backoff.initial must be at least 1ms, got PT0.0005S");
    }

    @Test
    void anIntervalUnderOneMillisecondIsAnError() {
        // interval: 1ns kept both cores busy and delayed another service's first check by 5 s.
        assertThat(problems(API + "    interval: 1ns\n")).containsExactly("aegis.yaml:5:15: services[0].interval:"
                + " expected a duration of at least 1ms (a faster tick keeps aegis' scheduler busy without pause and"
                + " delays the checks of every other service), found \"1ns\"");
        assertThat(problems(API + "    interval: 1ms\n")).isEmpty();
        assertThatThrownBy(() -> ServiceDefinition.builder("api").interval(Duration.ofNanos(999_999)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("interval must be at least 1ms");
    }

    @Test
    void rejectsANegativeDurationSayingSo() {
        assertThat(problems(API + "    interval: -5s\n")).containsExactly("aegis.yaml:5:15: services[0].interval:"
                + " expected a duration like 500ms, 5s, 1m or 1h, found \"-5s\" (a duration cannot be negative)");
    }

    // ---- service names -----------------------------------------------------------------------------------

    @Test
    void rejectsAServiceNameWithControlCharactersWithoutPrintingThem() {
        List<String> problems = problems("""
                services:
                  - name: "api\\n2026-11-30T12:00:00Z [INFO] ServiceMonitor - db: UNHEALTHY -> HEALTHY"
                    type: http
                    endpoint: http://localhost:8080/health
                """);

        assertThat(problems).containsExactly("aegis.yaml:2:11: services[0].name: expected a service name of 1 to 63"
                + " ASCII letters, digits, '.', '_' or '-', starting with a letter or digit, found"
                + " \"api\\n2026-11-30T12:00:00Z [INFO] ServiceMonitor - db: UNHEALTHY -> HEALTHY\"");
    }

    @Test
    void aServiceWithABadNameIsStillCheckedSoEveryMistakeIsReportedAtOnce() {
        AegisConfig config = parse("""
                services:
                  - name: "my svc"
                    type: htp
                    endpoint: http://localhost:8080/health
                """);

        assertThatThrownBy(() -> Engine.builder().config(config).metricsEnabled(false).build())
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors()).satisfiesExactly(
                        name -> assertThat(name).startsWith("aegis.yaml:2:11: services[0].name: expected a service"
                                + " name of"),
                        type -> assertThat(type).startsWith("aegis.yaml:3:11: services[0].type: unknown checker type"
                                + " \"htp\"")));
    }

    @Test
    void rejectsServiceNamesOutsideTheRule() {
        for (String name : List.of("'my svc'", "-api", ".hidden", "api/v2", "\"caf\u00e9\"", "x".repeat(64))) {
            assertThat(problems("services:\n  - {name: " + name + ", type: tcp, endpoint: 'localhost:80'}\n"))
                    .as(name).singleElement().asString().contains("services[0].name: expected a service name of 1 to"
                            + " 63 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit, found");
        }
    }

    @Test
    void acceptsTheSeedsAndTheExamplesServiceNames() {
        for (String name : List.of("example-service", "example-tcp-service", "demo-port", "my-api.v2", "api_v2", "9lives",
                "x".repeat(63))) {
            assertThat(problems("services:\n  - {name: " + name + ", type: tcp, endpoint: 'localhost:80'}\n"))
                    .as(name).isEmpty();
        }
    }

    @Test
    void aServiceDefinedInCodeFollowsTheSameNameRule() {
        assertThatThrownBy(() -> ServiceDefinition.builder("api\r\nforged"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name \"api\\r\\nforged\" is not a valid service name: use 1 to 63 ASCII letters, digits,"
                        + " '.', '_' or '-', starting with a letter or digit");
        assertThat(ServiceDefinition.builder("my-api.v2").check("tcp", "localhost:80").build().name())
                .isEqualTo("my-api.v2");
    }
}
