package io.aegis.checkers.internal;

import io.aegis.api.FailureReason;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Maps the exceptions of network I/O to a {@link FailureReason}.
 *
 * <p>The JDK reports one failure through chains of wrappers, and the outermost type is often the least
 * telling: {@code HttpClient} reports an unknown host as a {@code ConnectException} caused by an
 * {@code UnresolvedAddressException}, and a connect timeout as an {@code HttpConnectTimeoutException}
 * caused by a {@code ConnectException}. So the whole chain is searched, most specific reason first.
 */
public final class Failures {
    // Guards against a cause chain that loops back on itself.
    private static final int MAX_DEPTH = 32;

    private Failures() {
    }

    /** The reason for {@code error}; {@link FailureReason#PLUGIN_ERROR} when it is not an I/O failure. */
    public static FailureReason reasonOf(Throwable error) {
        if (has(error, UnresolvedAddressException.class) || has(error, UnknownHostException.class)) {
            return FailureReason.DNS;
        }
        if (has(error, HttpTimeoutException.class) || has(error, InterruptedByTimeoutException.class)
                || has(error, SocketTimeoutException.class) || has(error, TimeoutException.class)) {
            return FailureReason.TIMEOUT;
        }
        if (has(error, SSLException.class)) {
            return FailureReason.TLS;
        }
        if (has(error, ProtocolException.class)) {
            return FailureReason.PROTOCOL;
        }
        if (outOfFileDescriptors(error)) {
            // aegis' own trouble (EMFILE, ENFILE), not the target's: no verdict, never a failed check
            return FailureReason.PLUGIN_ERROR;
        }
        if (has(error, IOException.class)) {
            return FailureReason.CONNECT;
        }
        return FailureReason.PLUGIN_ERROR;
    }

    /** Whether {@code error} says this process (or the system) ran out of file descriptors. */
    static boolean outOfFileDescriptors(Throwable error) {
        Throwable current = error;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++, current = current.getCause()) {
            if (current.getMessage() != null && current.getMessage().contains("Too many open files")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A short description of {@code error} for a result message: the deepest message in the chain, which
     * is the most concrete one ({@code Connection refused}), or the exception's simple name if none has one.
     */
    public static String describe(Throwable error) {
        Throwable current = unwrap(error);
        String message = null;
        String name = current.getClass().getSimpleName();
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++, current = current.getCause()) {
            if (current.getMessage() != null && !current.getMessage().isBlank()) {
                message = current.getMessage();
                name = current.getClass().getSimpleName();
            }
        }
        return message == null ? name : message;
    }

    /** Strips the {@link CompletionException} and {@link ExecutionException} wrappers of async code. */
    public static Throwable unwrap(Throwable error) {
        Throwable current = error;
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            if ((current instanceof CompletionException || current instanceof ExecutionException)
                    && current.getCause() != null) {
                current = current.getCause();
            } else {
                break;
            }
        }
        return current;
    }

    private static boolean has(Throwable error, Class<? extends Throwable> type) {
        Throwable current = error;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++, current = current.getCause()) {
            if (type.isInstance(current)) {
                return true;
            }
        }
        return false;
    }
}
