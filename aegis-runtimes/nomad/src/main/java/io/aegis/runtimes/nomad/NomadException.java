package io.aegis.runtimes.nomad;

/**
 * A Nomad API call that failed, with a message a person can act on (what Nomad said, where, what to fix); the
 * HTTP status is kept for callers that treat some answers specially (404: the job is gone). Never carries the token.
 */
final class NomadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The HTTP status Nomad answered with; 0 when it did not answer at all. */
    private final int status;

    NomadException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
