/**
 * The typed, immutable events the engine publishes about services: state changes, check results,
 * recoveries, workload exits, alerts firing and resolved. Embedding applications subscribe to them; they
 * are also what metrics and alert delivery are built from.
 */
package io.aegis.core.event;
