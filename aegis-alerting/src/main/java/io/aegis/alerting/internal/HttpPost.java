package io.aegis.alerting.internal;

import io.aegis.api.DeliveryException;
import io.aegis.api.Durations;
import io.aegis.plugin.support.BoundedBody;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Sends one notification request with a deadline and says, in {@link DeliveryException}'s terms, what its answer
 * means for the engine's retries:
 * <ul>
 *   <li>2xx: delivered;
 *   <li>429 and 408, 5xx: {@linkplain DeliveryException#retryLater retry later}, after the answer's
 *       {@code Retry-After} (seconds or an HTTP date) when it has one;
 *   <li>3xx (redirects are not followed): retry later, since the receiver may be moving;
 *   <li>any other 4xx: {@linkplain DeliveryException#rejected rejected}, with the start of the answer's body,
 *       since sending the same request again gets the same answer;
 *   <li>a connection failure or the deadline: an {@link IOException} / {@link HttpTimeoutException}, which the
 *       engine retries like any exception.
 * </ul>
 * Messages name the destination as the caller shows it (credentials masked) and never carry the caller's
 * secrets: they are masked in the body excerpt, in case a receiver echoes a header back.
 */
public final class HttpPost {
    /** How much of an error answer's body is read and shown, at most. */
    public static final int EXCERPT_CHARS = 200;

    private static final int MAX_CAUSES = 32;
    private static final int MIN_SECRET_CHARS = 4;
    private static final Pattern SECONDS = Pattern.compile("\\d{1,10}");
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}\\u2028\\u2029]+");

    private final String kind;
    private final HttpClient client;
    private final ScheduledExecutorService timer;
    private final Clock clock;

    /**
     * @param kind the notifier type, for messages ({@code webhook})
     * @param client sends the requests
     * @param timer runs the deadlines (also the end of a body that never finishes)
     * @param clock turns an HTTP-date {@code Retry-After} into a wait
     */
    public HttpPost(String kind, HttpClient client, ScheduledExecutorService timer, Clock clock) {
        this.kind = kind;
        this.client = client;
        this.timer = timer;
        this.clock = clock;
    }

    /**
     * Sends {@code request}; the stage completes when the answer is a 2xx, exceptionally otherwise.
     *
     * @param destination how messages name it, e.g. {@code webhook https://hooks.example.com/x}
     * @param timeout how long the whole exchange may take, body included
     * @param secrets strings that must not appear in a message (header values, a signing secret)
     */
    public CompletableFuture<Void> send(HttpRequest request, Duration timeout, String destination,
            Collection<String> secrets) {
        CompletableFuture<Void> delivered = new CompletableFuture<>();
        // The request timeout ends only the wait for the response headers; this deadline also ends an
        // answer whose body never finishes.
        ScheduledFuture<?> deadline;
        try {
            deadline = timer.schedule(() -> delivered.completeExceptionally(timedOut(destination, timeout)),
                    timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            delivered.completeExceptionally(new IllegalStateException("the " + kind + " notifier is closed", e));
            return delivered;
        }
        delivered.whenComplete((result, error) -> deadline.cancel(false));
        CompletableFuture<HttpResponse<BoundedBody>> exchange;
        try {
            // only a refusal's body is read, and only its start: it goes into the message
            exchange = client.sendAsync(request, BoundedBody.handler(EXCERPT_CHARS * 4, status -> status / 100 != 2));
        } catch (RuntimeException e) {
            delivered.completeExceptionally(e);
            return delivered;
        }
        exchange.whenComplete((response, error) -> {
            if (error != null) {
                delivered.completeExceptionally(failed(error, destination, timeout));
            } else if (response.statusCode() / 100 == 2) {
                delivered.complete(null);
            } else {
                delivered.completeExceptionally(refused(response, destination, secrets));
            }
        });
        // after a timeout, abort the exchange so its connection is not left waiting; a finished one ignores this
        delivered.whenComplete((result, error) -> exchange.cancel(true));
        return delivered;
    }

    private DeliveryException refused(HttpResponse<BoundedBody> response, String destination,
            Collection<String> secrets) {
        int status = response.statusCode();
        String body = excerpt(response.body().text(), secrets);
        String answered = destination + " answered HTTP " + status + (body.isEmpty() ? "" : ": " + body);
        if (status == 429 || status == 408 || status / 100 == 5) {
            Duration retryAfter = retryAfter(response.headers().firstValue("Retry-After"), clock.instant());
            return DeliveryException.retryLater(answered
                    + (retryAfter == null ? "" : " (asked to retry after " + Durations.format(retryAfter) + ")"),
                    retryAfter);
        }
        if (status / 100 == 3) {
            return DeliveryException.retryLater(answered + " (a redirect, which aegis does not follow: configure"
                    + " the URL it redirects to)", null);
        }
        return DeliveryException.rejected(answered + "; the request is not retried, since it would be refused"
                + " again: fix the notifier's configuration or the receiver");
    }

    /**
     * The wait a {@code Retry-After} value asks for: delay-seconds, or an HTTP date (RFC 1123) as a wait from
     * {@code now} (zero once past); null when absent or malformed.
     */
    public static Duration retryAfter(Optional<String> header, Instant now) {
        if (header.isEmpty()) {
            return null;
        }
        String value = header.get().trim();
        if (SECONDS.matcher(value).matches()) {
            return Duration.ofSeconds(Long.parseLong(value));
        }
        try {
            Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            // whole milliseconds, rounded up: an HTTP date counts in seconds, and a wait of 5s526ms485us238ns
            // only makes the log line harder to read
            return at.isAfter(now) ? Duration.ofMillis(Duration.between(now, at).plusNanos(999_999).toMillis())
                    : Duration.ZERO;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The start of an answer's body on one line, every secret masked, at most {@link #EXCERPT_CHARS}. */
    static String excerpt(String body, Collection<String> secrets) {
        String text = body == null ? "" : body;
        for (String secret : secrets) {
            // a value this short is no credential (X-Retry: 1), and masking it would garble the whole excerpt
            if (secret != null && secret.length() >= MIN_SECRET_CHARS) {
                text = text.replace(secret, "***");
            }
        }
        text = CONTROL.matcher(text).replaceAll(" ").trim();
        // the masking runs on the whole excerpt read, so a secret cut at the end is masked before the cut too
        return text.length() <= EXCERPT_CHARS ? text : text.substring(0, EXCERPT_CHARS) + "…";
    }

    private static HttpTimeoutException timedOut(String destination, Duration timeout) {
        return new HttpTimeoutException(destination + " did not answer within " + Durations.format(timeout));
    }

    private static Throwable failed(Throwable error, String destination, Duration timeout) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof HttpTimeoutException) {
            HttpTimeoutException timedOut = timedOut(destination, timeout);
            timedOut.initCause(cause);
            return timedOut;
        }
        String message = deepestMessage(cause);
        if (cause instanceof ConnectException) {
            // JDK 17 reports a refused connection as a ConnectException without a message
            return new IOException("cannot connect to " + destination + (message == null ? "" : ": " + message),
                    cause);
        }
        return new IOException("cannot reach " + destination + ": "
                + (message == null ? cause.getClass().getSimpleName() : message), cause);
    }

    /** The deepest message in the chain, which is the most concrete one ({@code Connection refused}); or null. */
    private static String deepestMessage(Throwable error) {
        String message = null;
        Throwable current = error;
        for (int depth = 0; current != null && depth < MAX_CAUSES; depth++, current = current.getCause()) {
            if (current.getMessage() != null && !current.getMessage().isBlank()) {
                message = current.getMessage();
            }
        }
        return message;
    }
}
