package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, defect 1, on the real {@code aegis} executable: 32 scripts that hang (sleep 60, timeout 30s) used
 * to hold every thread of the one pool that also launched processes, so a killed service came back 28 s
 * later. Restarts now have threads of their own, and the scripts beyond the limit are skipped and counted.
 */
@Timeout(120)
class BlockingChecksIT {
    private static final String DEMO = "demo-service.jar";
    private static final Pattern SKIPPED_NO_CAPACITY = Pattern.compile(
            "(?m)^aegis_health_checks_skipped_total\\{[^}]*reason=\"no_capacity\"[^}]*} [1-9]");

    @TempDir
    Path dir;

    @Test
    void restartsAKilledServicePromptlyWhileHangingScriptsHoldEveryBlockingCheckThread() throws IOException {
        int demoPort = Loopback.freePort();
        int metricsPort = Loopback.freePort();
        Path script = Files.writeString(dir.resolve("hang.sh"), "#!/bin/sh\nexec sleep 60\n");
        assertThat(script.toFile().setExecutable(true)).isTrue();
        // The demo service of the other ITs, plus 32 scripts that hang.
        StringBuilder yaml = new StringBuilder(Files.readString(TestConfigs.supervisedDemo(dir, demoPort, metricsPort)));
        for (int i = 0; i < 32; i++) {
            yaml.append("""
                      - name: script-%d
                        type: script
                        endpoint: %s
                        interval: 1s
                        timeout: 30s
                    """.formatted(i, TestConfigs.quote(script.toString())));
        }
        TestConfigs.write(dir, "aegis.yaml", yaml.toString());

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            ProcessHandle first = aegis.patiently().until(() -> serving(aegis, demoPort, null), Optional::isPresent)
                    .orElseThrow();
            // Every blocking-check thread holds a hanging script (16, as many as the old shared pool had).
            aegis.patiently().until(() -> aegis.process().descendants().filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().commandLine().orElse("").contains("sleep 60")).count() >= 16);

            long killedAt = System.nanoTime();
            first.destroyForcibly();
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                    .until(() -> serving(aegis, demoPort, first), Optional::isPresent);
            System.out.printf("kill -9 of the demo service behind 32 hanging scripts to serving again: %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

            aegis.patiently().untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics"))
                    .containsPattern(SKIPPED_NO_CAPACITY));
        }
    }

    /** The demo process if it runs under aegis, is not {@code previous} and answers 200 on /health. */
    private static Optional<ProcessHandle> serving(AegisProcess aegis, int port, ProcessHandle previous) {
        return aegis.descendant(DEMO)
                .filter(demo -> previous == null || demo.pid() != previous.pid())
                .filter(demo -> Loopback.status(port, "/health") == 200);
    }

}
