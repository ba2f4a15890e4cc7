package io.aegis.runtimes.process;

import io.aegis.api.Durations;
import io.aegis.plugin.support.ProcFs;
import io.aegis.plugin.support.ProcessTree;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Before a service's process starts: stops whatever still runs for the service and is not the runtime's own
 * process — what a killed aegis left (found through the record in the state directory and the service's marker)
 * or what the previous run left behind. Aegis <em>replaces</em> rather than adopts, because a process started by
 * another aegis cannot be supervised properly: its exit status goes to its dead parent, its output to a pipe or
 * file handle aegis no longer holds, and a restart on top of it would fail on its port.
 */
final class LeftoverProcesses {

    private static final System.Logger LOG = System.getLogger(LeftoverProcesses.class.getName());

    private LeftoverProcesses() {
    }

    /**
     * Finds and stops the leftovers of service {@code serviceName}, SIGTERM then SIGKILL after {@code grace};
     * returns once none runs. Logs one line saying what is replaced and why.
     *
     * @param firstStart whether this is the runtime's first start, when leftovers come from a previous aegis
     * @throws IllegalStateException when a leftover survives SIGKILL
     */
    static void stop(String serviceName, Path stateDirectory, ServiceProcesses processes, Duration grace,
            boolean firstStart) {
        Optional<ServiceProcessRecord> record = Optional.empty();
        try {
            record = ServiceProcessRecord.read(stateDirectory);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "{0}: ignoring {1}", serviceName, e.getMessage());
        }
        Supplier<List<ProcessHandle>> group = group(record, processes);
        List<ProcessHandle> found = group.get();
        if (found.isEmpty()) {
            return;
        }
        LOG.log(Level.WARNING, "{0}: {1}", serviceName, describe(record, found, grace, firstStart));
        try {
            ProcessTree.leftovers(group).terminateAndWait(grace, forcedWarning(serviceName, found, grace));
        } catch (IllegalStateException e) {
            throw new IllegalStateException("cannot replace what still runs for service \"" + serviceName + "\": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + pids(found), e);
        }
    }

    /**
     * Stops the isolate hooks of a service that a killed aegis left running (they carry the hook's marker): left
     * alone, a hung hook would run forever, past its {@code isolate.timeout}. Logs one line; a hook that cannot be
     * stopped is logged, never a reason not to start the service.
     */
    static void stopHooks(String serviceName, ServiceProcesses hooks, Duration grace) {
        Supplier<List<ProcessHandle>> group = () -> hooks.find(OptionalLong.empty());
        List<ProcessHandle> found = group.get();
        if (found.isEmpty()) {
            return;
        }
        LOG.log(Level.WARNING, "{0}: stopping its isolate hook {1}, left running by a previous aegis that ended while"
                + " the hook ran (SIGTERM, SIGKILL after {2})", serviceName, pids(found), Durations.format(grace));
        try {
            ProcessTree.leftovers(group).terminateAndWait(grace, () -> { });
        } catch (IllegalStateException e) {
            LOG.log(Level.ERROR, "{0}: cannot stop its isolate hook {1}, left by a previous aegis: {2}", serviceName,
                    pids(found), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops what an earlier aegis left running for a service that is no longer configured (renamed or removed):
     * nothing will replace it, and left alone it would hold its port and outlive every aegis after it.
     */
    static void stopFormerService(String formerName, Path serviceDirectory, ServiceProcessRecord record,
            Duration grace) {
        if (java.nio.file.Files.exists(serviceDirectory.resolve(ProcessRuntime.HOOK_MARK))) {
            stopHooks(formerName, ProcessRuntime.hookProcesses(record.marker()), ProcessRuntime.HOOK_STOP_GRACE_PERIOD);
        }
        Supplier<List<ProcessHandle>> group = group(Optional.of(record), new ServiceProcesses(record.marker()));
        List<ProcessHandle> found = group.get();
        if (found.isEmpty()) {
            return;
        }
        LOG.log(Level.WARNING, "{0}: this service is no longer in the configuration, but what a previous aegis (pid"
                + " {1}) started for it still runs: {2}; stopping it (SIGTERM, SIGKILL after {3}), its output stays in"
                + " {4}", formerName, Long.toString(record.aegisPid()), pids(found), Durations.format(grace),
                serviceDirectory);
        try {
            ProcessTree.leftovers(group).terminateAndWait(grace, forcedWarning(formerName, found, grace));
        } catch (IllegalStateException e) {
            LOG.log(Level.ERROR, "{0}: cannot stop {1}, left by a previous aegis: {2}", formerName, pids(found),
                    e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What belongs to the service: processes with its marker, the recorded process if it still is the same one
     * (same start time), and its session — unless the session id was reused (a new process with that pid leads
     * a new session: a pid in use as a session id is never handed out again while the session lives).
     */
    static Supplier<List<ProcessHandle>> group(Optional<ServiceProcessRecord> record, ServiceProcesses processes) {
        OptionalLong session = OptionalLong.empty();
        if (record.isPresent() && record.get().session().isPresent()) {
            long id = record.get().session().getAsLong();
            Optional<ProcessHandle> leader = ProcessHandle.of(id).filter(ProcFs::isRunning);
            if (leader.isEmpty() || record.get().describes(leader.get())) {
                session = OptionalLong.of(id);
            }
        }
        OptionalLong validSession = session;
        return () -> {
            // What the recorded run forked started after it, stale record (reused pid) or not.
            long notBefore = record.flatMap(r -> r.startTicks().isPresent() ? Optional.of(r.startTicks().getAsLong())
                    : Optional.empty()).orElse(0L);
            Set<ProcessHandle> all = new LinkedHashSet<>(processes.find(validSession, notBefore));
            // Without /proc, the record is all there is: the recorded process and its descendants.
            record.flatMap(r -> ProcessHandle.of(r.pid()).filter(r::describes)).filter(ProcFs::isRunning)
                    .ifPresent(leader -> {
                        all.add(leader);
                        leader.descendants().filter(ProcFs::isRunning).forEach(all::add);
                    });
            return new ArrayList<>(all);
        };
    }

    private static String describe(Optional<ServiceProcessRecord> record, List<ProcessHandle> found, Duration grace,
            boolean firstStart) {
        String what = record.filter(r -> found.stream().anyMatch(p -> p.pid() == r.pid()))
                .map(r -> "pid " + r.pid() + " (" + r.command() + ")" + (found.size() > 1 ? " and its processes "
                        + pids(found.stream().filter(p -> p.pid() != r.pid()).toList()) : ""))
                .orElse(pids(found).toString());
        String stopping = "stopping them (SIGTERM, SIGKILL after " + Durations.format(grace) + ") and starting a fresh copy";
        if (firstStart) {
            String previous = record.map(r -> "a previous aegis (pid " + r.aegisPid() + ")").orElse("a previous aegis");
            return "replacing what " + previous + " left running: " + what + "; " + stopping
                    + ", because a process started by another aegis cannot be supervised: its exit status and"
                    + " output belong to the aegis that started it";
        }
        return "the previous run left " + what + " running; " + stopping;
    }

    private static Runnable forcedWarning(String serviceName, List<ProcessHandle> found, Duration grace) {
        return () -> LOG.log(Level.WARNING, "{0}: {1} did not exit within {2} of SIGTERM; killing", serviceName,
                pids(found), Durations.format(grace));
    }

    private static List<Long> pids(List<ProcessHandle> processes) {
        return processes.stream().map(ProcessHandle::pid).collect(Collectors.toList());
    }
}
