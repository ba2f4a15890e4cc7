/**
 * The {@code type: script} health checker: {@link io.aegis.checkers.script.ScriptCheckerFactory}.
 */
package io.aegis.checkers.script;
