/**
 * The {@code alertmanager} notifier: {@link io.aegis.alerting.alertmanager.AlertmanagerNotifierFactory}, which
 * pushes alerts to Alertmanager's API v2 ({@code POST /api/v2/alerts}) as Prometheus does.
 */
package io.aegis.alerting.alertmanager;
