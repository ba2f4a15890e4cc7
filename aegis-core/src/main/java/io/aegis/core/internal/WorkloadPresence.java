package io.aegis.core.internal;

import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.WorkloadStatus;
import java.util.List;

/**
 * A service with a runtime is healthy only while its workload runs: a check that passes while the runtime says
 * the workload has exited or is stopped answers for someone else's process (an orphan of an earlier run,
 * another copy started by hand, a leftover of a killed aegis), and calling that HEALTHY would hide the outage.
 */
final class WorkloadPresence {

    private WorkloadPresence() {
    }

    /**
     * {@code result}, or an UNHEALTHY {@link FailureReason#NOT_RUNNING} result saying that something else serves
     * the endpoint when {@code result} passes but the workload's {@code status} (null: not known) says it has exited
     * or is stopped. On Linux the message names the process that listens on the {@code endpoint}'s port, when it is
     * this user's.
     */
    static CheckResult check(CheckResult result, WorkloadStatus status, String endpoint) {
        if (!result.isPassing() || status == null) {
            return result;
        }
        if ((status.state() != WorkloadStatus.State.EXITED && status.state() != WorkloadStatus.State.STOPPED)) {
            return result;
        }
        String listener = ListeningProcesses.port(endpoint).stream().mapToObj(port -> {
            List<Long> pids = ListeningProcesses.on(port);
            return pids.isEmpty() ? "" : " (" + (pids.size() == 1 ? "pid " + pids.get(0) : "pids " + pids)
                    + " listens on port " + port + ")";
        }).findFirst().orElse("");
        return CheckResult.unhealthy(FailureReason.NOT_RUNNING, "the check passes but aegis' workload for this service"
                + " is not running (" + status.description() + "): something else serves the endpoint" + listener,
                result.latency());
    }
}
