package io.aegis.testkit.engine;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.aegis.testkit.FakeRuntime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runtime {@code type: fake}: a {@link FakeRuntime} per service, which pretends to run the workload and records what
 * the engine asks of it. {@link EngineHarness#runtime(String)} finds the one of a service. Registered for
 * {@link java.util.ServiceLoader}, so any engine on a class path with this jar knows the type.
 */
public final class FakeRuntimeFactory implements RuntimeAdapterFactory {
    /** The {@code type:} this factory serves. */
    public static final String TYPE = "fake";

    // By service name: one engine at a time per JVM (tests of one class run one after the other).
    private static final Map<String, FakeRuntime> RUNTIMES = new ConcurrentHashMap<>();

    /** The factory ServiceLoader makes. */
    public FakeRuntimeFactory() {
    }

    static FakeRuntime runtimeOf(String service) {
        FakeRuntime runtime = RUNTIMES.get(service);
        if (runtime == null) {
            throw new IllegalArgumentException("service " + service + " has no runtime of type " + TYPE
                    + " in a running engine");
        }
        return runtime;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        FakeRuntime runtime = new FakeRuntime();
        RUNTIMES.put(spec.serviceName(), runtime);
        return runtime;
    }
}
