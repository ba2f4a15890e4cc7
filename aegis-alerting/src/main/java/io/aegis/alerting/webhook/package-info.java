/**
 * The {@code webhook} notifier: {@link io.aegis.alerting.webhook.WebhookNotifierFactory}, which POSTs each
 * alert as an Alertmanager-compatible webhook payload.
 */
package io.aegis.alerting.webhook;
