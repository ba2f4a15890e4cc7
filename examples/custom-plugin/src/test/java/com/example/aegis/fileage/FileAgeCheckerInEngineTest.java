package com.example.aegis.fileage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aegis.api.RuntimeOperation;
import io.aegis.core.ServiceState;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.testkit.engine.EngineHarness;
import io.aegis.core.event.StateChanged;
import io.aegis.core.AegisConfig;
import io.aegis.core.Engine;
import io.aegis.core.InvalidConfigurationException;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin inside the real engine, found by {@code ServiceLoader} exactly as when its jar is installed next to
 * {@code aegis}: nothing here names {@link FileAgeCheckerFactory}.
 */
class FileAgeCheckerInEngineTest {
    @TempDir
    Path dir;

    @Test
    void aStaleHeartbeatTurnsTheServiceUnhealthyAndTheEngineRestartsItsWorkload() throws Exception {
        Path heartbeat = Files.writeString(dir.resolve("app.heartbeat"), "alive\n");

        try (EngineHarness harness = EngineHarness.start(ServiceDefinition.builder("heartbeat")
                .check("file-age", heartbeat.toString())
                .checkerSetting("maxAge", "2s")
                .interval(Duration.ofMillis(100))
                .startPeriod(Duration.ZERO)
                .onFailure("restart")
                .runtime("fake", Map.of()))) {
            harness.awaitState("heartbeat", ServiceState.HEALTHY);

            // The writer "stopped" 95 seconds ago.
            Files.setLastModifiedTime(heartbeat, FileTime.from(Instant.now().minusSeconds(95)));

            StateChanged unhealthy = harness.awaitState("heartbeat", ServiceState.UNHEALTHY);
            assertThat(unhealthy.cause()).contains(heartbeat + " is 95s old (max 2s)");
            harness.await(RecoveryStarted.class, started -> started.serviceName().equals("heartbeat"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(harness.runtime("heartbeat").calls()).contains(RuntimeOperation.RESTART));
        }
    }

    @Test
    void onVirtualTimeTheServiceKeepsItsRealIntervalAndTurnsUnhealthyAtItsThirdStaleCheck() throws Exception {
        Path heartbeat = Files.writeString(dir.resolve("app.heartbeat"), "alive\n");

        // The interval and threshold an operator would write; the clock moves only when the test says so.
        try (EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("heartbeat")
                .check("file-age", heartbeat.toString())
                .checkerSetting("maxAge", "2m")
                .interval(Duration.ofSeconds(30))
                .failureThreshold(3)
                .retries(0)
                .onFailure("restart")
                .runtime("fake", Map.of()))) {
            harness.advanceUntilState("heartbeat", ServiceState.HEALTHY, Duration.ofMinutes(1));
            harness.advance(Duration.ofHours(1));
            assertThat(harness.events(StateChanged.class)).extracting(StateChanged::to)
                    .containsExactly(ServiceState.STARTING, ServiceState.HEALTHY);
            Instant stoppedWriting = harness.now();

            Files.setLastModifiedTime(heartbeat, FileTime.from(Instant.now().minusSeconds(300)));

            StateChanged unhealthy = harness.advanceUntilState("heartbeat", ServiceState.UNHEALTHY,
                    Duration.ofMinutes(5));
            assertThat(Duration.between(stoppedWriting, unhealthy.at())).isBetween(Duration.ofSeconds(60),
                    Duration.ofSeconds(90));
            assertThat(unhealthy.cause()).contains("3 failed checks in a row");
            harness.advanceUntil(RecoveryStarted.class, started -> started.serviceName().equals("heartbeat"),
                    Duration.ofMinutes(1));
            assertThat(harness.runtime("heartbeat").calls()).contains(RuntimeOperation.RESTART);
        }
    }

    @Test
    void yamlConfigurationWithTypeFileAgeLoadsWithoutErrors() throws Exception {
        Path config = writeConfig("maxAge: 5s");

        try (Engine engine = Engine.builder().config(load(config)).build()) {
            assertThat(engine.services()).extracting(ServiceSnapshot::name).containsExactly("heartbeat");
        }
    }

    @Test
    void misspelledMaxAgeInYamlIsReportedAsAnUnknownKeyWithASuggestion() throws Exception {
        Path config = writeConfig("maxAg: 5s");

        assertThatThrownBy(() -> Engine.builder().config(load(config)).build())
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly(config + ":8:5: services[0].maxAg: unknown key \"maxAg\";"
                                + " did you mean \"maxAge\"?"));
    }

    /**
     * The file as the engine reads it, without the user's {@code AEGIS_*} overrides, its state (of a file without
     * {@code global.stateDir}) in the test's folder rather than in {@code ~/.local/state/aegis}.
     */
    private AegisConfig load(Path config) {
        return AegisConfig.load(config, Map.of("XDG_STATE_HOME", dir.resolve("xdg-state").toString()));
    }

    private Path writeConfig(String maxAgeLine) throws Exception {
        return Files.writeString(dir.resolve("aegis.yaml"), String.join("\n",
                "global:",
                "  metricsEnabled: false",
                "services:",
                "  - name: heartbeat",
                "    type: file-age",
                "    endpoint: " + dir.resolve("app.heartbeat"),
                "    interval: 5s",
                "    " + maxAgeLine,
                "    actions: {onFailure: ignore}",
                ""));
    }
}
