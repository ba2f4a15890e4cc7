package ${package};

import io.aegis.api.CheckerSpec;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Creates the {@code ${checkerType}} health checkers: a service is healthy while something accepts TCP connections at
 * its endpoint.
 *
 * <pre>{@code
 * services:
 *   - name: db
 *     type: ${checkerType}
 *     endpoint: db.internal:5432    # host:port, or [ipv6-address]:port
 *     slowAfter: 200ms              # optional: a connection that takes longer is DEGRADED
 *     interval: 10s
 *     timeout: 2s
 * }</pre>
 *
 * <p>aegis finds this class with {@link java.util.ServiceLoader}, through
 * {@code META-INF/services/io.aegis.api.HealthCheckerFactory}, and makes one instance per engine: the place for
 * what its checkers share (a client, a thread pool), to be released in {@link #close()}. These checkers share
 * nothing, so there is nothing to close.
 */
public final class PortCheckerFactory implements HealthCheckerFactory {
    /** The {@code type:} this factory serves: what users write in their aegis.yaml. */
    public static final String TYPE = "${checkerType}";
    /** The optional {@code slowAfter} setting: a connection that takes longer than this is DEGRADED. */
    public static final String SLOW_AFTER = "slowAfter";

    /** Creates the factory; {@link java.util.ServiceLoader} needs this public no-argument constructor. */
    public PortCheckerFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    /**
     * Validates the service's settings and creates its checker. Every mistake is reported at once, each by its key
     * path ({@code services[2].slowAfter: ...}), so that aegis can say where in the file it is.
     */
    @Override
    public HealthChecker create(CheckerSpec spec) {
        Settings settings = spec.settings();
        List<ConfigProblem> problems = new ArrayList<>();
        HostPort target = null;
        try {
            target = HostPort.parse(spec.endpoint());
        } catch (IllegalArgumentException e) {
            problems.add(new ConfigProblem(settings.keyPath("endpoint"), e.getMessage()));
        }
        // Read through Settings even when absent: that makes slowAfter a key aegis knows, so a typo ("slowAftr")
        // is reported as an unknown key with a "did you mean".
        Duration slowAfter = null;
        try {
            Optional<Duration> value = settings.duration(SLOW_AFTER);
            if (value.isPresent() && (value.get().isZero() || value.get().isNegative())) {
                problems.add(new ConfigProblem(settings.keyPath(SLOW_AFTER),
                        "expected a duration above zero, like 200ms or 1s, found " + value.get().toMillis() + "ms"));
            } else {
                slowAfter = value.orElse(null);
            }
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new PortChecker(target, slowAfter, spec.blockingExecutor());
    }
}
