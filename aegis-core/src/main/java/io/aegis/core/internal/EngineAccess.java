package io.aegis.core.internal;

import io.aegis.core.Engine;

/**
 * What the test kit's engine harness may do to an {@link Engine.Builder} that embedders may not: run the engine on
 * virtual time. {@code Engine} registers the implementation from its static initializer (see {@link SharedSecret}).
 */
public interface EngineAccess {

    /**
     * Makes the engine {@code builder} builds take its time and every timer (ticks, retries, backoff, deadlines of
     * plugin calls, recovery and alert windows, notification retries) from {@code scheduler}, its clock from
     * {@link VirtualScheduler#clock()}, and count the tasks of its own pools (workers, event delivery) in
     * {@code engineWork} and those of the pool that calls into plugins in {@code pluginWork}, so that the harness
     * can tell when the engine has settled after a step of time (a plugin that blocks in a call may hold a task of
     * {@code pluginWork} until its deadline, which comes in virtual time).
     */
    void useVirtualTime(Engine.Builder builder, VirtualScheduler scheduler, WorkInFlight engineWork,
            WorkInFlight pluginWork);

    /** The implementation {@code Engine} registered. */
    static EngineAccess get() {
        return Holder.SECRET.get();
    }

    /**
     * Called once, by {@code Engine}'s static initializer.
     *
     * @throws IllegalStateException when called again
     */
    static void register(EngineAccess access) {
        Holder.SECRET.register(access);
    }

    /** Where the implementation is registered: set once, at class initialization, and never changed. */
    final class Holder {
        private static final SharedSecret<EngineAccess> SECRET = new SharedSecret<>(Engine.class);

        private Holder() {
        }
    }
}
