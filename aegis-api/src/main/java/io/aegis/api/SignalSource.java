package io.aegis.api;

import java.util.Map;
import java.util.Set;

/**
 * Measures some of one service's signals for anomaly detection: {@code latency} (milliseconds), {@code error_rate}
 * (failed requests over all, 0 to 1) and {@code throughput} (requests per second). The signals it gives are judged
 * on its values instead of those of the service's health checks. Created by a {@link SignalSourceFactory}.
 *
 * <p>A source measures on threads of its own (or the spec's blocking executor), never on the caller's. The engine
 * calls {@link #measure()} once per detection interval on a thread of its plugin pool, with a deadline: a source that
 * throws or hangs loses that interval's values (and says so in the log), never the engine's evaluations.
 */
public interface SignalSource extends AutoCloseable {
    /** The latency signal's name, in milliseconds. */
    String LATENCY = "latency";
    /** The error rate signal's name, from 0 to 1. */
    String ERROR_RATE = "error_rate";
    /** The throughput signal's name, in requests per second. */
    String THROUGHPUT = "throughput";

    /** {@return the signals it measures: some of {@link #LATENCY}, {@link #ERROR_RATE} and {@link #THROUGHPUT}} */
    Set<String> signals();

    /** Starts measuring; called once, returns at once. */
    void start();

    /**
     * {@return what was measured since the last call, by signal name; a signal with nothing new this time (no request,
     * no answer) is left out, and is then not judged} Must return quickly: it is given a deadline.
     */
    Map<String, Double> measure();

    /**
     * Stops measuring and releases every thread and connection; called once, when the engine stops or the service is
     * removed.
     */
    @Override
    void close();
}
