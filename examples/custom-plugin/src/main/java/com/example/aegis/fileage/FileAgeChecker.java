package com.example.aegis.fileage;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Checks one file's modification time against {@code maxAge}.
 *
 * <p>Verdicts, and why each failure reason:
 * <ul>
 *   <li>modified within {@code maxAge}: HEALTHY;</li>
 *   <li>older: UNHEALTHY with {@link FailureReason#STATUS}. The file is there and "answered", but with a value
 *       outside the expected range, which is what STATUS means for HTTP and gRPC. {@code NOT_RUNNING} would
 *       claim more than we know: the writer may be alive but stuck;</li>
 *   <li>missing: UNHEALTHY with {@link FailureReason#NOT_RUNNING}: heartbeat writers create the file when they
 *       start (and often delete it when they stop), so no file means nothing has started writing it;</li>
 *   <li>unreadable (permissions, I/O error): UNKNOWN with {@link FailureReason#PLUGIN_ERROR}, because we could
 *       not tell, and "could not tell" is not "it is down".</li>
 * </ul>
 */
final class FileAgeChecker implements HealthChecker {
    private final Path file;
    private final Duration maxAge;
    private final Clock clock;
    private final Executor blockingExecutor;

    FileAgeChecker(Path file, Duration maxAge, Clock clock, Executor blockingExecutor) {
        this.file = file;
        this.maxAge = maxAge;
        this.clock = clock;
        this.blockingExecutor = blockingExecutor;
    }

    @Override
    public CompletionStage<CheckResult> check(CheckContext context) {
        // A file stat is blocking I/O (think of an NFS mount that hangs): never on the engine's scheduler thread.
        return CompletableFuture.supplyAsync(this::checkNow, blockingExecutor);
    }

    private CheckResult checkNow() {
        long startNanos = System.nanoTime();
        Instant modified;
        try {
            modified = Files.getLastModifiedTime(file).toInstant();
        } catch (NoSuchFileException e) {
            return CheckResult.unhealthy(FailureReason.NOT_RUNNING, file + " does not exist", since(startNanos));
        } catch (IOException | SecurityException e) {
            return CheckResult.unknown(FailureReason.PLUGIN_ERROR, "cannot read the modification time of " + file
                    + ": " + e, since(startNanos));
        }
        Duration age = Duration.between(modified, clock.instant());
        if (age.isNegative()) {
            age = Duration.ZERO; // modified "in the future": a clock skew between writer and us, not a failure
        }
        String message = file + " is " + format(age) + " old (max " + format(maxAge) + ")";
        return age.compareTo(maxAge) <= 0
                ? CheckResult.healthy(since(startNanos), message)
                : CheckResult.unhealthy(FailureReason.STATUS, message, since(startNanos));
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /**
     * {@code 250ms}, {@code 4.8s}, {@code 95s}: one unit (seconds, as people think of file ages, so {@code 1m} is
     * {@code 60s}) with a tenth of a second only where it matters. Truncated, never rounded up, so a file is
     * never reported older than its limit while it still passes.
     */
    static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + "ms";
        }
        if (millis < 10_000 && millis % 1000 != 0) {
            return millis / 1000 + "." + millis % 1000 / 100 + "s";
        }
        return millis / 1000 + "s";
    }

    @Override
    public String toString() {
        return "file-age " + file + " (max " + format(maxAge) + ")";
    }
}
