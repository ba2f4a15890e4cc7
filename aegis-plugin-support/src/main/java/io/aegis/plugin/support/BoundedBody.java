package io.aegis.plugin.support;

import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.IntPredicate;

/**
 * The start of a JDK {@code HttpClient} response body: at most a limit of bytes, as text.
 *
 * <p>A health endpoint that streams (or is misconfigured to serve a large file), or a receiver's error page,
 * must not cost more than that: once the limit is reached the subscription is cancelled, which closes that one
 * connection. Shared by the plugins that read answers (the http checker, the webhook and alertmanager
 * notifiers).
 *
 * @param text the body's first bytes, decoded with the response's charset (UTF-8 when it names none);
 *     empty when the body was only drained
 * @param truncated whether the body was longer than the limit
 */
public record BoundedBody(String text, boolean truncated) {
    /** The most bytes read from one response by {@link #handler(IntPredicate)}. */
    public static final int LIMIT = 64 * 1024;

    private static final BoundedBody DRAINED = new BoundedBody("", false);

    /**
     * A body handler that keeps the text only when {@code capture} says the body will be looked at; other
     * bodies are drained (up to the limit), so the connection stays reusable.
     *
     * @param capture given the response's status code, whether its text will be looked at
     * @return the body handler
     */
    public static HttpResponse.BodyHandler<BoundedBody> handler(IntPredicate capture) {
        return handler(LIMIT, capture);
    }

    /**
     * As {@link #handler(IntPredicate)}, reading at most {@code limit} bytes.
     *
     * @param limit the most bytes read, at least 1
     * @param capture given the response's status code, whether its text will be looked at
     * @return the body handler
     */
    public static HttpResponse.BodyHandler<BoundedBody> handler(int limit, IntPredicate capture) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        return info -> new Subscriber(limit, capture.test(info.statusCode()) ? charsetOf(info) : null);
    }

    private static Charset charsetOf(ResponseInfo info) {
        return charsetOf(info.headers().firstValue("Content-Type").orElse(null));
    }

    /**
     * {@return the charset a {@code Content-Type} header value names; UTF-8 when it is null, names none, or names one
     * this JVM does not know (the server's mistake; UTF-8 is the best guess for matching text)}
     *
     * @param contentType a {@code Content-Type} header value, or {@code null}
     */
    public static Charset charsetOf(String contentType) {
        if (contentType == null) {
            return StandardCharsets.UTF_8;
        }
        for (String parameter : contentType.split(";")) {
            String trimmed = parameter.trim();
            if (trimmed.toLowerCase(Locale.ROOT).startsWith("charset=")) {
                String name = trimmed.substring("charset=".length()).replace("\"", "").trim();
                try {
                    return Charset.forName(name);
                } catch (IllegalArgumentException e) {
                    return StandardCharsets.UTF_8;
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    /** Not thread-safe, and need not be: the client signals one subscriber serially (Flow rule 1.3). */
    private static final class Subscriber implements BodySubscriber<BoundedBody> {
        private final CompletableFuture<BoundedBody> body = new CompletableFuture<>();
        private final int limit;
        private final Charset charset;
        private byte[] bytes = new byte[0];
        private int length;
        private long seen;
        private Flow.Subscription subscription;

        /** {@code charset} null means drain without keeping the bytes. */
        Subscriber(int limit, Charset charset) {
            this.limit = limit;
            this.charset = charset;
        }

        @Override
        public CompletionStage<BoundedBody> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                int size = buffer.remaining();
                if (charset != null) {
                    keep(buffer);
                }
                seen += size;
            }
            if (seen >= limit) {
                subscription.cancel();
                body.complete(result(true));
            } else {
                subscription.request(1);
            }
        }

        private void keep(ByteBuffer buffer) {
            int take = Math.min(buffer.remaining(), limit - length);
            if (take <= 0) {
                return;
            }
            if (length + take > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.min(limit, Math.max(length + take, bytes.length * 2)));
            }
            buffer.get(bytes, length, take);
            length += take;
        }

        @Override
        public void onError(Throwable error) {
            body.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            body.complete(result(false));
        }

        private BoundedBody result(boolean truncated) {
            if (charset == null) {
                return DRAINED;
            }
            return new BoundedBody(new String(bytes, 0, length, charset), truncated);
        }
    }
}
