package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.cli.AegisProcess.Result;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The {@code aegis} executable's command line: help, version, validation, and errors before it runs. */
@Timeout(90)
class CommandLineIT {

    @TempDir
    Path dir;

    @Test
    void helpListsEveryOptionAndExitsZero() {
        Result result = AegisProcess.run(dir, "--help");

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stdout()).as("%s", result)
                .contains("Usage: aegis", "--config=<path>", "--log-level=<level>", "--metrics-port=<port>",
                        "--validate", "--help", "--version", "SIGTERM");
    }

    @Test
    void versionComesFromTheJarManifest() {
        Result result = AegisProcess.run(dir, "--version");

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stdout()).as("%s", result).startsWith("aegis " + System.getProperty("aegis.version"));
    }

    @Test
    void executableIsAlsoAJarForJavaDashJar() {
        List<String> command = List.of(AegisProcess.java().toString(), "-jar",
                AegisProcess.executable().toString(), "--version");
        Result result;
        try (AegisProcess aegis = AegisProcess.start(dir, command)) {
            result = aegis.awaitExit(60);
        }

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stdout()).as("%s", result).startsWith("aegis " + System.getProperty("aegis.version"));
    }

    @Test
    void unknownOptionIsAUsageErrorWithExitCodeTwo() {
        Result result = AegisProcess.run(dir, "--confgi=x.yaml");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result).contains("--confgi=x.yaml");
    }

    @Test
    void invalidLogLevelIsAUsageError() {
        TestConfigs.tcpOnly(dir, Loopback.freePort());

        Result result = AegisProcess.run(dir, "--config=tcp.yaml", "--log-level=loud");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result)
                .contains("--log-level: expected one of trace, debug, info, warn, error, found 'loud'");
    }

    @Test
    void missingConfigFileIsReportedWithTheFlagToUse() {
        Result result = AegisProcess.run(dir);

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result)
                .contains("configuration file not found", "aegis.yaml", "--config=<path>");
    }

    @Test
    void invalidConfigReportsEveryErrorWithFileLineAndColumnAndNoStackTrace() {
        TestConfigs.write(dir, "bad.yaml", """
                global:
                  metricsPort: 9091
                services:
                  - name: web
                    type: http
                    endpoint: http://127.0.0.1:1/health
                    interval: 5 seconds
                    intervall: 5s
                  - name: api
                    type: http
                    interval: 5s
                  - name: worker
                    type: tcp
                    endpoint: 127.0.0.1:2
                    actions:
                      onFailure: restart
                """);

        Result result = AegisProcess.run(dir, "--config=bad.yaml");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result)
                .containsPattern("invalid configuration: \\d+ error")
                .containsPattern("bad\\.yaml:7:\\d+: services\\[0\\]\\.interval: ")
                .containsPattern("bad\\.yaml:8:\\d+: services\\[0\\]\\.intervall: ")
                .containsPattern("bad\\.yaml:\\d+:\\d+: services\\[1\\]")
                .containsPattern("bad\\.yaml:\\d+:\\d+: services\\[2\\]")
                .doesNotContain("Exception", "\tat ", "at io.aegis", "at java.");
    }

    @Test
    void validateReportsTheErrorsOfAnInvalidConfigAndExitsTwo() {
        TestConfigs.write(dir, "bad.yaml", """
                services:
                  - name: web
                    type: http
                    endpoint: http://127.0.0.1:1/health
                    timeout: soon
                """);

        Result result = AegisProcess.run(dir, "--config=bad.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result)
                .containsPattern("bad\\.yaml:5:\\d+: services\\[0\\]\\.timeout: ")
                .doesNotContain("Exception", "\tat ");
        assertThat(result.stdout()).as("%s", result).doesNotContain("config OK");
    }

    @Test
    void validateAcceptsAValidConfigAndStartsNothing() {
        int demoPort = Loopback.freePort();
        TestConfigs.supervisedDemo(dir, demoPort, Loopback.freePort());

        Result result = AegisProcess.run(dir, "--validate");

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stdout()).as("%s", result).contains("config OK: 1 service");
        assertThat(Loopback.refusesConnections(demoPort)).as("the demo service was not started").isTrue();
    }

    @Test
    void pluginDirLoadsAThirdPartyCheckerWhoseKeysAreChecked() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(AegisProcess.customPluginJar(), plugins.resolve("file-age.jar"));
        Files.writeString(dir.resolve("heartbeat"), "alive");
        TestConfigs.write(dir, "aegis.yaml", String.join("\n",
                "services:",
                "  - name: worker",
                "    type: file-age",
                "    endpoint: heartbeat",
                "    maxAge: 30s",
                ""));
        TestConfigs.write(dir, "typo.yaml", String.join("\n",
                "services:",
                "  - name: worker",
                "    type: file-age",
                "    endpoint: heartbeat",
                "    maxAg: 30s",
                ""));

        Result withoutPlugin = AegisProcess.run(dir, "--validate");
        Result withPlugin = AegisProcess.run(dir, "--validate", "--plugin-dir=plugins");
        Result typo = AegisProcess.run(dir, "--validate", "--plugin-dir=plugins", "--config=typo.yaml");

        assertThat(withoutPlugin.exitCode()).as("%s", withoutPlugin).isEqualTo(2);
        assertThat(withoutPlugin.stderr()).as("%s", withoutPlugin)
                .contains("aegis.yaml:3:11: services[0].type: unknown checker type \"file-age\" (installed: ");
        assertThat(withPlugin.exitCode()).as("%s", withPlugin).isZero();
        assertThat(withPlugin.stdout()).contains("config OK: 1 service");
        assertThat(typo.exitCode()).as("%s", typo).isEqualTo(2);
        assertThat(typo.stderr()).as("%s", typo)
                .contains("typo.yaml:5:5: services[0].maxAg: unknown key \"maxAg\"; did you mean \"maxAge\"?");
    }

    @Test
    void aMissingPluginDirIsAnErrorThatSaysWhichOne() {
        TestConfigs.write(dir, "aegis.yaml", "services: []\n");

        Result result = AegisProcess.run(dir, "--validate", "--plugin-dir=no-such-dir");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result).contains("aegis: plugin directory not found: ")
                .contains("no-such-dir (--plugin-dir)");
    }

    @Test
    void metricsPortInUseIsAOneLineStartErrorWithExitCodeOne() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            TestConfigs.tcpOnly(dir, port);

            Result result = AegisProcess.run(dir, "--config=tcp.yaml");

            assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
            assertThat(result.stderr().lines().filter(line -> line.startsWith("aegis: ")))
                    .as("%s", result)
                    .singleElement().asString().contains(String.valueOf(port));
            assertThat(result.stderr()).as("%s", result).doesNotContain("\tat ", "Exception:");
        }
    }

    @Test
    void logLevelFlagWinsOverTheEnvironment() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            // A taken metrics port makes aegis log a few info lines and exit at once.
            TestConfigs.tcpOnly(dir, taken.getLocalPort());

            Result byDefault = AegisProcess.run(dir, "--config=tcp.yaml");
            Result byEnvironment = AegisProcess.run(dir, Map.of("AEGIS_LOG_LEVEL", "warn"), "--config=tcp.yaml");
            Result byFlag = AegisProcess.run(dir, Map.of("AEGIS_LOG_LEVEL", "warn"), "--config=tcp.yaml",
                    "--log-level=info");

            assertThat(byDefault.stderr()).as("info by default: %s", byDefault)
                    .contains("[INFO] AegisCommand - aegis ");
            assertThat(byEnvironment.stderr()).as("AEGIS_LOG_LEVEL=warn: %s", byEnvironment)
                    .doesNotContain("[INFO]");
            assertThat(byFlag.stderr()).as("--log-level=info over AEGIS_LOG_LEVEL=warn: %s", byFlag)
                    .contains("[INFO] AegisCommand - aegis ");
        }
    }

    @Test
    void metricsPortFlagOverridesTheConfig() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            TestConfigs.tcpOnly(dir, Loopback.freePort());

            Result result = AegisProcess.run(dir, "--config=tcp.yaml",
                    "--metrics-port=" + taken.getLocalPort());

            assertThat(result.exitCode()).as("the flag's port, which is taken, was used: %s", result).isEqualTo(1);
            assertThat(result.stderr()).as("%s", result).contains(String.valueOf(taken.getLocalPort()));
        }
    }
}
