/**
 * The {@code webhook} notifier: {@link io.aegis.alerting.webhook.WebhookNotifierFactory}, which POSTs each
 * notification as Alertmanager's webhook payload (or, with {@code format: aegis}, each alert as a flat JSON
 * object), optionally signed with HMAC-SHA256.
 */
package io.aegis.alerting.webhook;
