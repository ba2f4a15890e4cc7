package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.core.Engine;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;

class ShutdownSignalTest {

    @Test
    void aSigtermWhileTheEngineIsBuiltIsRememberedAndStopsItCleanlyOnceItRuns() {
        ShutdownSignal.early();
        // what a `kill -TERM` during the configuration's loading does: without early() the JVM would exit 143
        Signal.raise(new Signal("TERM"));
        await().atMost(Duration.ofSeconds(10)).until(() -> ShutdownSignal.receivedEarly().isPresent());

        try (Engine engine = Engine.builder().metricsEnabled(false).build()) {
            ShutdownSignal shutdown = ShutdownSignal.install(engine);
            try {
                // returns at once: the stop asked for before the engine existed is not lost
                assertThat(shutdown.await()).isEqualTo("SIGTERM");
            } finally {
                shutdown.uninstall();
            }
        }
    }
}
