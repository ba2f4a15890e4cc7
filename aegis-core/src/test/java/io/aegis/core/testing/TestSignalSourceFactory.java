package io.aegis.core.testing;

import io.aegis.api.SignalSource;
import io.aegis.api.SignalSourceFactory;
import io.aegis.api.SignalSourceSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code signals: {type: test-signals, ...}}: a third-party signal source as a plugin author would write one against
 * {@code aegis-api} alone. Its settings: {@code throughput}, {@code latency}, {@code error_rate} (fixed values it
 * measures), {@code hang: true} ({@code measure()} blocks until {@link #RELEASE} is counted down), {@code throw: true}
 * ({@code measure()} throws), {@code gives} (a signal name it claims to give, valid or not).
 */
public final class TestSignalSourceFactory implements SignalSourceFactory {
    /** Releases every source blocked in {@code measure()}; tests count it down when they end. */
    public static volatile CountDownLatch RELEASE = new CountDownLatch(1);

    @Override
    public String type() {
        return "test-signals";
    }

    @Override
    public SignalSource create(SignalSourceSpec spec) {
        Map<String, Double> values = new HashMap<>();
        for (String signal : new String[] {SignalSource.LATENCY, SignalSource.ERROR_RATE, SignalSource.THROUGHPUT}) {
            spec.settings().number(signal).ifPresent(value -> values.put(signal, value));
        }
        boolean hang = spec.settings().bool("hang", false);
        boolean fail = spec.settings().bool("throw", false);
        Set<String> gives = spec.settings().string("gives").map(Set::of).orElse(Set.copyOf(values.keySet()));
        return new SignalSource() {
            @Override
            public Set<String> signals() {
                return gives;
            }

            @Override
            public void start() {
            }

            @Override
            public Map<String, Double> measure() {
                if (hang) {
                    try {
                        RELEASE.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (fail) {
                    throw new IllegalStateException("the feed is down");
                }
                return values;
            }

            @Override
            public void close() {
            }
        };
    }
}
