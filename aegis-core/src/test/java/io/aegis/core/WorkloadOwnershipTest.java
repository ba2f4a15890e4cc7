package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.FailureReason;
import io.aegis.core.ServiceState;
import io.aegis.testkit.LoopbackHttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 7, defect 2: a passing check is the service's own only while aegis' process for it runs. */
class WorkloadOwnershipTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    @TempDir
    Path tempDir;

    /** Someone else's server on the service's endpoint: it always answers 200. */
    private final LoopbackHttpServer impostor = LoopbackHttpServer.start();
    private Engine engine;

    @AfterEach
    void stopAll() {
        if (engine != null) {
            engine.close();
        }
        impostor.close();
    }

    @Test
    void aCheckThatPassesWhileTheWorkloadIsNotRunningIsUnhealthyAndSaysSomethingElseServesTheEndpoint() {
        // The service's own process fails at once (as a copy does when the port is taken); nothing restarts it.
        engine = Engine.builder().metricsEnabled(false).stateDirectory(tempDir.resolve("state"))
                .service(ServiceDefinition.builder("api")
                        .check("http", impostor.uri("/health").toString())
                        .interval(Duration.ofMillis(100)).onFailure("ignore")
                        .runtime("process", Map.of("command", List.of("sh", "-c", "exit 1"),
                                "logFile", tempDir.resolve("api.log").toString()))
                        .build())
                .build().start();

        // Not HEALTHY once the start period is over: UNHEALTHY, because the passing check is not the service's.
        ServiceSnapshot api = await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow(),
                // (the first checks may come before the process was even started: "not started yet")
                snapshot -> snapshot.state() == ServiceState.UNHEALTHY && snapshot.lastResult()
                        .filter(result -> result.failureReason().filter(r -> r == FailureReason.NOT_RUNNING).isPresent())
                        .filter(result -> result.message().contains("exited with code")).isPresent());

        assertThat(api.lastResult().orElseThrow().message()).matches("the check passes but aegis' workload for this"
                + " service is not running \\(pid \\d+ exited with code 1\\): something else serves the endpoint"
                + (java.nio.file.Files.isDirectory(Path.of("/proc/self")) ? " \\(pid " + ProcessHandle.current().pid()
                        + " listens on port " + impostor.port() + "\\)" : ""));
    }
}
