package io.aegis.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A program run to its end: {@code tar}, {@code ldd}, {@code docker}, {@code bin/aegis --version}. */
final class Command {
    private Command() {
    }

    /**
     * Runs {@code command} in {@code dir} with exactly {@code env} as its environment ({@code null}: this JVM's),
     * stdin from /dev/null, and waits at most {@code timeout}.
     */
    static Result run(List<String> command, Path dir, Map<String, String> env, Duration timeout) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                new File("/dev/null")));
        if (dir != null) {
            builder.directory(dir.toFile());
        }
        if (env != null) {
            builder.environment().clear();
            builder.environment().putAll(env);
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        }
        CompletableFuture<String> stdout = readAll(process.getInputStream());
        CompletableFuture<String> stderr = readAll(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(command, process.exitValue(), stdout.join(), stderr.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    /** Runs {@code command} with this JVM's environment; it must exit 0. Returns its stdout. */
    static String succeed(String... command) {
        Result result = run(List.of(command), null, null, Duration.ofMinutes(2));
        assertThat(result.exitCode()).as("%s", result).isZero();
        return result.stdout();
    }

    private static CompletableFuture<String> readAll(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        });
    }

    /** How a command ended; {@link #toString} is what a failed assertion shows. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return String.join(" ", command) + " exited with " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n"
                    + stderr;
        }
    }
}
