package io.aegis.httpapi.internal;

/** A request the API refuses: its status code and the sentence sent back as {@code {"error": ...}}. */
public final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public HttpError(int status, String sentence) {
        super(sentence, null, false, false); // a refusal, not a fault: no stack trace to fill
        this.status = status;
    }

    public int status() {
        return status;
    }

    static HttpError badRequest(String sentence) {
        return new HttpError(400, sentence);
    }

    static HttpError notFound(String sentence) {
        return new HttpError(404, sentence);
    }
}
