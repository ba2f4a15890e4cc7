/**
 * The {@code log} notifier: {@link io.aegis.alerting.log.LogNotifierFactory}, which writes each alert as
 * one log line.
 */
package io.aegis.alerting.log;
