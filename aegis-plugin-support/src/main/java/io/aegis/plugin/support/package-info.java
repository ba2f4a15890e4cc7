/**
 * Small helpers that Aegis' own plugins share and third-party plugins may use: named daemon threads, one rule for
 * splitting a command line into words, killing a process and its descendants. Depends on {@code aegis-api} only.
 */
package io.aegis.plugin.support;
