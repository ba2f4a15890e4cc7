package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.cli.AegisProcess.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code aegis} executable keeping a chatty service's output within bounds: rotated by size in the
 * state directory, and reopened on SIGUSR1 after an external rename (logrotate's {@code postrotate}).
 */
@Timeout(120)
class LogRotationIT {
    private static final long MAX_SIZE = 16 * 1024;

    @TempDir
    Path dir;

    @Test
    void aChattyServiceLogRotatesBySizeAndSigusr1ReopensARenamedLog() throws IOException {
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: false
                  stateDir: state
                services:
                  - name: chatty
                    type: script
                    endpoint: /bin/true
                    interval: 1s
                    runtime:
                      type: process
                      command: "while :; do seq 1 2000; sleep 0.05; done"
                      shell: true
                      logMaxSize: 16KiB
                      logBackups: 2
                  - name: renamed
                    type: script
                    endpoint: /bin/true
                    interval: 1s
                    runtime:
                      type: process
                      command: "while :; do echo tick; sleep 0.05; done"
                      shell: true
                      logFile: app.log
                      logMaxSize: 0
                """);
        Path chatty = dir.resolve("state/services/chatty");
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            // About 170 KB/s into files of 16 KiB: rotated several times a second, only 2 backups kept.
            aegis.patiently().until(() -> Files.exists(chatty.resolve("output.log.2")));
            for (String name : new String[] {"output.log", "output.log.1", "output.log.2"}) {
                assertThat(sizeOf(chatty.resolve(name))).as("size of %s", name).isLessThanOrEqualTo(MAX_SIZE);
            }
            assertThat(chatty.resolve("output.log.3")).doesNotExist();

            Path log = dir.resolve("app.log");
            aegis.patiently().until(() -> read(log).contains("tick"));
            Path rotated = dir.resolve("app.log.1");
            Files.move(log, rotated);
            aegis.signal("USR1");

            aegis.patiently().until(() -> read(log).contains("tick"));
            aegis.patiently().until(() -> aegis.stderr().contains("reopened the log files"));

            aegis.terminate();
            Result result = aegis.awaitExit(30);
            assertThat(result.exitCode()).as("exit code after SIGTERM: %s", result).isZero();
            assertThat(read(rotated)).startsWith("tick\n");
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0; // rotated away between the two calls
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


}
