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
        assertThat(result.stdout()).as("the subcommands, each with a whole first sentence").contains(
                "status   Shows the services of a running aegis and their state.", "restart  ", "reset    ",
                "pause    ", "resume   ", "isolate  ", "silence  ", "reload   ", "events   Prints the recent events");
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
    void anUnsupportedProcessLaunchMechanismIsRefusedAtStartWithExitCodeTwo() {
        // Hostile F11: aegis ran, and every start and restart of a process service failed, the later ones with
        // "Could not initialize class java.lang.ProcessImpl".
        TestConfigs.tcpOnly(dir, 0);

        Result bogus = AegisProcess.run(dir, Map.of("JAVA_TOOL_OPTIONS", "-Djdk.lang.Process.launchMechanism=BOGUS"),
                "--config=tcp.yaml");

        assertThat(bogus.exitCode()).as("%s", bogus).isEqualTo(2);
        assertThat(bogus.stderr()).as("%s", bogus)
                .contains("aegis: -Djdk.lang.Process.launchMechanism=BOGUS (from JAVA_OPTS, JAVA_TOOL_OPTIONS")
                .contains("BOGUS is not a supported process launch mechanism on this platform.")
                .contains("use POSIX_SPAWN, FORK or VFORK");

        // The JDK accepts any case; so does aegis.
        Result posixSpawn = AegisProcess.run(dir, Map.of("JAVA_OPTS", AegisProcess.JAVA_OPTS
                + " -Djdk.lang.Process.launchMechanism=posix_spawn"), "--config=tcp.yaml", "--validate");
        assertThat(posixSpawn.exitCode()).as("%s", posixSpawn).isZero();
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

    // ---- config parsing edges (issue 7, defect 8) ----------------------------------------------------------

    @Test
    void validateStopsAnAliasBombAtOnceWithTheLimit() {
        StringBuilder yaml = new StringBuilder("lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i <= 9; i++) {
            yaml.append("lol").append(i).append(": &lol").append(i).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(10, "*lol" + (i - 1)))).append("]\n");
        }
        TestConfigs.write(dir, "bomb.yaml", yaml.toString());

        Result result = AegisProcess.run(dir, "--config=bomb.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result).isEqualTo("invalid configuration: 1 error\n  bomb.yaml:6:63: not"
                + " valid as a configuration: its aliases expand to more than 1000000 values (at alias *lol4), the most"
                + " a configuration may hold; this looks like an alias bomb (\"billion laughs\"): use fewer aliases of"
                + " large blocks\n");
    }

    @Test
    void validateReportsATabWhereItIs() {
        TestConfigs.write(dir, "tab.yaml", "services:\n  - name: web\n    type: tcp\n\t  endpoint: 127.0.0.1:1\n");

        Result result = AegisProcess.run(dir, "--config=tab.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result).isEqualTo("invalid configuration: 1 error\n  tab.yaml:4:1: not"
                + " valid YAML: found a tab in the indentation; tabs cannot indent YAML; use spaces\n");
    }

    @Test
    void validatePrintsWarningsAndStillExitsZero() {
        TestConfigs.write(dir, "warn.yaml", """
                services:
                  - name: web
                    type: tcp
                    endpoint: 127.0.0.1:1
                    interval: 1h30m
                    timeout: 1.5s
                  - name: slow
                    type: tcp
                    endpoint: 127.0.0.1:1
                    interval: 2s
                    timeout: 2s
                """);

        Result result = AegisProcess.run(dir, "--config=warn.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stdout()).as("%s", result).isEqualTo("config OK: 2 services in warn.yaml, 1 warning\n");
        assertThat(result.stderr()).as("%s", result).isEqualTo("warning: warn.yaml:11:14: services[1].timeout: timeout"
                + " 2s is not shorter than interval 2s: a check that takes that long runs into the next tick, which is"
                + " then skipped, so while the service is slow it is checked only every 4s; make timeout shorter than"
                + " interval\n");
    }

    @Test
    void validateCreatesNoStateDirectoryAndOnlyWarnsOfOneItCouldNotUse() throws IOException {
        // A validation may run as another user, or on another machine (a configuration repository's CI), than aegis
        // will: --validate of a production file with stateDir: /var/lib/aegis failed there ("access denied"), and
        // every --validate left a state folder behind.
        int demoPort = Loopback.freePort();
        TestConfigs.supervisedDemo(dir, demoPort, Loopback.freePort()); // global.stateDir: state
        Files.writeString(dir.resolve("not-a-folder"), "");
        TestConfigs.write(dir, "elsewhere.yaml", """
                global:
                  stateDir: not-a-folder/state
                services:
                  - name: web
                    type: tcp
                    endpoint: 127.0.0.1:1
                """);

        Result plain = AegisProcess.run(dir, "--validate");
        Result elsewhere = AegisProcess.run(dir, "--config=elsewhere.yaml", "--validate");

        assertThat(plain.exitCode()).as("%s", plain).isZero();
        assertThat(plain.stderr()).as("%s", plain).doesNotContain("stateDir");
        assertThat(dir.resolve("state")).as("its state directory").doesNotExist();
        assertThat(elsewhere.exitCode()).as("%s", elsewhere).isZero();
        assertThat(elsewhere.stdout()).as("%s", elsewhere)
                .isEqualTo("config OK: 1 service in elsewhere.yaml, 1 warning\n");
        assertThat(elsewhere.stderr()).as("%s", elsewhere).isEqualTo("warning: elsewhere.yaml:2:13: global.stateDir:"
                + " cannot create the state directory " + dir.resolve("not-a-folder/state") + ": "
                + dir.resolve("not-a-folder") + " is not a directory; an aegis started here as this user would refuse"
                + " to start\n");
    }

    @Test
    void anEmptyConfigAndOneWithoutServicesAreErrorsThatSaySo() {
        TestConfigs.write(dir, "empty.yaml", "# TODO\n");
        TestConfigs.write(dir, "none.yaml", "global:\n  metricsPort: 0\nservices: []\n");

        Result empty = AegisProcess.run(dir, "--config=empty.yaml", "--validate");
        Result none = AegisProcess.run(dir, "--config=none.yaml");

        assertThat(empty.exitCode()).as("%s", empty).isEqualTo(2);
        assertThat(empty.stderr()).as("%s", empty).isEqualTo("invalid configuration: 1 error\n  empty.yaml: the"
                + " configuration is empty (nothing but blank lines and comments); expected at least a services: list,"
                + " see the Configuration section of the README\n");
        assertThat(none.exitCode()).as("%s", none).isEqualTo(2);
        assertThat(none.stderr()).as("%s", none).isEqualTo("invalid configuration: 1 error\n  none.yaml: no services"
                + " are defined, so there is nothing to supervise; add at least one under services: (name, type and"
                + " endpoint), see the Configuration section of the README\n");
    }

    @Test
    void validateChecksTheProcessCommandNamesAndTheEnvironment() {
        TestConfigs.write(dir, "bad.yaml", """
                services:
                  - name: "web\\n2026-11-30T12:00:00Z [INFO] forged"
                    type: tcp
                    endpoint: 127.0.0.1:1
                  - name: my-svc
                    type: tcp
                    endpoint: 127.0.0.1:1
                    runtime: {type: process, command: [aegis-no-such-program]}
                  - name: my.svc
                    type: tcp
                    endpoint: 127.0.0.1:1
                    runtime: {type: process, command: "sleep 60 && echo done"}
                """);

        Result result = AegisProcess.run(dir, Map.of("AEGIS_SERVICE_MY_SVC_INTERVAL", "5s", "PATH", "/usr/bin:/bin"),
                "--config=bad.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result).isEqualTo("invalid configuration: 4 errors\n"
                + "  environment: AEGIS_SERVICE_MY_SVC_INTERVAL: matches 2 services, \"my-svc\" (services[1]) and"
                + " \"my.svc\" (services[2]), whose names both become MY_SVC in a variable name; it was applied to none"
                + " of them: rename the services so that they differ in more than punctuation\n"
                + "  bad.yaml:2:11: services[0].name: expected a service name of 1 to 63 ASCII letters, digits, '.',"
                + " '_' or '-', starting with a letter or digit, found \"web\\n2026-11-30T12:00:00Z [INFO] forged\"\n"
                + "  bad.yaml:8:30: services[1].runtime.command: \"aegis-no-such-program\" is not on the PATH"
                + " (/usr/bin:/bin); install it, or write its full path\n"
                + "  bad.yaml:12:39: services[2].runtime.command: \"sleep 60 && echo done\" contains &&, which is passed"
                + " to the program as arguments, not to a shell; set shell: true to run the command with /bin/sh -c, or"
                + " write command as a list to pass it on literally\n");
    }
}
