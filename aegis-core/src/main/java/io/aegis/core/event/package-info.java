/**
 * The typed, immutable events the engine publishes about services: state changes, check results,
 * recoveries and workload exits. Embedding applications subscribe to them; they are also what metrics
 * and alerting are built from.
 */
package io.aegis.core.event;
