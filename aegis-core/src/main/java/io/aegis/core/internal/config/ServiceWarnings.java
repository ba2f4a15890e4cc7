package io.aegis.core.internal.config;

import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
import io.aegis.core.RetryBackoff;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.internal.RetryDelays;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of a service that are valid but probably not what was meant, each as a warning that says what will
 * happen: a timeout that runs into the next tick, an interval so short it is a load of its own, retries that
 * cannot all fit in one interval. Warnings never stop the engine.
 */
public final class ServiceWarnings {
    /** Intervals below this are warned about. */
    public static final Duration SHORT_INTERVAL = Duration.ofMillis(100);
    /** Retries are simulated one by one; past this many fit, they all do for any practical purpose. */
    private static final int MAX_SIMULATED_RETRIES = 10_000;

    private ServiceWarnings() {
    }

    /** The warnings for {@code service}, with the key paths of the settings they are about. */
    public static List<ConfigProblem> of(ServiceDefinition service) {
        List<ConfigProblem> warnings = new ArrayList<>();
        Duration interval = service.interval();
        Duration timeout = service.timeout();
        if (interval.compareTo(SHORT_INTERVAL) < 0) {
            long perSecond = Math.round(1e9 / Math.max(1, interval.toNanos()));
            warnings.add(new ConfigProblem(service.settings().keyPath("interval"), "interval "
                    + Durations.format(interval) + " is under " + Durations.format(SHORT_INTERVAL) + ": the service will"
                    + " be checked " + (perSecond == 1e9 / interval.toNanos() ? "" : "about ") + perSecond
                    + " times a second, a load on it and on aegis that rarely pays off; use "
                    + Durations.format(SHORT_INTERVAL) + " or more unless you mean it"));
        }
        if (timeout.compareTo(interval) >= 0) {
            long ticksPerCheck = timeout.toNanos() / interval.toNanos() + 1;
            warnings.add(new ConfigProblem(service.settings().keyPath("timeout"), "timeout " + Durations.format(timeout)
                    + " is not shorter than interval " + Durations.format(interval) + ": a check that takes that long"
                    + " runs into the next tick, which is then skipped, so while the service is slow it is checked"
                    + " only every " + Durations.format(interval.multipliedBy(ticksPerCheck))
                    + "; make timeout shorter than interval"));
        }
        int fitting = retriesThatFit(interval, timeout, service.retryBackoff(), service.retries());
        if (fitting < service.retries()) {
            RetryBackoff backoff = service.retryBackoff();
            warnings.add(new ConfigProblem(service.settings().keyPath("retries"), "only " + fitting + " of the "
                    + service.retries() + " retries fit in one interval (" + Durations.format(interval) + ") when every"
                    + " attempt takes its whole timeout (" + Durations.format(timeout) + ") and waits its longest"
                    + " backoff (retryBackoff: initial " + Durations.format(backoff.initial()) + ", multiplier "
                    + multiplier(backoff) + ", max " + Durations.format(backoff.max()) + "); the rest are not attempted, because a retry"
                    + " starts only if it can finish before the next tick: lower retries or timeout, or raise interval"));
        }
        int isolate = service.ladder().indexOf("isolate");
        if (isolate >= 0 && isolate < service.ladder().size() - 1) {
            warnings.add(new ConfigProblem(service.actionSettings().keyPath("onFailure") + "[" + (isolate + 1) + "]",
                    "\"" + service.ladder().get(isolate + 1) + "\" comes after isolate and will never run: isolate ends"
                    + " automatic recovery (and raises a critical alert) until a person resets the service; put the"
                    + " steps you want before isolate"));
        }
        return warnings;
    }

    /**
     * How many of {@code retries} can start and still finish before the next tick when every attempt takes the
     * whole timeout and every backoff delay is at its ceiling (the worst case: full jitter draws from zero to it).
     */
    static int retriesThatFit(Duration interval, Duration timeout, RetryBackoff backoff, int retries) {
        RetryDelays delays = new RetryDelays(backoff, () -> 1.0);
        Duration elapsed = timeout; // the first attempt
        int fitting = 0;
        while (fitting < retries && fitting < MAX_SIMULATED_RETRIES) {
            Duration end = elapsed.plus(delays.ceiling(fitting + 1)).plus(timeout);
            if (end.compareTo(interval) > 0) {
                return fitting;
            }
            elapsed = end;
            fitting++;
        }
        return retries;
    }

    private static String multiplier(RetryBackoff backoff) {
        double multiplier = backoff.multiplier();
        return multiplier == Math.rint(multiplier) ? Long.toString((long) multiplier) : Double.toString(multiplier);
    }
}
