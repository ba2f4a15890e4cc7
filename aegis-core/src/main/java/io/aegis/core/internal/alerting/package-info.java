/**
 * The alert lifecycle (dedup by fingerprint, routing, grouping, repeat, silences, inhibition, threshold rules)
 * and delivery (per-notifier queues, backoff, the on-disk spool). Machinery; not an API.
 */
package io.aegis.core.internal.alerting;
