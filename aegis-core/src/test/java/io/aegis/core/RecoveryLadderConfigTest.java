package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code actions.onFailure} as a ladder, {@code restart.attempts}, {@code global.recovery}, as read and checked. */
class RecoveryLadderConfigTest {
    private static final String SERVICE = """
            services:
              - name: api
                type: http
                endpoint: http://localhost:8080/health
                runtime: {type: test-basic}
                actions:
            """;

    @TempDir
    Path tempDir;

    private static AegisConfig parse(String yaml) {
        return AegisConfig.parse(yaml, "aegis.yaml", Map.of());
    }

    @Test
    void readsAListOfActionsAsTheLadderAndRestartAttempts() {
        AegisConfig config = parse(SERVICE + """
                      onFailure: [restart, rollback, isolate, notify]
                      restart: {attempts: 2}
                """);

        assertThat(config.report().lines()).isEmpty();
        ServiceDefinition api = config.services().get(0);
        assertThat(api.ladder()).containsExactly("restart", "rollback", "isolate", "notify");
        assertThat(api.onFailure()).isEqualTo("restart");
        assertThat(api.recoveryPolicy().restartAttempts()).isEqualTo(2);
    }

    @Test
    void aSingleNameIsAOneStepLadderWithTheDefaultRestartAttempts() {
        ServiceDefinition api = parse(SERVICE + "      onFailure: restart\n").services().get(0);

        assertThat(api.ladder()).containsExactly("restart");
        assertThat(api.recoveryPolicy().restartAttempts()).isEqualTo(RecoveryPolicy.DEFAULT_RESTART_ATTEMPTS);
    }

    @Test
    void reportsAnEmptyLadderAStepThatIsNotANameAndAttemptsBelowOne() {
        assertThat(parse(SERVICE + "      onFailure: []\n").report().lines()).containsExactly(
                "aegis.yaml:7:7: services[0].actions.onFailure: expected at least one recovery action, such as"
                        + " [restart, notify], found an empty list");
        assertThat(parse(SERVICE + "      onFailure: [restart, {x: 1}]\n").report().lines()).singleElement()
                .asString().startsWith("aegis.yaml:7:").contains("services[0].actions.onFailure[1]: expected the name"
                        + " of a recovery action");
        assertThat(parse(SERVICE + "      restart: {attempts: 0}\n").report().lines()).containsExactly(
                "aegis.yaml:7:27: services[0].actions.restart.attempts: expected a whole number of at least 1, found 0");
    }

    @Test
    void reportsEveryStepThatIsNotANameAtOnce() {
        assertThat(parse(SERVICE + "      onFailure: [restart, 7, \"\", notify, {x: 1}, null]\n").report().lines())
                .containsExactly(
                        "aegis.yaml:7:28: services[0].actions.onFailure[1]: expected the name of a recovery action such"
                                + " as restart, rollback, isolate or notify, found 7",
                        "aegis.yaml:7:31: services[0].actions.onFailure[2]: expected the name of a recovery action such"
                                + " as restart, rollback, isolate or notify, found \"\"",
                        "aegis.yaml:7:43: services[0].actions.onFailure[4]: expected the name of a recovery action such"
                                + " as restart, rollback, isolate or notify, found a mapping",
                        "aegis.yaml:7:51: services[0].actions.onFailure[5]: expected the name of a recovery action such"
                                + " as restart, rollback, isolate or notify, found nothing");
    }

    @Test
    void readsTheFleetWideRecoveryLimitWithADefaultOfTen() {
        assertThat(parse(SERVICE + "      onFailure: restart\n").maxConcurrentRecoveries()).isEqualTo(10);
        assertThat(parse("global:\n  recovery: {maxConcurrent: 5}\n" + SERVICE + "      onFailure: restart\n")
                .maxConcurrentRecoveries()).isEqualTo(5);
        assertThat(parse("global:\n  recovery: {maxConcurrent: 0}\n" + SERVICE + "      onFailure: restart\n")
                .report().lines()).singleElement().asString()
                .contains("global.recovery.maxConcurrent: expected a whole number of at least 1");
    }

    @Test
    void anUnknownActionInAOneElementListIsReportedAtTheElement() throws Exception {
        Path file = tempDir.resolve("aegis.yaml");
        Files.writeString(file, SERVICE + "      onFailure: [restartt]\n");

        assertThatThrownBy(() -> Engine.builder().metricsEnabled(false).config(file).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).errors()).singleElement()
                        .asString().startsWith(file + ":7:19: services[0].actions.onFailure[0]: unknown recovery action"
                                + " \"restartt\"").contains("did you mean \"restart\"?"));
    }

    @Test
    void aStepTheRuntimeCannotDoIsAConfigErrorNamingServiceStepAndRuntime() throws Exception {
        Path file = tempDir.resolve("aegis.yaml");
        Files.writeString(file, SERVICE + "      onFailure: [restart, rollback, isolate]\n");

        assertThatThrownBy(() -> Engine.builder().metricsEnabled(false).config(file).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).errors()).containsExactly(
                        file + ":7:28: services[0].actions.onFailure[1]: service \"api\": step \"rollback\" needs the"
                                + " runtime to rollback, and runtime \"test-basic\" cannot (it supports start, stop,"
                                + " restart); remove the step from onFailure, or use a runtime that supports it",
                        file + ":7:38: services[0].actions.onFailure[2]: service \"api\": step \"isolate\" needs the"
                                + " runtime to isolate, and runtime \"test-basic\" cannot (it supports start, stop,"
                                + " restart); remove the step from onFailure, or use a runtime that supports it"));
    }

    @Test
    void warnsThatAStepAfterIsolateNeverRuns() {
        ServiceDefinition api = ServiceDefinition.builder("api").check("http", "http://localhost:8080/health")
                .onFailure("restart", "isolate", "notify").build();

        assertThat(io.aegis.core.internal.config.ServiceWarnings.of(api)).singleElement().satisfies(warning -> {
            assertThat(warning.keyPath()).isEqualTo("services[api].actions.onFailure[2]");
            assertThat(warning.message()).startsWith("\"notify\" comes after isolate and will never run");
        });
    }

    @Test
    void aLadderDefinedInCodeIsCheckedTheSameWay() {
        ServiceDefinition api = ServiceDefinition.builder("api").check("http", "http://localhost:8080/health")
                .onFailure("restart", "rollback").restartAttempts(4).runtime("test-basic", Map.of()).build();

        assertThat(api.ladder()).containsExactly("restart", "rollback");
        assertThat(api.recoveryPolicy().restartAttempts()).isEqualTo(4);
        assertThatThrownBy(() -> Engine.builder().metricsEnabled(false).service(api).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).errors()).singleElement().asString()
                        .startsWith("services[api].actions.onFailure[1]: service \"api\": step \"rollback\""));
        assertThatThrownBy(() -> ServiceDefinition.builder("api").ladder(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Engine.builder().maxConcurrentRecoveries(3)).isNotNull();
        assertThatThrownBy(() -> Engine.builder().maxConcurrentRecoveries(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThat(RecoveryPolicy.custom().verifyWithin(Duration.ofSeconds(1)).build().restartAttempts()).isEqualTo(3);
    }
}
