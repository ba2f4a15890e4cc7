package io.aegis.core;

/**
 * Thrown by {@link Engine#start()} when the engine cannot start, with one sentence that says what to do
 * (for example: the metrics port is already in use). Everything started so far has been stopped again.
 */
public final class EngineStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception with a message for a person.
     *
     * @param message what went wrong, for a person
     * @param cause the underlying exception
     */
    public EngineStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
