package io.aegis.core.internal;

/**
 * A monitor's place in a first-come-first-served line for capacity: a blocking-check permit
 * ({@link BlockingChecks.Waiter}) or an in-flight slot of its checker type ({@link CheckLoad.Slots.Waiter}).
 */
interface PlaceInLine {
    /** Leaves the line. False when too late: the capacity was granted, and its grant is on its way. */
    boolean cancel();
}
