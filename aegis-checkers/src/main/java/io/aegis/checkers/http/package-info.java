/**
 * The {@code type: http} health checker: {@link io.aegis.checkers.http.HttpCheckerFactory}.
 */
package io.aegis.checkers.http;
