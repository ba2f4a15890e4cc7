package io.aegis.checkers.script;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.Settings;
import io.aegis.plugin.support.ProcFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** Writes real scripts for the tests and runs them through a checker. */
final class Scripts {
    private Scripts() {
    }

    /** Writes an executable {@code /bin/sh} script called {@code name} into {@code dir}. */
    static Path executable(Path dir, String name, String body) throws IOException {
        Path script = plain(dir, name, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** Writes a file that is not executable. */
    static Path plain(Path dir, String name, String content) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(script, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        return script;
    }

    static CheckerSpec spec(String endpoint, Map<String, String> metadata, Duration timeout, Executor pool) {
        return CheckerSpec.builder("queue-worker", ScriptCheckerFactory.TYPE, endpoint)
                .timeout(timeout)
                .settings(Settings.of("services[0]", Map.of("metadata", metadata)))
                .metadata(metadata)
                .blockingExecutor(pool)
                .build();
    }

    static CheckResult await(CompletionStage<CheckResult> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static CheckResult check(HealthChecker checker, Duration timeout) throws Exception {
        return await(checker.check(new CheckContext(1, timeout)));
    }

    /** The pid a script wrote into {@code file}. */
    static long pidIn(Path file) throws IOException {
        return Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim());
    }

    /** Whether {@code pid} runs, a zombie counting as dead (this machine's PID 1 does not reap orphans). */
    static boolean isRunning(long pid) {
        return ProcessHandle.of(pid).map(ProcFs::isRunning).orElse(false);
    }
}
