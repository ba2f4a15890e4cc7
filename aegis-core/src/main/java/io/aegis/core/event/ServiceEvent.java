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

    /** {@return the service the event is about} */
    String serviceName();

    /** {@return when it happened, by the engine's clock} */
    Instant at();
}
