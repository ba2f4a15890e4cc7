package io.aegis.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckResult;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceDefinition.Builder;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Many short steps, each check answered on a thread of its own 0-3 ms (real) later: every moment the harness settles
 * is a chance for a verdict to arrive between its reads of the engine's work and of the pending plugin calls.
 */
class HostileRaceTest {

    @Test
    void twentyServicesOfOneSecondAnsweringLateForThreeMinutesStayOnTheirGrid() {
        List<Builder> services = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String name = "race" + i;
            HostileCheckerFactory.behave(name, context -> CompletableFuture.supplyAsync(
                    () -> CheckResult.healthy(Duration.ofMillis(1)), CompletableFuture.delayedExecutor(
                            ThreadLocalRandom.current().nextInt(0, 3_000), TimeUnit.MICROSECONDS)));
            services.add(ServiceDefinition.builder(name).check("hostile", name).interval(Duration.ofSeconds(1))
                    .timeout(Duration.ofMillis(500)).retries(0).startPeriod(Duration.ZERO));
        }
        try (EngineHarness harness = EngineHarness.startInVirtualTime(services.toArray(Builder[]::new))) {
            Instant start = harness.now();
            harness.advance(Duration.ofMinutes(3));
            SoftAssertions softly = new SoftAssertions();
            for (int i = 0; i < 20; i++) {
                String name = "race" + i;
                List<Instant> checks = harness.events(CheckCompleted.class).stream()
                        .filter(c -> c.serviceName().equals(name)).map(CheckCompleted::at).toList();
                softly.assertThat(checks).as(name + " checks").hasSizeBetween(180, 181);
                softly.assertThat(HostileCheckerFactory.calls(name)).as(name + " calls").isEqualTo(checks.size());
                for (int k = 1; k < checks.size(); k++) {
                    softly.assertThat(Duration.between(checks.get(k - 1), checks.get(k)))
                            .as("%s gap before check %d", name, k).isEqualTo(Duration.ofSeconds(1));
                }
                softly.assertThat(Duration.between(start, checks.get(0))).as(name + " first").isLessThan(
                        Duration.ofMillis(20));
            }
            softly.assertThat(harness.events().stream().map(ServiceEvent::at).toList()).as("clock order").isSorted();
            softly.assertAll();
        }
    }
}
