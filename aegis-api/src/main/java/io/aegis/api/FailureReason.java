package io.aegis.api;

import java.util.Locale;

/**
 * Why a check did not pass. Used as the {@code reason} label of metrics and carried in events, so keep the
 * set small and stable.
 */
public enum FailureReason {
    /** The host name could not be resolved. */
    DNS,
    /** The connection was refused, reset or could not be opened. */
    CONNECT,
    /** The TLS handshake failed (untrusted or expired certificate, protocol mismatch). */
    TLS,
    /** No answer within the check timeout. */
    TIMEOUT,
    /** The answer had an unexpected status (HTTP status code, gRPC health status). */
    STATUS,
    /** The answer's body did not match what was expected. */
    BODY,
    /** A script or command ended with a failing exit code. */
    EXIT_CODE,
    /** The peer spoke, but not the expected protocol. */
    PROTOCOL,
    /** The supervised workload is not running (it exited, or was never started). */
    NOT_RUNNING,
    /** The plugin itself threw or returned nothing; the service's health is not known. */
    PLUGIN_ERROR;

    /** {@return the lower-case name used as a metric label value, e.g. {@code "timeout"}} */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
