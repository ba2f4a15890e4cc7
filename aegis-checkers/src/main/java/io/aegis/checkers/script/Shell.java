package io.aegis.checkers.script;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * An interpreter a script may be run with ({@code metadata.shell}), and the search for it on the
 * {@code PATH}.
 *
 * <p>{@code powershell} and {@code pwsh} both accept either executable: the seed's configs say
 * {@code powershell}, which on Linux and macOS is installed as {@code pwsh} (PowerShell 7), while Windows
 * has {@code powershell} (5.1) and maybe {@code pwsh}. Each name prefers the executable it names.
 */
enum Shell {
    SH("sh", List.of("sh")),
    BASH("bash", List.of("bash")),
    PWSH("pwsh", List.of("pwsh", "powershell")),
    POWERSHELL("powershell", List.of("powershell", "pwsh"));

    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private final String configName;
    private final List<String> executables;

    Shell(String configName, List<String> executables) {
        this.configName = configName;
        this.executables = executables;
    }

    /** The value of {@code metadata.shell} that selects this shell. */
    String configName() {
        return configName;
    }

    /** The executables looked for, in order of preference. */
    List<String> executables() {
        return executables;
    }

    /** The shell named {@code name} (any case); empty when no shell has that name. */
    static Optional<Shell> named(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (Shell shell : values()) {
            if (shell.configName.equals(wanted)) {
                return Optional.of(shell);
            }
        }
        return Optional.empty();
    }

    /** The names accepted in {@code metadata.shell}, for error messages. */
    static List<String> configNames() {
        List<String> names = new ArrayList<>();
        for (Shell shell : values()) {
            names.add(shell.configName);
        }
        return names;
    }

    /** The first of this shell's executables found on {@code searchPath}; empty when none is installed. */
    Optional<Path> find(String searchPath) {
        for (String executable : executables) {
            Optional<Path> found = onPath(executable, searchPath);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /**
     * The words that run {@code script} with this shell (at {@code executable}), before the script's own
     * arguments.
     */
    List<String> command(Path executable, Path script) {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        if (this == PWSH || this == POWERSHELL) {
            // No profile: a user's profile could print or prompt and make the first line of output useless.
            command.addAll(List.of("-NoLogo", "-NoProfile", "-NonInteractive"));
            if (WINDOWS) {
                // Windows PowerShell refuses unsigned scripts by default; the operator chose this script.
                command.addAll(List.of("-ExecutionPolicy", "Bypass"));
            }
            command.add("-File");
        }
        command.add(script.toString());
        return command;
    }

    /** Looks {@code name} up like a shell would: the first executable regular file of that name on the path. */
    static Optional<Path> onPath(String name, String searchPath) {
        if (searchPath == null) {
            return Optional.empty();
        }
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            for (String candidate : WINDOWS ? List.of(name + ".exe", name) : List.of(name)) {
                try {
                    Path path = Path.of(dir, candidate);
                    if (Files.isRegularFile(path) && Files.isExecutable(path)) {
                        return Optional.of(path);
                    }
                } catch (InvalidPathException e) {
                    // a malformed PATH entry holds nothing; keep looking
                }
            }
        }
        return Optional.empty();
    }
}
