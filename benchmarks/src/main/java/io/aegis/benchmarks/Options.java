package io.aegis.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What every scenario needs to know.
 *
 * @param smoke tiny sizes, one round: the {@code mvn verify} smoke test (numbers are meaningless)
 * @param repoRoot the repository root (the {@code aegis} executable and the demo service are built there)
 * @param classPath the class path for child JVMs started from this module's classes
 * @param workDir a temporary directory for configs and logs
 */
public record Options(boolean smoke, Path repoRoot, String classPath, Path workDir) {

    /** The {@code aegis} executable (a shell stub + jar, also runnable with {@code java -jar}). */
    public Path aegisExecutable() {
        return repoRoot.resolve("aegis-cli/target/aegis");
    }

    /**
     * The distribution tarball ({@code aegis-dist/target/aegis-<version>-linux-x64.tar.gz}: aegis with a Java runtime
     * of its own), if it is built.
     */
    public Optional<Path> distTarball() throws IOException {
        Path target = repoRoot.resolve("aegis-dist/target");
        if (!Files.isDirectory(target)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(file -> file.getFileName().toString().matches("aegis-.*-linux-x64\\.tar\\.gz"))
                    .findFirst();
        }
    }

    /** The demo service jar. */
    public Path demoJar() {
        return repoRoot.resolve("examples/demo-service/target/demo-service.jar");
    }

    /** Picks the full size or the smoke size. */
    public int size(int full, int smokeSize) {
        return smoke ? smokeSize : full;
    }

    /** Picks the full duration or the smoke duration. */
    public Duration duration(Duration full, Duration smokeDuration) {
        return smoke ? smokeDuration : full;
    }
}
