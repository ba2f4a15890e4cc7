/**
 * Threshold rules ({@code alerting.rules}): a small expression grammar over aegis' own series
 * ({@link io.aegis.core.internal.alerting.rules.RuleExpression}), parsed and checked with the configuration
 * ({@link io.aegis.core.internal.alerting.rules.RuleSet}), and evaluated from the engine's events in fixed-size time
 * buckets per service ({@link io.aegis.core.internal.alerting.rules.RuleEvaluator}). Machinery; not an API.
 */
package io.aegis.core.internal.alerting.rules;
