package io.aegis.api;

/** The operations a {@link RuntimeAdapter} may support; see {@link RuntimeAdapter#supportedOperations()}. */
public enum RuntimeOperation {
    /** Start the workload. */
    START,
    /** Stop the workload gracefully. */
    STOP,
    /** Stop, then start the workload. */
    RESTART,
    /** Go back to the previous version of the workload. */
    ROLLBACK,
    /** Take the workload out of traffic without stopping it. */
    ISOLATE
}
