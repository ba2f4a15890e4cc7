package io.aegis.checkers.script;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.HealthCheckerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation of the script checker's settings when it is created, and how the factory is found. */
class ScriptCheckerConfigTest {
    @TempDir
    Path dir;

    private final ScriptCheckerFactory factory = new ScriptCheckerFactory();

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    @Test
    void serviceLoaderFindsTheScriptFactory() {
        List<String> types = ServiceLoader.load(HealthCheckerFactory.class).stream()
                .map(provider -> provider.get().type())
                .collect(Collectors.toList());

        assertThat(types).contains(ScriptCheckerFactory.TYPE);
    }

    @Test
    void rejectsAMissingFile() {
        Path missing = dir.resolve("nowhere.sh");

        assertThat(problems(factory, missing.toString(), Map.of())).containsExactly(
                new ConfigProblem("services[0].endpoint", "no such file: " + missing));
    }

    @Test
    void rejectsANonExecutableFileWithoutAShell() throws Exception {
        Path script = Scripts.plain(dir, "check.sh", "#!/bin/sh\nexit 0");

        assertThat(problems(factory, script.toString(), Map.of())).containsExactly(new ConfigProblem(
                "services[0].endpoint", script + " is not executable; chmod +x it or set metadata.shell"));
    }

    @Test
    void rejectsADirectory() {
        assertThat(problems(factory, dir.toString(), Map.of())).containsExactly(new ConfigProblem(
                "services[0].endpoint", dir + " is a directory; expected the path of a script file"));
    }

    @Test
    void rejectsAnEmptyEndpoint() {
        assertThat(problems(factory, " ", Map.of())).containsExactly(new ConfigProblem(
                "services[0].endpoint", "expected the path of a script, found an empty value"));
    }

    @Test
    void rejectsAnUnknownShell() throws Exception {
        Path script = Scripts.plain(dir, "check.sh", "exit 0");

        assertThat(problems(factory, script.toString(), Map.of("shell", "zsh"))).containsExactly(new ConfigProblem(
                "services[0].metadata.shell", "expected one of sh, bash, pwsh, powershell (or no shell, to execute"
                        + " the script directly), found \"zsh\""));
    }

    @Test
    void rejectsAShellThatIsNotInstalledAndSaysWhichAre() throws Exception {
        ScriptCheckerFactory onlySh = new ScriptCheckerFactory(pathWithOnlySh(), false);
        Path script = Scripts.plain(dir, "check.sh", "exit 0");

        assertThat(problems(onlySh, script.toString(), Map.of("shell", "bash"))).containsExactly(new ConfigProblem(
                "services[0].metadata.shell", "shell \"bash\" is not installed (no bash on the PATH); installed"
                        + " shells: sh; or remove metadata.shell to execute the script directly"));
    }

    @Test
    void looksForBothPowerShellExecutablesBeforeSayingItIsMissing() throws Exception {
        ScriptCheckerFactory onlySh = new ScriptCheckerFactory(pathWithOnlySh(), false);
        Path script = Scripts.plain(dir, "check.ps1", "exit 0");

        assertThat(problems(onlySh, script.toString(), Map.of("shell", "powershell"))).singleElement()
                .satisfies(problem -> {
                    assertThat(problem.keyPath()).isEqualTo("services[0].metadata.shell");
                    assertThat(problem.message()).startsWith("shell \"powershell\" is not installed (no powershell or"
                            + " pwsh on the PATH); installed shells: sh;");
                });
    }

    @Test
    void rejectsArgsWithAnUnclosedQuote() throws Exception {
        Path script = Scripts.executable(dir, "check.sh", "exit 0");

        assertThat(problems(factory, script.toString(), Map.of("args", "-Service \"Example"))).containsExactly(
                new ConfigProblem("services[0].metadata.args", "expected arguments split like a shell would, but the"
                        + " double quote at position 10 is not closed, found \"-Service \"Example\""));
    }

    @Test
    void reportsEveryProblemTogether() {
        assertThat(problems(factory, dir.resolve("nowhere.sh").toString(), Map.of("shell", "fish", "args", "'")))
                .extracting(ConfigProblem::keyPath)
                .containsExactly("services[0].metadata.shell", "services[0].endpoint", "services[0].metadata.args");
    }

    @Test
    void acceptsANonExecutableScriptWhenAShellIsNamed() throws Exception {
        Path script = Scripts.plain(dir, "check.sh", "exit 0");

        assertThat(factory.create(Scripts.spec(script.toString(), Map.of("shell", "sh"), Duration.ofSeconds(1),
                Runnable::run))).isNotNull();
    }

    /** A search path whose only shell is sh, so that every other shell is missing whatever this machine has. */
    private String pathWithOnlySh() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Scripts.executable(bin, "sh", "exec /bin/sh \"$@\"");
        return bin.toString();
    }

    private static List<ConfigProblem> problems(ScriptCheckerFactory factory, String endpoint, Map<String, String> metadata) {
        ConfigException error = catchThrowableOfType(ConfigException.class,
                () -> factory.create(Scripts.spec(endpoint, metadata, Duration.ofSeconds(1), Runnable::run)));
        assertThat(error).as("a ConfigException for %s %s", endpoint, metadata).isNotNull();
        return error.problems();
    }
}
