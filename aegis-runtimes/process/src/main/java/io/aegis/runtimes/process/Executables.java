package io.aegis.runtimes.process;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the file a program name runs, the way the JDK does on Linux when it starts a process. */
final class Executables {

    private Executables() {
    }

    /**
     * The executable file {@code program} names: as given (relative to {@code workingDirectory}, where the
     * child runs) when it holds a {@code /}, otherwise the first match on the engine's own {@code PATH}, which is
     * the one the JDK searches too. Empty when there is none.
     */
    static Optional<Path> resolve(String program, Optional<Path> workingDirectory) {
        try {
            if (program.indexOf('/') >= 0) {
                Path path = Path.of(program);
                if (!path.isAbsolute()) {
                    path = workingDirectory.orElse(Path.of("")).resolve(path).toAbsolutePath();
                }
                return executable(path) ? Optional.of(path) : Optional.empty();
            }
            String searchPath = System.getenv("PATH");
            if (searchPath == null || program.isEmpty()) {
                return Optional.empty();
            }
            for (String dir : searchPath.split(File.pathSeparator)) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, program).toAbsolutePath();
                if (executable(candidate)) {
                    return Optional.of(candidate);
                }
            }
            return Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    private static boolean executable(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }
}
