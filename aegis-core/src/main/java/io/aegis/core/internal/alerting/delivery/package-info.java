/**
 * Delivery of notifications to the notifiers: a queue per notifier with one delivery in flight, backoff with
 * jitter, Retry-After, and an on-disk spool that survives a crash. Machinery; not an API.
 */
package io.aegis.core.internal.alerting.delivery;
