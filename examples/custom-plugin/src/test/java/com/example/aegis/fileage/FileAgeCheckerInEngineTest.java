package com.example.aegis.fileage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aegis.core.ServiceState;
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
import java.util.concurrent.CopyOnWriteArrayList;
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
    void engineReportsTheServiceUnhealthyOnceItsHeartbeatFileGoesStale() throws Exception {
        Path heartbeat = Files.writeString(dir.resolve("app.heartbeat"), "alive\n");
        List<StateChanged> changes = new CopyOnWriteArrayList<>();

        try (Engine engine = Engine.builder()
                .metricsEnabled(false)
                .service(ServiceDefinition.builder("heartbeat")
                        .check("file-age", heartbeat.toString())
                        .checkerSetting("maxAge", "2s")
                        .interval(Duration.ofMillis(100))
                        .onFailure("ignore")
                        .build())
                .listener(StateChanged.class, changes::add)
                .build()
                .start()) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> changes.stream().anyMatch(change -> change.to() == ServiceState.HEALTHY));

            // The writer "stopped" 95 seconds ago.
            Files.setLastModifiedTime(heartbeat, FileTime.from(Instant.now().minusSeconds(95)));

            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(changes).anySatisfy(change -> {
                        assertThat(change.serviceName()).isEqualTo("heartbeat");
                        assertThat(change.to()).isEqualTo(ServiceState.UNHEALTHY);
                        assertThat(change.cause()).contains(heartbeat + " is 95s old (max 2s)");
                    }));
        }
    }

    @Test
    void yamlConfigurationWithTypeFileAgeLoadsWithoutErrors() throws Exception {
        Path config = writeConfig("maxAge: 5s");

        try (Engine engine = Engine.builder().config(AegisConfig.load(config, Map.of())).build()) {
            assertThat(engine.services()).extracting(ServiceSnapshot::name).containsExactly("heartbeat");
        }
    }

    @Test
    void misspelledMaxAgeInYamlIsReportedAsAnUnknownKeyWithASuggestion() throws Exception {
        Path config = writeConfig("maxAg: 5s");

        assertThatThrownBy(() -> Engine.builder().config(AegisConfig.load(config, Map.of())).build())
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .containsExactly(config + ":8:5: services[0].maxAg: unknown key \"maxAg\";"
                                + " did you mean \"maxAge\"?"));
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
