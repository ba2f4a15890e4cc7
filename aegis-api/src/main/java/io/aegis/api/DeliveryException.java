package io.aegis.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Why a {@link Notifier} did not deliver, in the terms the engine retries by. Complete the delivery's stage
 * with it to say whether trying again can help: a receiver that is down, overloaded or rate limiting (HTTP 5xx,
 * 429) is {@linkplain #retryLater retried} with backoff, after {@link #retryAfter()} when it said when; one that
 * refused the request as wrong (another HTTP 4xx: a bad token, a bad URL) is {@linkplain #rejected rejected} and
 * not retried, since sending the same request again gets the same answer. Any other exception is retried.
 *
 * <p>The message is logged: never put a secret (a header value, a token) in it.
 */
public final class DeliveryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Whether trying again later can succeed (part of the serialized form). */
    private final boolean retryable;
    private final transient Duration retryAfter;

    private DeliveryException(String message, boolean retryable, Duration retryAfter) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.retryable = retryable;
        this.retryAfter = retryAfter;
    }

    /**
     * The receiver could not take it now; try again, after {@code retryAfter} when it is not null (an HTTP
     * {@code Retry-After}), else after the engine's backoff.
     *
     * @param message what happened, with what the receiver answered
     * @param retryAfter how long the receiver asked to wait, or {@code null}
     * @return a retryable exception
     */
    public static DeliveryException retryLater(String message, Duration retryAfter) {
        return new DeliveryException(message, true, retryAfter);
    }

    /**
     * The receiver refused it for good (include what it answered in the message); it is not retried.
     *
     * @param message what happened, with what the receiver answered
     * @return an exception that is not retried
     */
    public static DeliveryException rejected(String message) {
        return new DeliveryException(message, false, null);
    }

    /** {@return whether trying again later can succeed} */
    public boolean retryable() {
        return retryable;
    }

    /** {@return how long the receiver asked to wait before the next attempt, when it said} */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
