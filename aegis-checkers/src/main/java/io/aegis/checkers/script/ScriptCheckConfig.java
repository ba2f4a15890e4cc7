package io.aegis.checkers.script;

import io.aegis.api.CheckerSpec;
import io.aegis.plugin.support.ConfigProblems;
import io.aegis.plugin.support.ShellWords;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The validated settings of one script check.
 *
 * @param script the script's absolute path
 * @param shell the shell that runs it, or null when it is executed directly
 * @param command the full command line: shell (if any), script and arguments, never interpreted by a shell
 */
record ScriptCheckConfig(Path script, Shell shell, List<String> command) {
    static final String SHELL_KEY = "shell";
    static final String ARGS_KEY = "args";

    /**
     * Validates {@code spec}, looking shells up on {@code searchPath}.
     *
     * @throws io.aegis.api.ConfigException naming every invalid key
     */
    static ScriptCheckConfig from(CheckerSpec spec, String searchPath) {
        ConfigProblems problems = new ConfigProblems();
        String metadataPath = spec.settings().keyPath("metadata");

        Shell shell = null;
        Path shellExecutable = null;
        String shellName = spec.metadata().getOrDefault(SHELL_KEY, "").trim();
        if (!shellName.isEmpty()) {
            shell = Shell.named(shellName).orElse(null);
            if (shell == null) {
                problems.add(metadataPath + "." + SHELL_KEY, "expected one of " + String.join(", ", Shell.configNames())
                        + " (or no shell, to execute the script directly), found \"" + shellName + "\"");
            } else {
                shellExecutable = shell.find(searchPath).orElse(null);
                if (shellExecutable == null) {
                    problems.add(metadataPath + "." + SHELL_KEY, notInstalled(shell, searchPath));
                }
            }
        }

        Path script = script(spec, shellName.isEmpty(), problems);

        List<String> args = List.of();
        String argsText = spec.metadata().get(ARGS_KEY);
        if (argsText != null) {
            try {
                args = ShellWords.split(argsText);
            } catch (IllegalArgumentException e) {
                problems.add(metadataPath + "." + ARGS_KEY, "expected arguments split like a shell would, but "
                        + e.getMessage() + ", found \"" + argsText + "\"");
            }
        }
        problems.throwIfAny();

        List<String> command = new ArrayList<>();
        if (shell != null) {
            command.addAll(shell.command(shellExecutable, script));
        } else {
            command.add(script.toString());
        }
        command.addAll(args);
        return new ScriptCheckConfig(script, shell, List.copyOf(command));
    }

    private static Path script(CheckerSpec spec, boolean executedDirectly, ConfigProblems problems) {
        String keyPath = spec.settings().keyPath("endpoint");
        String endpoint = spec.endpoint().trim();
        if (endpoint.isEmpty()) {
            problems.add(keyPath, "expected the path of a script, found an empty value");
            return null;
        }
        Path script;
        try {
            // relative to the engine's working directory, which is also the script's
            script = Path.of(endpoint).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            problems.add(keyPath, "expected the path of a script, found \"" + endpoint + "\" (" + e.getReason() + ")");
            return null;
        }
        if (!Files.exists(script)) {
            problems.add(keyPath, "no such file: " + script);
        } else if (Files.isDirectory(script)) {
            problems.add(keyPath, script + " is a directory; expected the path of a script file");
        } else if (!Files.isReadable(script)) {
            problems.add(keyPath, script + " is not readable by this user (" + System.getProperty("user.name") + ")");
        } else if (executedDirectly && !Files.isExecutable(script)) {
            problems.add(keyPath, script + " is not executable; chmod +x it or set metadata.shell");
        }
        return script;
    }

    private static String notInstalled(Shell shell, String searchPath) {
        String lookedFor = shell.executables().stream().collect(Collectors.joining(" or "));
        List<String> installed = new ArrayList<>();
        for (Shell other : Shell.values()) {
            if (other.find(searchPath).isPresent()) {
                installed.add(other.configName());
            }
        }
        String available = installed.isEmpty()
                ? "none of " + String.join(", ", Shell.configNames()) + " is installed"
                : "installed shells: " + String.join(", ", installed);
        return "shell \"" + shell.configName() + "\" is not installed (no " + lookedFor + " on the PATH); "
                + available + "; or remove metadata.shell to execute the script directly";
    }
}
