package io.aegis.core.event;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The engine applied a new configuration (a hot reload: {@code SIGHUP}, {@code Engine.reload()}). An event about
 * the engine itself, not one service: {@link #serviceName()} is the empty string. Published once per successful
 * reload, after the changes are in effect; a reload to an invalid file changes nothing and publishes nothing.
 *
 * @param at when the reload was applied, by the engine's clock
 * @param added the services that were not supervised before and are now, in file order
 * @param removed the services no longer supervised (their workloads stopped)
 * @param changed the services whose configuration changed (their check swapped in place, or their workload
 *     restarted through their runtime when their runtime block changed)
 * @param unchanged the services left untouched
 * @param notApplied one sentence per change that takes effect only when aegis restarts
 */
public record ConfigReloaded(Instant at, List<String> added, List<String> removed, List<String> changed,
        List<String> unchanged, List<String> notApplied) implements ServiceEvent {
    /**
     * Validates and copies the values.
     *
     * @param at when the reload was applied, by the engine's clock
     * @param added the services that were not supervised before and are now, in file order
     * @param removed the services no longer supervised (their workloads stopped)
     * @param changed the services whose configuration changed (their check swapped in place, or their workload
     *     restarted through their runtime when their runtime block changed)
     * @param unchanged the services left untouched
     * @param notApplied one sentence per change that takes effect only when aegis restarts
     */
    public ConfigReloaded {
        Objects.requireNonNull(at, "at");
        added = List.copyOf(added);
        removed = List.copyOf(removed);
        changed = List.copyOf(changed);
        unchanged = List.copyOf(unchanged);
        notApplied = List.copyOf(notApplied);
    }

    /** The empty string: this event is about the engine itself, not one service. */
    @Override
    public String serviceName() {
        return "";
    }
}
