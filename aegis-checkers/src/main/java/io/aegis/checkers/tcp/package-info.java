/**
 * The {@code type: tcp} health checker: {@link io.aegis.checkers.tcp.TcpCheckerFactory}.
 */
package io.aegis.checkers.tcp;
