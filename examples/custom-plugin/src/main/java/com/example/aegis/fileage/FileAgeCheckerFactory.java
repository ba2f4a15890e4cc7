package com.example.aegis.fileage;

import io.aegis.api.CheckerSpec;
import io.aegis.api.ConfigException;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Creates {@code file-age} checkers: a service is healthy while a file exists and was modified recently.
 *
 * <pre>{@code
 * services:
 *   - name: worker
 *     type: file-age
 *     endpoint: /var/run/worker.heartbeat   # the file; relative paths resolve against the working directory
 *     maxAge: 30s                           # older than this: UNHEALTHY; default 1m
 *     interval: 10s
 * }</pre>
 *
 * <p>It watches what has no port to probe: a batch job or queue worker that touches a heartbeat file on every
 * loop, a backup that rewrites its marker file after each run, a cache that is refreshed on disk.
 *
 * <p>Found by {@link java.util.ServiceLoader} through
 * {@code META-INF/services/io.aegis.api.HealthCheckerFactory}; holds no resources, so it needs no
 * {@link #close()}.
 */
public final class FileAgeCheckerFactory implements HealthCheckerFactory {
    /** The {@code type:} this factory serves. */
    public static final String TYPE = "file-age";
    /** The {@code maxAge} setting: how old the file may be before the service counts as unhealthy. */
    public static final String MAX_AGE = "maxAge";
    /** The default {@code maxAge}. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(1);

    private final Clock clock;

    /** Creates the factory; {@link java.util.ServiceLoader} needs this public no-argument constructor. */
    public FileAgeCheckerFactory() {
        this(Clock.systemUTC());
    }

    /** For tests: ages are measured against {@code clock}. */
    FileAgeCheckerFactory(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        Settings settings = spec.settings();
        Path file;
        try {
            file = Path.of(spec.endpoint());
        } catch (InvalidPathException e) {
            throw new ConfigException(settings.keyPath("endpoint"), "expected the path of a file, found \""
                    + spec.endpoint() + "\" (" + e.getReason() + ")");
        }
        // Read through Settings even when absent: that marks maxAge as a known key, so the engine reports a typo
        // such as "maxAg" as unknown, with a "did you mean".
        Duration maxAge = settings.duration(MAX_AGE, DEFAULT_MAX_AGE);
        if (maxAge.isZero()) {
            // Every file is at least a moment old, so 0s would make the service fail on every check.
            throw new ConfigException(settings.keyPath(MAX_AGE), "expected a duration above zero, like 30s or 5m,"
                    + " found 0s");
        }
        return new FileAgeChecker(file, maxAge, clock, spec.blockingExecutor());
    }
}
