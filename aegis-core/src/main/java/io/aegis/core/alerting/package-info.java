/**
 * The alert lifecycle's values seen through the {@code Engine} API: label {@link io.aegis.core.alerting.Matcher}s,
 * {@link io.aegis.core.alerting.Silence}s and the {@link io.aegis.core.alerting.ActiveAlert}s that fire now.
 */
package io.aegis.core.alerting;
