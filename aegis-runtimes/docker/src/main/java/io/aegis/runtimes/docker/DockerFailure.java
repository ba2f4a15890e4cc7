package io.aegis.runtimes.docker;

import com.github.dockerjava.api.exception.DockerException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Docker operation that failed, with a message a person can act on: what went wrong, on which engine, for which
 * service, and what to do. The engine shows {@link #getMessage()} as it is, so it never holds a stack trace; the
 * cause is kept for the debug log.
 */
final class DockerFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final Pattern JSON_MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    DockerFailure(String message) {
        super(message);
    }

    DockerFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Turns what docker-java threw into a sentence: {@code doing} says what aegis tried ("start container
     * aegis-web"), in the voice of "cannot ...".
     */
    static DockerFailure of(String serviceName, String host, String doing, Throwable failure) {
        if (failure instanceof DockerFailure) {
            return (DockerFailure) failure;
        }
        String service = "service \"" + serviceName + "\": ";
        if (isUnreachable(failure)) {
            return new DockerFailure(service + "cannot reach the Docker engine at " + host + " to " + doing + " ("
                    + rootMessage(failure) + "); is dockerd running, and is DOCKER_HOST (or runtime.host) right?",
                    failure);
        }
        if (failure instanceof DockerException) {
            return new DockerFailure(service + "the Docker engine at " + host + " refused to " + doing + ": "
                    + engineMessage((DockerException) failure), failure);
        }
        return new DockerFailure(service + "cannot " + doing + " on the Docker engine at " + host + ": "
                + rootMessage(failure), failure);
    }

    /**
     * Whether the engine could not be reached at all: no socket, connection refused, connection dropped or cut under
     * a request.
     */
    static boolean isUnreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof SocketException
                    || t instanceof java.nio.file.NoSuchFileException || t instanceof java.net.UnknownHostException) {
                return true;
            }
            if (t instanceof IOException && t.getClass().getName().contains("HttpHostConnect")) {
                return true;
            }
            // A connection cut under a request: the engine went away, or the pool kept it from before dockerd
            // restarted (docker-java's unix socket says so with a plain IOException).
            if (t instanceof IOException && (t.getClass().getSimpleName().equals("NoHttpResponseException")
                    || t.getClass().getSimpleName().equals("ConnectionClosedException")
                    || String.valueOf(t.getMessage()).startsWith("Broken pipe")
                    || String.valueOf(t.getMessage()).startsWith("Connection reset"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * The engine's own words from an error answer: docker-java's message is {@code Status 404: {"message":"..."}};
     * only the message is worth showing.
     */
    static String engineMessage(DockerException failure) {
        String text = String.valueOf(failure.getMessage());
        Matcher matcher = JSON_MESSAGE.matcher(text);
        String message = matcher.find() ? matcher.group(1).replace("\\\"", "\"").replace("\\n", " ") : text.trim();
        return message + " (HTTP " + failure.getHttpStatus() + ")";
    }

    /** The message of the innermost cause that has one, on one line. */
    static String rootMessage(Throwable failure) {
        String message = null;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
        }
        return message == null ? failure.getClass().getSimpleName() : message.replace('\n', ' ').trim();
    }
}
