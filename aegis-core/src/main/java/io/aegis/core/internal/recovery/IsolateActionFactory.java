package io.aegis.core.internal.recovery;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;

/**
 * {@code onFailure: isolate}: has the runtime take the workload out of traffic and keep it running, for a person
 * to debug ({@link RuntimeAdapter#isolate()}). The recovery coordinator then marks the service ISOLATED, stops
 * every automatic recovery of it and raises one critical alert saying how to bring it back.
 */
public final class IsolateActionFactory extends RuntimeActionFactory {
    /** The step's name in {@code actions.onFailure}. */
    public static final String NAME = "isolate";

    public IsolateActionFactory() {
        super(NAME, RuntimeOperation.ISOLATE, RuntimeAdapter::isolate, "isolate",
                "taken out of traffic (the workload is not stopped)");
    }
}
