package io.aegis.runtimes.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.api.WorkloadStatus;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Decides which allocation updates are exits the engine must hear about: an allocation of the job (and group)
 * whose {@code ClientStatus} becomes {@code failed}, {@code lost} or {@code complete} while Nomad still wants it to
 * run, or one of whose tasks shows a {@code Terminated} event newer than any seen before that nobody asked for.
 *
 * <p>Each update carries the task's last events again, so what was seen is remembered per allocation and task
 * (by event time), and each exit is reported once. A {@code Terminated} preceded, since the task last started, by
 * {@code Restart Signaled} or {@code Killing} was asked for (a restart through the API, aegis' own included; a stop;
 * a deployment replacing it) and is not an exit; nor is anything of an allocation whose {@code DesiredStatus} is
 * {@code stop} or {@code evict}. Thread-safe.
 */
final class AllocationExits {

    private static final Set<String> TERMINAL = Set.of("failed", "lost", "complete");
    private static final Set<String> REQUESTED = Set.of("Restart Signaled", "Killing");

    private final String job;
    private final String namespace;
    private final Optional<String> group;
    private final Optional<String> task;
    private final Map<String, Seen> seen = new HashMap<>();

    AllocationExits(NomadSettings settings) {
        this.job = settings.job();
        this.namespace = settings.namespace();
        this.group = settings.group();
        this.task = settings.task();
    }

    /** What was already reported or known of one allocation. */
    private static final class Seen {
        final Map<String, Long> lastTerminated = new HashMap<>();
        boolean terminalStatus;
    }

    /** Whether {@code allocation} belongs to the supervised job (and group). */
    boolean concerns(JsonNode allocation) {
        return job.equals(allocation.path("JobID").asText())
                && (!allocation.hasNonNull("Namespace") || namespace.equals(allocation.path("Namespace").asText()))
                && group.map(g -> g.equals(allocation.path("TaskGroup").asText())).orElse(true);
    }

    /**
     * Takes in what an allocation listing shows, without reporting anything: exits that happened before aegis looked
     * are history, not news.
     */
    synchronized void baseline(JsonNode allocation) {
        if (concerns(allocation)) {
            evaluate(allocation, OptionalLong.empty());
        }
    }

    /** The exit an allocation update shows, if it is one the engine has not been told about. */
    synchronized Optional<WorkloadStatus> update(JsonNode allocation, OptionalLong jobVersion) {
        if (!concerns(allocation)) {
            return Optional.empty();
        }
        return evaluate(allocation, jobVersion);
    }

    private Optional<WorkloadStatus> evaluate(JsonNode allocation, OptionalLong jobVersion) {
        String id = allocation.path("ID").asText();
        Seen known = seen.computeIfAbsent(id, ignored -> new Seen());
        String desired = allocation.path("DesiredStatus").asText("run");
        String clientStatus = allocation.path("ClientStatus").asText("");
        boolean wanted = desired.isEmpty() || desired.equals("run");

        String exitedTask = null;
        JsonNode exitEvent = null;
        for (Map.Entry<String, JsonNode> entry : allocation.path("TaskStates").properties()) {
            if (task.isPresent() && !task.get().equals(entry.getKey())) {
                continue;
            }
            JsonNode newest = unrequestedNewTermination(known, entry.getKey(), entry.getValue().path("Events"));
            if (newest != null && exitEvent == null) {
                exitedTask = entry.getKey();
                exitEvent = newest;
            }
        }
        boolean terminalNow = TERMINAL.contains(clientStatus) && !known.terminalStatus;
        if (TERMINAL.contains(clientStatus)) {
            known.terminalStatus = true;
        }
        if (!wanted) {
            return Optional.empty();
        }
        if (exitEvent == null && !terminalNow) {
            return Optional.empty();
        }
        return Optional.of(describe(allocation, id, clientStatus, exitedTask, exitEvent, jobVersion));
    }

    /**
     * The newest {@code Terminated} event of a task newer than those seen, unless it was asked for; records it as
     * seen either way.
     */
    private static JsonNode unrequestedNewTermination(Seen known, String taskName, JsonNode events) {
        long previous = known.lastTerminated.getOrDefault(taskName, Long.MIN_VALUE);
        JsonNode newest = null;
        int newestAt = -1;
        for (int i = 0; i < events.size(); i++) {
            JsonNode event = events.get(i);
            if ("Terminated".equals(event.path("Type").asText()) && event.path("Time").asLong() > previous
                    && (newest == null || event.path("Time").asLong() >= newest.path("Time").asLong())) {
                newest = event;
                newestAt = i;
            }
        }
        if (newest == null) {
            return null;
        }
        known.lastTerminated.put(taskName, newest.path("Time").asLong());
        for (int i = newestAt - 1; i >= 0; i--) {
            String type = events.get(i).path("Type").asText();
            if (type.equals("Started")) {
                break;
            }
            if (REQUESTED.contains(type)) {
                return null;
            }
        }
        return newest;
    }

    private static WorkloadStatus describe(JsonNode allocation, String id, String clientStatus, String taskName,
            JsonNode event, OptionalLong jobVersion) {
        StringBuilder text = new StringBuilder("allocation ").append(shortId(id));
        String name = allocation.path("Name").asText("");
        if (!name.isEmpty()) {
            text.append(" (").append(name).append(')');
        }
        OptionalLong version = allocation.has("JobVersion")
                ? OptionalLong.of(allocation.path("JobVersion").asLong()) : jobVersion;
        Integer exitCode = null;
        String reason;
        if (event != null) {
            JsonNode details = event.path("Details");
            exitCode = event.has("ExitCode") ? Integer.valueOf(event.path("ExitCode").asInt())
                    : details.has("exit_code") ? Integer.valueOf(details.path("exit_code").asInt()) : null;
            int signal = event.has("Signal") ? event.path("Signal").asInt() : details.path("signal").asInt(0);
            boolean oom = details.path("oom_killed").asText("").equals("true");
            text.append(" task ").append(taskName).append(": Terminated");
            if (exitCode != null) {
                text.append(", exit code ").append(exitCode);
            }
            if (signal != 0) {
                text.append(", signal ").append(signal);
            }
            if (oom) {
                text.append(", OOM killed");
            }
            reason = oom ? "OOMKilled" : signal != 0 ? "signal " + signal : "Terminated";
            if (TERMINAL.contains(clientStatus)) {
                text.append("; allocation ").append(clientStatus);
            }
        } else {
            reason = clientStatus;
            text.append(": ").append(clientStatus);
            String why = allocation.path("ClientDescription").asText("");
            if (!why.isEmpty()) {
                text.append(" (").append(why).append(')');
            }
        }
        version.ifPresent(v -> text.append(", job version ").append(v));
        WorkloadStatus status = WorkloadStatus.exited(text.toString()).withId(id).withExitReason(reason);
        if (exitCode != null) {
            status = status.withExitCode(exitCode);
        }
        if (version.isPresent()) {
            status = status.withVersion(Long.toString(version.getAsLong()));
        }
        return status;
    }

    /** The first eight characters of an allocation ID, as the Nomad CLI shows them. */
    static String shortId(String id) {
        return id.length() > 8 ? id.substring(0, 8) : id;
    }
}
