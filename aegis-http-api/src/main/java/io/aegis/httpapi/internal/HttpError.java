package io.aegis.httpapi.internal;

import java.util.Optional;

/**
 * A request the API refuses: its status code and the sentence sent back as {@code {"error": ...}}; for a method the
 * route does not take, the methods it does (the {@code Allow} header RFC 9110 asks of a 405).
 */
public final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String allow;

    public HttpError(int status, String sentence) {
        this(status, sentence, null);
    }

    private HttpError(int status, String sentence, String allow) {
        super(sentence, null, false, false); // a refusal, not a fault: no stack trace to fill
        this.status = status;
        this.allow = allow;
    }

    public int status() {
        return status;
    }

    /** The methods the route takes, as the {@code Allow} header says them; empty unless the method was refused. */
    public Optional<String> allow() {
        return Optional.ofNullable(allow);
    }

    static HttpError methodNotAllowed(String sentence, String allow) {
        return new HttpError(405, sentence, allow);
    }

    static HttpError badRequest(String sentence) {
        return new HttpError(400, sentence);
    }

    static HttpError notFound(String sentence) {
        return new HttpError(404, sentence);
    }
}
