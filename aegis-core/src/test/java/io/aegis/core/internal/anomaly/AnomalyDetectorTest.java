package io.aegis.core.internal.anomaly;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.MoreExecutors;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.Severity;
import io.aegis.core.event.AnomalyDetected;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.logs.LogsConfig;
import io.aegis.core.internal.VirtualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The detector on virtual time with direct event delivery: what a check result counts for, and what happens to an
 * anomaly's effects around a service's removal.
 */
class AnomalyDetectorTest {
    private static final Duration INTERVAL = Duration.ofSeconds(10);

    private final VirtualScheduler scheduler = new VirtualScheduler(Instant.parse("2026-12-02T00:00:00Z"));
    private final EventBus bus = EventBus.deliveringOn(MoreExecutors.newDirectExecutorService());
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private final Alerts alerts = new Alerts(bus, scheduler.clock());
    private final List<String> stateChanges = new ArrayList<>();
    private final AnomalyDetector detector = new AnomalyDetector(new AnomalyConfig(true, INTERVAL, 100, 3, 5, 1,
            INTERVAL, INTERVAL.multipliedBy(100), false, Severity.WARNING, LogsConfig.Action.NONE, List.of()),
            alerts, bus, scheduler.clock(), scheduler, new AnomalyDetector.Actions() {
                @Override
                public void anomalous(String service, boolean anomalous, String cause) {
                    stateChanges.add(service + (anomalous ? " anomalous" : " normal"));
                }

                @Override
                public void act(String service, String cause) {
                }
            });

    {
        bus.subscribe(ServiceEvent.class, events::add);
    }

    @AfterEach
    void close() {
        detector.close();
        bus.close(Duration.ZERO);
    }

    private void watchWithErrorRateThreshold(String service) {
        detector.watch(service, Map.of(Signal.ERROR_RATE, 0.1, Signal.LATENCY, 100.0),
                SignalSourceConfig.none());
    }

    private double value(String service, Signal wanted) {
        double[] found = {Double.NaN};
        detector.visit((name, signal, value, mean, lower, upper, anomalous, count) -> {
            if (name.equals(service) && signal == wanted) {
                found[0] = value;
            }
        });
        return found[0];
    }

    @Test
    void failuresWhileTheServiceIsNotPassingItsChecksAndCouldNotTellResultsAreNoSample() {
        watchWithErrorRateThreshold("api");
        detector.start();

        for (int i = 0; i < 10; i++) {
            // starting, down or recovering: the health checks report those
            detector.checkCompleted("api", CheckResult.unhealthy(FailureReason.CONNECT, "refused",
                    Duration.ofMillis(1)), true, false);
            // the checker itself failed: not the service's doing
            detector.checkCompleted("api", CheckResult.unknown(FailureReason.PLUGIN_ERROR, "boom", Duration.ZERO),
                    true, true);
        }
        scheduler.advance(INTERVAL);

        assertThat(value("api", Signal.ERROR_RATE)).as("nothing measured").isNaN();
        assertThat(events).noneMatch(AnomalyDetected.class::isInstance);
    }

    @Test
    void theErrorRateIsTheFailedShareOfCyclesAndLatencyThatOfThePassingOnes() {
        watchWithErrorRateThreshold("api");
        detector.start();

        for (int i = 0; i < 8; i++) {
            detector.checkCompleted("api", CheckResult.healthy(Duration.ofMillis(20)), true, true);
        }
        detector.checkCompleted("api", CheckResult.unhealthy(FailureReason.TIMEOUT, "no answer",
                Duration.ofSeconds(5)), true, true);
        detector.checkCompleted("api", CheckResult.unhealthy(FailureReason.STATUS, "HTTP 500",
                Duration.ofMillis(3)), false, true); // retried: its cycle counts by its last attempt only
        detector.checkCompleted("api", CheckResult.healthy(Duration.ofMillis(50)), true, true);
        scheduler.advance(INTERVAL);

        assertThat(value("api", Signal.ERROR_RATE)).isEqualTo(0.1); // 1 of 10 cycles
        assertThat(value("api", Signal.LATENCY)).as("the timeout's 5 s says nothing of how fast it answers")
                .isEqualTo((8 * 20 + 50) / 9.0);
    }

    @Test
    void anAnomalyOfAServiceRemovedMeanwhileRaisesNothingAndAServiceWatchedAfterTheStartIsJudged() {
        detector.start(); // nothing watched yet: evaluations run all the same
        watchWithErrorRateThreshold("api");
        detector.checkCompleted("api", CheckResult.unhealthy(FailureReason.STATUS, "HTTP 500",
                Duration.ofMillis(1)), true, true);
        scheduler.advance(INTERVAL);
        assertThat(events).filteredOn(AnomalyDetected.class::isInstance).hasSize(1);
        assertThat(stateChanges).containsExactly("api anomalous");

        detector.forget("api");
        watchWithErrorRateThreshold("api"); // added again (a hot reload): a fresh start, not DEGRADED
        detector.checkCompleted("api", CheckResult.healthy(Duration.ofMillis(1)), true, true);
        scheduler.advance(INTERVAL);

        assertThat(stateChanges).containsExactly("api anomalous");
        assertThat(value("api", Signal.ERROR_RATE)).isZero();
    }
}
