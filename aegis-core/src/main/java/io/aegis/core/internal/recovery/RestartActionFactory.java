package io.aegis.core.internal.recovery;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;

/** {@code onFailure: restart}: stops and starts the service's workload through its runtime. */
public final class RestartActionFactory extends RuntimeActionFactory {

    public RestartActionFactory() {
        super("restart", RuntimeOperation.RESTART, RuntimeAdapter::restart, "restart", "restarted");
    }
}
