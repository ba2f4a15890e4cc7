package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessRuntimeFactoryTest {

    private static final String PATH = "services[0].runtime";

    @TempDir
    Path tempDir;

    private final ProcessRuntimeFactory factory = new ProcessRuntimeFactory();

    @Test
    void isFoundByServiceLoaderAsTypeProcess() {
        assertThat(ServiceLoader.load(RuntimeAdapterFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(found -> {
                    assertThat(found).isInstanceOf(ProcessRuntimeFactory.class);
                    assertThat(found.type()).isEqualTo("process");
                });
    }

    @Test
    void createStartsNothing() {
        try (RuntimeAdapter adapter = factory.create(spec(Map.of("type", "process", "command", List.of("sleep", "60"))))) {
            assertThat(adapter.status().toCompletableFuture().join()).isEqualTo(WorkloadStatus.stopped());
        }
    }

    @Test
    void leavesTheJvmsProcessLaunchMechanismAlone() {
        // Review R1: loading the factory (its static initializer) set jdk.lang.Process.launchMechanism=VFORK for the
        // whole JVM, an embedding application's own processes included. Only the aegis command chooses it now.
        assertThat(ServiceLoader.load(RuntimeAdapterFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(ProcessRuntimeFactory.class::isInstance)).isNotEmpty();

        assertThat(System.getProperty(LaunchMechanism.PROPERTY)).as("the JVM-wide launch mechanism").isNull();
    }

    @Test
    void missingCommandIsRejectedWithItsKeyPath() {
        assertThatThrownBy(() -> factory.create(spec(Map.of("type", "process"))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("services[0].runtime.command: missing: expected the command to run,"
                        + " as a list like [java, -jar, app.jar]");
    }

    @Test
    void emptyCommandListIsRejected() {
        assertProblems(Map.of("command", List.of()), new ConfigProblem(PATH + ".command",
                "expected the command to run, as a list like [java, -jar, app.jar], found an empty list"));
    }

    @Test
    void blankCommandStringIsRejected() {
        assertProblems(Map.of("command", "  "), new ConfigProblem(PATH + ".command",
                "expected the command to run, as a list like [java, -jar, app.jar], found an empty value"));
    }

    @Test
    void commandAsAMappingIsRejected() {
        assertProblems(Map.of("command", Map.of("java", "-jar")), new ConfigProblem(PATH + ".command",
                "expected the command to run, as a list like [java, -jar, app.jar], found a mapping"));
    }

    @Test
    void commandStringWithAnUnclosedQuoteIsRejected() {
        assertProblems(Map.of("command", "java -jar \"my app.jar"), new ConfigProblem(PATH + ".command",
                "the double quote at position 11 is not closed in \"java -jar \"my app.jar\"; close it, or write the command as a"
                        + " list"));
    }

    @Test
    void shellWithACommandListIsRejectedAtTheShellKey() {
        assertProblems(Map.of("command", List.of("echo", "hi"), "shell", true), new ConfigProblem(PATH + ".shell",
                "expected false when command is a list, because a list runs without a shell;"
                        + " write command as one string to run it with /bin/sh -c"));
    }

    @Test
    void workingDirThatDoesNotExistIsRejected() {
        String missing = tempDir.resolve("nope").toString();
        assertProblems(Map.of("command", "sleep 60", "workingDir", missing), new ConfigProblem(PATH + ".workingDir",
                "expected an existing directory, found \"" + missing + "\", which does not exist"));
    }

    @Test
    void workingDirThatIsAFileIsRejected() throws IOException {
        String file = Files.createFile(tempDir.resolve("file")).toString();
        assertProblems(Map.of("command", "sleep 60", "workingDir", file), new ConfigProblem(PATH + ".workingDir",
                "expected an existing directory, found \"" + file + "\", which is not a directory"));
    }

    @Test
    void logFileInADirectoryThatDoesNotExistIsRejected() {
        Path missing = tempDir.resolve("nope");
        String logFile = missing.resolve("app.log").toString();
        assertProblems(Map.of("command", "sleep 60", "logFile", logFile), new ConfigProblem(PATH + ".logFile",
                "expected a file in an existing directory, found \"" + logFile + "\", but the directory "
                        + missing + " does not exist"));
    }

    @Test
    void logFileThatIsADirectoryIsRejected() {
        String dir = tempDir.toString();
        assertProblems(Map.of("command", "sleep 60", "logFile", dir), new ConfigProblem(PATH + ".logFile",
                "expected a file to append the process's output to, found \"" + dir + "\", which is a directory"));
    }

    @Test
    void stopGracePeriodThatIsNotADurationIsRejected() {
        assertProblems(Map.of("command", "sleep 60", "stopGracePeriod", "10 seconds"),
                new ConfigProblem(PATH + ".stopGracePeriod",
                        "expected a duration like 500ms, 5s, 1m or 1h, found \"10 seconds\""));
    }

    @Test
    void environmentVariableNameWithAnEqualsSignIsRejected() {
        assertProblems(Map.of("command", "sleep 60", "env", Map.of("A=B", "c")), new ConfigProblem(PATH + ".env",
                "expected environment variable names without '=', found \"A=B\""));
    }

    @Test
    void everyInvalidKeyIsReportedAtOnce() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("shell", "maybe");
        settings.put("workingDir", tempDir.resolve("nope").toString());
        settings.put("stopGracePeriod", "10");
        assertThatThrownBy(() -> factory.create(spec(settings)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactly(PATH + ".shell", PATH + ".command", PATH + ".workingDir",
                                PATH + ".stopGracePeriod"));
    }

    @Test
    void defaultsAreAppliedWhenOnlyTheCommandIsGiven() {
        ProcessRuntimeSettings settings =
                ProcessRuntimeSettings.from("web/api", Settings.of(PATH, Map.of("command", List.of("java", "-jar", "app.jar"))),
                        tempDir);

        assertThat(settings.command()).containsExactly("java", "-jar", "app.jar");
        assertThat(settings.environment()).isEmpty();
        assertThat(settings.workingDirectory()).isEmpty();
        assertThat(settings.stopGracePeriod()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.logFile()).isEqualTo(tempDir.resolve("output.log"));
        assertThat(settings.logMaxSize()).isEqualTo(50L * 1024 * 1024);
        assertThat(settings.logBackups()).isEqualTo(10);
    }

    @Test
    void logMaxSizeTakesUnitsInPowersOf1024AndPlainBytes() {
        assertThat(logMaxSize("50MB")).isEqualTo(50L * 1024 * 1024);
        assertThat(logMaxSize("10KiB")).isEqualTo(10L * 1024);
        assertThat(logMaxSize("10 kb")).isEqualTo(10L * 1024);
        assertThat(logMaxSize("2GiB")).isEqualTo(2L * 1024 * 1024 * 1024);
        assertThat(logMaxSize("3M")).isEqualTo(3L * 1024 * 1024);
        assertThat(logMaxSize(4096)).isEqualTo(4096);
        assertThat(logMaxSize("0")).isZero();
    }

    @Test
    void logMaxSizeThatIsNotASizeIsRejected() {
        assertProblems(Map.of("command", "sleep 60", "logMaxSize", "50 megs"), new ConfigProblem(PATH + ".logMaxSize",
                "expected a size like 50MB, 512KiB or 1048576 (bytes), or 0 to never rotate, found \"50 megs\""));
        assertProblems(Map.of("command", "sleep 60", "logMaxSize", "99999999999GB"), new ConfigProblem(
                PATH + ".logMaxSize", "expected a size like 50MB, 512KiB or 1048576 (bytes), or 0 to never rotate,"
                        + " found \"99999999999GB\""));
    }

    @Test
    void logMaxSizeTooSmallToBeMeantIsRejected() {
        assertProblems(Map.of("command", "sleep 60", "logMaxSize", "10"), new ConfigProblem(PATH + ".logMaxSize",
                "expected 0 (never rotate) or at least 1KiB, found \"10\", which would rotate the log file for"
                        + " almost every line"));
    }

    @Test
    void logBackupsOutOfRangeIsRejected() {
        assertProblems(Map.of("command", "sleep 60", "logBackups", -1), new ConfigProblem(PATH + ".logBackups",
                "expected a whole number from 0 to 1000, found -1"));
    }

    @Test
    void logFileThatIsASymbolicLinkIsRefused() throws IOException {
        Path target = Files.createFile(tempDir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(tempDir.resolve("app.log"), target);
        assertProblems(Map.of("command", "sleep 60", "logFile", link.toString()), new ConfigProblem(PATH + ".logFile",
                "expected a file to append the process's output to, found \"" + link + "\", which is a symbolic"
                        + " link; aegis does not follow links for log files (a planted link could make it write"
                        + " elsewhere): give the path of the file itself"));
    }

    @Test
    void commandStringIsSplitAndArgsAreAppended() {
        ProcessRuntimeSettings settings = ProcessRuntimeSettings.from("web", Settings.of(PATH,
                Map.of("command", "java -jar 'my app.jar'", "args", List.of("--port", 8080))), tempDir);

        assertThat(settings.command()).containsExactly("java", "-jar", "my app.jar", "--port", "8080");
    }

    @Test
    void shellCommandRunsThroughShWithArgsQuoted() {
        ProcessRuntimeSettings settings = ProcessRuntimeSettings.from("web", Settings.of(PATH,
                Map.of("command", "exec java -jar app.jar", "shell", "true", "args", List.of("it's"))), tempDir);

        assertThat(settings.command()).containsExactly("/bin/sh", "-c", "exec java -jar app.jar 'it'\\''s'");
    }

    private long logMaxSize(Object value) {
        return ProcessRuntimeSettings.from("web", Settings.of(PATH, Map.of("command", "sleep 60", "logMaxSize", value)),
                tempDir).logMaxSize();
    }

    // ---- the program must exist and be executable, as the operating system will look for it ----------------

    @Test
    void aProgramThatIsNotOnThePathIsRejectedAtCreate() {
        assertProblems(Map.of("command", List.of("aegis-no-such-program", "--flag")), new ConfigProblem(PATH + ".command",
                "\"aegis-no-such-program\" is not on the PATH (" + System.getenv("PATH") + "); install it, or write"
                        + " its full path"));
    }

    @Test
    void aProgramOnThePathIsAccepted() {
        try (RuntimeAdapter adapter = factory.create(spec(Map.of("command", "sleep 60")))) {
            assertThat(adapter).isNotNull();
        }
    }

    @Test
    void aRelativeProgramIsLookedForInTheWorkingDir() throws IOException {
        Path work = Files.createDirectories(tempDir.resolve("work/bin")).getParent().toRealPath();
        Path app = Files.writeString(work.resolve("bin/app"), "#!/bin/sh\nsleep 60\n");
        Map<String, Object> settings = Map.of("command", List.of("bin/app"), "workingDir", work.toString());

        assertProblems(settings, new ConfigProblem(PATH + ".command", "\"bin/app\" is not executable (" + app
                + ", from workingDir); chmod +x it"));
        assertThat(app.toFile().setExecutable(true)).isTrue();
        try (RuntimeAdapter adapter = factory.create(spec(settings))) {
            assertThat(adapter).isNotNull();
        }
        assertProblems(Map.of("command", "./bin/missing --port 80", "workingDir", work.toString()), new ConfigProblem(
                PATH + ".command", "\"./bin/missing\" does not exist (" + work.resolve("bin/missing")
                        + ", from workingDir)"));
        assertProblems(Map.of("command", List.of("bin"), "workingDir", work.toString()), new ConfigProblem(
                PATH + ".command", "\"bin\" is not on the PATH (" + System.getenv("PATH") + "); install it, or write"
                        + " its full path"));
        assertProblems(Map.of("command", List.of("./bin"), "workingDir", work.toString()), new ConfigProblem(
                PATH + ".command", "\"./bin\" is a directory (" + work.resolve("bin") + ", from workingDir); expected"
                        + " the program to run"));
    }

    @Test
    void anAbsoluteProgramThatDoesNotExistIsRejected() {
        String missing = tempDir.resolve("no-such-app").toString();
        assertProblems(Map.of("command", List.of(missing)), new ConfigProblem(PATH + ".command",
                "\"" + missing + "\" does not exist"));
    }

    // ---- shell syntax without a shell -----------------------------------------------------------------------

    @Test
    void aCommandStringWithShellOperatorsAndNoShellGetsAHint() {
        for (String[] command : new String[][] {{"make build && ./app", "&&"}, {"./app | tee out.log", "|"},
                {"./app > out.log", ">"}, {"./app 2>&1", "2>"}, {"./app < in.txt", "<"}, {"cd /srv; ./app", ";"},
                {"./app --at $(date)", "$("}, {"./app `date`", "`"}, {"./app || true", "||"}}) {
            assertProblems(Map.of("command", command[0]), new ConfigProblem(PATH + ".command", "\"" + command[0]
                    + "\" contains " + command[1] + ", which is passed to the program as arguments, not to a shell; set"
                    + " shell: true to run the command with /bin/sh -c, or write command as a list to pass it on"
                    + " literally"));
        }
    }

    @Test
    void shellOperatorsAreFineWithAShellOrQuotedOrInAList() {
        assertThat(ProcessRuntimeSettings.shellOperator("grep -E 'a|b' file")).isEmpty();
        assertThat(ProcessRuntimeSettings.shellOperator("java -jar app.jar --url=http://x/?a=1")).isEmpty();
        try (RuntimeAdapter shell = factory.create(spec(Map.of("command", "sleep 60 && true", "shell", true)));
                RuntimeAdapter list = factory.create(spec(Map.of("command", List.of("sleep", "60", "&&"))))) {
            assertThat(shell).isNotNull();
            assertThat(list).isNotNull();
        }
    }

    @Test
    void rollbackAndIsolateBlocksAreValidatedLikeCommandWithTheirKeyPaths() {
        assertProblems(Map.of("command", List.of("sleep", "60"),
                        "rollback", Map.of("command", List.of("/nonexistent/app-1.4")),
                        "isolate", Map.of("command", List.of(), "timeout", "0s")),
                new ConfigProblem(PATH + ".rollback.command", "\"/nonexistent/app-1.4\" does not exist"),
                new ConfigProblem(PATH + ".isolate.command", "expected the command to run, as a list like"
                        + " [java, -jar, app.jar], found an empty list"),
                new ConfigProblem(PATH + ".isolate.timeout", "expected a duration from 1ms to 10m (how long the"
                        + " isolate hook may run), found \"0s\""));
    }

    @Test
    void aRollbackBlockWithoutCommandOrNotAMappingIsRejected() {
        assertThatThrownBy(() -> factory.create(spec(Map.of("command", List.of("sleep", "60"), "rollback", Map.of()))))
                .isInstanceOf(ConfigException.class)
                .hasMessage(PATH + ".rollback.command: missing: expected the command to run,"
                        + " as a list like [java, -jar, app.jar]");
        assertThatThrownBy(() -> factory.create(spec(Map.of("command", List.of("sleep", "60"),
                        "rollback", List.of("sleep", "61")))))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath).containsExactly(PATH + ".rollback"));
    }

    @Test
    void aRollbackOrIsolateProgramIsLookedForInTheWorkingDirectory() throws IOException {
        Path app = Files.createDirectory(tempDir.resolve("releases"));
        assertProblems(Map.of("command", List.of("sleep", "60"),
                        "workingDir", app.toString(),
                        "rollback", Map.of("command", "sleep 61 && true", "shell", true),
                        "isolate", Map.of("command", List.of("./drain.sh"))),
                new ConfigProblem(PATH + ".isolate.command",
                        "\"./drain.sh\" does not exist (" + app.resolve("drain.sh") + ", from workingDir)"));
    }

    @Test
    void aReleaseLayoutMustExistHaveACurrentLinkAndBeWhatTheServiceRunsThrough() throws IOException {
        Path app = Files.createDirectories(tempDir.resolve("app"));
        Files.createDirectories(app.resolve("releases/1"));
        assertProblems(Map.of("command", List.of("sleep", "60"), "rollback", Map.of("releases", app.toString())),
                new ConfigProblem(PATH + ".rollback.releases", "expected " + app.resolve("current") + " to be a symbolic"
                        + " link to the running release in " + app.resolve("releases") + "/<id>, found nothing there"));

        Files.createSymbolicLink(app.resolve("current"), Path.of("releases/1"));
        assertProblems(Map.of("command", List.of("sleep", "60"), "rollback", Map.of("releases", app.toString())),
                new ConfigProblem(PATH + ".rollback.releases", "the service runs neither in nor from "
                        + app.resolve("current") + " (its command and workingDir do not mention it), so repointing"
                        + " that link would not change what runs; start it from there, e.g. command: ["
                        + app.resolve("current/bin/app") + "] or workingDir: " + app.resolve("current")));
        assertProblems(Map.of("command", List.of("sleep", "60"),
                        "rollback", Map.of("releases", app.toString(), "command", List.of("sleep", "61"))),
                new ConfigProblem(PATH + ".rollback.releases", "expected either rollback.command (the previous"
                        + " release's command line) or rollback.releases (a release layout), found both; keep one"));
        try (RuntimeAdapter adapter = factory.create(spec(Map.of("command", List.of("sleep", "60"),
                "workingDir", app.resolve("current").toString(), "rollback", Map.of("releases", app.toString()))))) {
            assertThat(adapter.supportedOperations()).contains(io.aegis.api.RuntimeOperation.ROLLBACK);
        }
    }

    private void assertProblems(Map<String, ?> settings, ConfigProblem... expected) {
        assertThatThrownBy(() -> factory.create(spec(settings)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(expected));
    }

    private static RuntimeSpec spec(Map<String, ?> settings) {
        return new RuntimeSpec("web", Settings.of(PATH, settings), WorkloadListener.NONE, Runnable::run);
    }
}
