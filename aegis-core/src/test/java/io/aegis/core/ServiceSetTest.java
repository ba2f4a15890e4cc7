package io.aegis.core;

import static io.aegis.core.testing.ChildProcesses.commandLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import io.aegis.core.testing.RecordingRuntimeFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's service set changes one service at a time while it runs: the seam hot reload will use. */
class ServiceSetTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    @TempDir
    Path tempDir;

    private Engine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private ServiceDefinition sleeper(String name) {
        return ServiceDefinition.builder(name).check("test-pass", "nowhere").interval(Duration.ofMillis(100))
                .onFailure("restart").runtime("process", Map.of("command", List.of("sleep", "604"),
                        "logFile", tempDir.resolve(name + ".log").toString()))
                .build();
    }

    @Test
    void addsAndStartsAServiceWhileRunningThenRemovesItStoppingItsProcess() throws Exception {
        engine = Engine.builder().metricsEnabled(false).service(sleeper("first")).build().start();

        engine.addService(sleeper("second"));

        await().atMost(AWAIT).until(() -> engine.service("second").map(s -> s.state() == ServiceState.HEALTHY)
                .orElse(false));
        assertThat(engine.services()).extracting(ServiceSnapshot::name).containsExactly("first", "second");
        // each workload starts in the background: the first service's may still be launching
        await().atMost(AWAIT).untilAsserted(() -> assertThat(sleepers()).hasSize(2));

        engine.removeService("first").get(30, TimeUnit.SECONDS);

        assertThat(engine.services()).extracting(ServiceSnapshot::name).containsExactly("second");
        assertThat(engine.service("first")).isEmpty();
        await().atMost(AWAIT).untilAsserted(() -> assertThat(sleepers()).hasSize(1));
        engine.close();
        await().atMost(AWAIT).untilAsserted(() -> assertThat(sleepers()).isEmpty());
    }

    @Test
    void refusesADuplicateOrAnInvalidServiceAndAddsNothing() {
        engine = Engine.builder().metricsEnabled(false).service(sleeper("first")).build().start();

        assertThatThrownBy(() -> engine.addService(sleeper("first"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already supervised");
        assertThatThrownBy(() -> engine.addService(ServiceDefinition.builder("bad").check("htp", "x").build()))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("unknown checker type \"htp\"");
        // tried again, the same mistake is the same sentence (the engine's report is a set: it was not "new" there)
        assertThatThrownBy(() -> engine.addService(ServiceDefinition.builder("bad").check("htp", "x").build()))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("unknown checker type \"htp\"");
        assertThat(engine.services()).extracting(ServiceSnapshot::name).containsExactly("first");
    }

    @Test
    void theRuntimeOfAServiceThatCouldNotBeAddedIsClosed() {
        engine = Engine.builder().metricsEnabled(false).service(sleeper("first")).build().start();
        // Created, then found wrong (a ladder step the runtime cannot do is found once it exists): review L7.
        ServiceDefinition misspelt = ServiceDefinition.builder("misspelt").check("test-pass", "x")
                .runtime("test-recording", Map.of()).onFailure("rollback").build();

        assertThatThrownBy(() -> engine.addService(misspelt)).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("rollback");

        assertThat(RecordingRuntimeFactory.calls("misspelt").closes).hasValue(1);
        assertThat(RecordingRuntimeFactory.calls("misspelt").starts).hasValue(0);
    }

    private static List<ProcessHandle> sleepers() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.isAlive() && commandLine(p.pid()).endsWith("sleep\u0000604\u0000")).toList();
    }
}
