package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SkippedChecksTest {
    private final AtomicLong nanos = new AtomicLong(1_000);
    private final List<String> logged = new ArrayList<>();
    private final List<String> counted = new ArrayList<>();
    private final SkippedChecks skipped = new SkippedChecks(nanos::get, logged::add);

    {
        skipped.countInto((service, reason) -> counted.add(service + "/" + reason.label()));
    }

    @Test
    void countsEverySkipButLogsOneLinePerReasonAMinuteSummingUpTheRest() {
        for (int tick = 0; tick < 100; tick++) {
            skipped.skipped("script-" + tick % 7, SkippedChecks.Reason.NO_CAPACITY);
            nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
        }

        assertThat(counted).hasSize(100).allMatch(line -> line.endsWith("/no_capacity"));
        assertThat(logged).singleElement().asString()
                .startsWith("script-0: check skipped: the limit of blocking checks running at once was reached")
                .contains("global.maxConcurrentBlockingChecks", "aegis_health_checks_skipped_total");

        nanos.addAndGet(TimeUnit.MINUTES.toNanos(1));
        skipped.skipped("script-3", SkippedChecks.Reason.NO_CAPACITY);

        assertThat(logged).hasSize(2);
        assertThat(logged.get(1)).startsWith("script-3: 100 check(s) skipped in the last 70s because")
                .contains("(services: script-1, script-2, script-3, script-4, script-5, ...)");
    }

    @Test
    void eachReasonHasItsOwnLine() {
        skipped.skipped("slow", SkippedChecks.Reason.BUSY);
        skipped.skipped("script", SkippedChecks.Reason.NO_CAPACITY);
        skipped.skipped("slow", SkippedChecks.Reason.BUSY);

        assertThat(logged).hasSize(2);
        assertThat(logged.get(0)).startsWith("slow: check skipped: its previous check was still running");
        assertThat(counted).containsExactly("slow/busy", "script/no_capacity", "slow/busy");
    }
}
