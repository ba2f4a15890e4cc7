package io.aegis.core.event;

import java.time.Instant;

/**
 * Something that happened to one service. Events of one service are published in the order they
 * happened, from one logical thread.
 */
public sealed interface ServiceEvent
        permits StateChanged, CheckCompleted, RecoveryStarted, RecoveryFinished, WorkloadExited,
        RecoveryBudgetExhausted, RecoveryConcluded, RecoveryEscalated, ServiceIsolated, IncidentClosed,
        OperatorAction, AlertFired, AlertResolved, LogMatch, AnomalyDetected, AnomalyResolved, ConfigReloaded,
        SilenceChanged {

    /** The service the event is about. */
    String serviceName();

    /** When it happened, by the engine's clock. */
    Instant at();
}
