package io.aegis.core;

import java.util.List;

/**
 * What a hot reload ({@link Engine#reload()}) changed. Services are matched by name and compared by their whole
 * block in the file (and their part in {@code logs.files} and {@code anomaly_detection.thresholds}).
 *
 * @param added the services the new configuration adds, started now, in file order
 * @param removed the services it no longer has, stopped with their workloads (their metric series removed)
 * @param changed the services whose configuration changed: their check swapped in place while their workload
 *     runs on, or, when their {@code runtime:} block changed, their workload stopped through the old runtime and
 *     started through the new one
 * @param unchanged the services left untouched: same monitor, state, counters and workload (services defined in
 *     code rather than in the file are always among them)
 * @param notApplied one sentence for each change that takes effect only when aegis restarts, such as {@code
 *     global.metricsPort changed from 9090 to 9091: it takes effect when aegis restarts}
 */
public record ReloadResult(List<String> added, List<String> removed, List<String> changed, List<String> unchanged,
        List<String> notApplied) {
    /**
     * Copies the lists.
     *
     * @param added the services the new configuration adds, started now, in file order
     * @param removed the services it no longer has, stopped with their workloads (their metric series removed)
     * @param changed the services whose configuration changed: their check swapped in place while their workload runs
     *     on, or, when their {@code runtime:} block changed, their workload stopped through the old runtime and started
     *     through the new one
     * @param unchanged the services left untouched: same monitor, state, counters and workload (services defined in
     *     code rather than in the file are always among them)
     * @param notApplied one sentence for each change that takes effect only when aegis restarts, such as {@code
     *     global.metricsPort changed from 9090 to 9091: it takes effect when aegis restarts}
     */
    public ReloadResult {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
        changed = List.copyOf(changed);
        unchanged = List.copyOf(unchanged);
        notApplied = List.copyOf(notApplied);
    }

    /** {@return whether the reload changed any service} */
    public boolean changedServices() {
        return !added.isEmpty() || !removed.isEmpty() || !changed.isEmpty();
    }

    /** {@return one line: {@code 5 added, 5 removed, 5 changed, 35 unchanged}} */
    public String summary() {
        return added.size() + " added, " + removed.size() + " removed, " + changed.size() + " changed, "
                + unchanged.size() + " unchanged";
    }
}
