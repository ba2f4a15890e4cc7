package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.core.ServiceState;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ServiceStateMachineTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final CheckResult PASS = CheckResult.healthy(Duration.ofMillis(3), "HTTP 200");
    private static final CheckResult FAIL = CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", Duration.ofMillis(3));
    private static final CheckResult SLOW = CheckResult.degraded(null, "slow", Duration.ofMillis(900));

    @Test
    void becomesHealthyOnTheFirstPassingCheck() {
        ServiceStateMachine machine = new ServiceStateMachine(3, 2);

        var transition = machine.cycleCompleted(PASS, T0);

        assertThat(transition).hasValueSatisfying(t -> {
            assertThat(t.from()).isEqualTo(ServiceState.UNKNOWN);
            assertThat(t.to()).isEqualTo(ServiceState.HEALTHY);
            assertThat(t.cause()).contains("HTTP 200");
        });
    }

    @Test
    void turnsUnhealthyExactlyAtTheFailureThreshold() {
        ServiceStateMachine machine = new ServiceStateMachine(3, 1);
        machine.cycleCompleted(PASS, T0);

        assertThat(machine.cycleCompleted(FAIL, T0.plusSeconds(1))).isEmpty();
        assertThat(machine.cycleCompleted(FAIL, T0.plusSeconds(2))).isEmpty();
        var third = machine.cycleCompleted(FAIL, T0.plusSeconds(3));

        assertThat(third).hasValueSatisfying(t -> {
            assertThat(t.to()).isEqualTo(ServiceState.UNHEALTHY);
            assertThat(t.cause()).isEqualTo("3 failed checks in a row: status: HTTP 503");
        });
    }

    @Test
    void aPassingCheckResetsTheFailureCount() {
        ServiceStateMachine machine = new ServiceStateMachine(2, 1);
        machine.cycleCompleted(PASS, T0);
        machine.cycleCompleted(FAIL, T0.plusSeconds(1));
        machine.cycleCompleted(PASS, T0.plusSeconds(2));

        assertThat(machine.cycleCompleted(FAIL, T0.plusSeconds(3))).isEmpty();
        assertThat(machine.state()).isEqualTo(ServiceState.HEALTHY);
    }

    @Test
    void turnsHealthyAgainExactlyAtTheSuccessThreshold() {
        ServiceStateMachine machine = new ServiceStateMachine(1, 3);
        machine.cycleCompleted(PASS, T0);
        machine.cycleCompleted(FAIL, T0.plusSeconds(1));
        assertThat(machine.state()).isEqualTo(ServiceState.UNHEALTHY);

        assertThat(machine.cycleCompleted(PASS, T0.plusSeconds(2))).isEmpty();
        assertThat(machine.cycleCompleted(PASS, T0.plusSeconds(3))).isEmpty();
        assertThat(machine.cycleCompleted(PASS, T0.plusSeconds(4)))
                .hasValueSatisfying(t -> assertThat(t.to()).isEqualTo(ServiceState.HEALTHY));
    }

    @Test
    void failuresInsideTheStartPeriodDoNotCount() {
        ServiceStateMachine machine = new ServiceStateMachine(1, 1);
        machine.started(T0, Duration.ofSeconds(10), "workload started");
        assertThat(machine.state()).isEqualTo(ServiceState.STARTING);

        assertThat(machine.cycleCompleted(FAIL, T0.plusSeconds(9))).isEmpty();
        assertThat(machine.cycleCompleted(FAIL, T0.plusSeconds(10)))
                .hasValueSatisfying(t -> assertThat(t.to()).isEqualTo(ServiceState.UNHEALTHY));
    }

    @Test
    void failingChecksWhileRecoveringLeaveTheDecisionToRecovery() {
        ServiceStateMachine machine = new ServiceStateMachine(1, 1);
        machine.cycleCompleted(FAIL, T0);
        machine.moveTo(ServiceState.RECOVERING, "restarting");

        assertThat(machine.cycleCompleted(FAIL, T0.plusSeconds(1))).isEmpty();
        assertThat(machine.state()).isEqualTo(ServiceState.RECOVERING);
        assertThat(machine.cycleCompleted(PASS, T0.plusSeconds(2)))
                .hasValueSatisfying(t -> assertThat(t.from()).isEqualTo(ServiceState.RECOVERING));
    }

    @Test
    void aDegradedResultMovesAHealthyServiceToDegradedAndBack() {
        ServiceStateMachine machine = new ServiceStateMachine(1, 1);
        machine.cycleCompleted(PASS, T0);

        assertThat(machine.cycleCompleted(SLOW, T0.plusSeconds(1)))
                .hasValueSatisfying(t -> assertThat(t.to()).isEqualTo(ServiceState.DEGRADED));
        assertThat(machine.cycleCompleted(PASS, T0.plusSeconds(2)))
                .hasValueSatisfying(t -> assertThat(t.to()).isEqualTo(ServiceState.HEALTHY));
    }
}
