package io.aegis.core.internal.anomaly;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A third-party {@link io.aegis.api.SignalSource} (a service's {@code signals: {type: ...}}) as the detector uses its
 * own: {@link io.aegis.api.SignalSource#measure()} runs on the plugin pool, never on the detector's thread, one call at
 * a time; each evaluation takes what the last call returned and asks for the next. So a plugin that throws or hangs
 * costs its own values (said once in the log), never an evaluation; its values are judged one evaluation after they
 * were asked for.
 */
final class PluginSignalSource implements SignalSource {
    private static final Logger log = LoggerFactory.getLogger(PluginSignalSource.class);

    private final String service;
    private final String type;
    private final io.aegis.api.SignalSource plugin;
    private final Set<Signal> signals;
    private final Executor pluginCalls;

    // Guarded by this.
    private final double[] measured = new double[Signal.values().length];
    private boolean inFlight;
    private int evaluationsInFlight;
    private boolean failing;
    private boolean closed;

    PluginSignalSource(String service, String type, io.aegis.api.SignalSource plugin, Set<Signal> signals,
            Executor pluginCalls) {
        this.service = service;
        this.type = type;
        this.plugin = plugin;
        this.signals = Set.copyOf(EnumSet.copyOf(signals));
        this.pluginCalls = pluginCalls;
        Arrays.fill(measured, Double.NaN);
    }

    @Override
    public Set<Signal> signals() {
        return signals;
    }

    @Override
    public String kind() {
        return type;
    }

    @Override
    public void start() {
        call(() -> {
            plugin.start();
            ask(); // the first evaluation has values to judge
        }, "start()");
    }

    @Override
    public synchronized void drain(double[] values) {
        for (Signal signal : signals) {
            values[signal.ordinal()] = measured[signal.ordinal()];
        }
        Arrays.fill(measured, Double.NaN);
        if (inFlight) {
            if (++evaluationsInFlight == 3) {
                log.warn("{}: signal source {}: measure() has not returned for 3 evaluations; its signals are not"
                        + " judged until it does", service, type);
            }
            return;
        }
        call(this::ask, "measure()");
    }

    private void ask() {
        synchronized (this) {
            if (closed || inFlight) {
                return;
            }
            inFlight = true;
        }
        Map<String, Double> values = null;
        RuntimeException failure = null;
        try {
            values = plugin.measure();
        } catch (RuntimeException e) {
            failure = e;
        }
        synchronized (this) {
            inFlight = false;
            evaluationsInFlight = 0;
            if (failure != null || values == null) {
                if (!failing) {
                    failing = true;
                    log.warn("{}: signal source {}: measure() {}; its signals are not judged until it works again",
                            service, type, failure != null ? "failed: " + failure : "returned null");
                }
                return;
            }
            if (failing) {
                failing = false;
                log.info("{}: signal source {} works again", service, type);
            }
            for (Map.Entry<String, Double> value : values.entrySet()) {
                Signal signal = value.getKey() == null ? null : Signal.byKey(value.getKey());
                if (signal != null && signals.contains(signal) && value.getValue() != null) {
                    measured[signal.ordinal()] = value.getValue();
                }
            }
        }
    }

    private void call(Runnable task, String what) {
        try {
            pluginCalls.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException | LinkageError e) {
                    log.warn("{}: signal source {}: {} failed: {}", service, type, what, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("{}: signal source {} not called: the engine is shutting down", service, type);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        call(plugin::close, "close()");
    }
}
