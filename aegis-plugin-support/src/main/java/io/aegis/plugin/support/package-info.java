/**
 * Small helpers that Aegis' own plugins share and third-party plugins may use: named daemon threads
 * ({@link io.aegis.plugin.support.DaemonThreadFactory}), one rule for splitting a command string into words
 * ({@link io.aegis.plugin.support.ShellWords}), terminating a process and everything it started
 * ({@link io.aegis.plugin.support.ProcessTree}) and what Linux's {@code /proc} tells about processes
 * ({@link io.aegis.plugin.support.ProcFs}). Depends on {@code aegis-api} only.
 */
package io.aegis.plugin.support;
