package io.aegis.core.internal.anomaly;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP client the anomaly detector's sources share (scrapes and queries: a few requests per service per
 * interval, far from any hot path, so the JDK's client will do), created with the first source. Its daemon threads
 * end with {@link #close()}.
 */
final class ScrapeClient implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** The largest answer read: far above a big service's exposition (a few MB). */
    static final int MAX_BODY = 32 << 20;

    private final Object lock = new Object();
    private ExecutorService executor;
    private HttpClient client;
    private boolean closed;

    /** GETs {@code uri} with {@code accept} within {@code timeout}; the body as bytes. */
    CompletableFuture<HttpResponse<byte[]>> get(URI uri, String accept, Duration timeout) {
        HttpClient http;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("aegis is shutting down"));
            }
            if (client == null) {
                executor = Executors.newFixedThreadPool(2,
                        new io.aegis.plugin.support.DaemonThreadFactory("aegis-anomaly-http"));
                client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(CONNECT_TIMEOUT)
                        .executor(executor).build();
            }
            http = client;
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(withoutUserInfo(uri)).timeout(timeout)
                .header("Accept", accept).header("User-Agent", "aegis").GET();
        if (uri.getRawUserInfo() != null) {
            // user:password@ in the URL is sent as Basic auth, as for http checks and webhooks (hostile M6: it was
            // dropped, and a protected /metrics answered 401)
            String userInfo = java.net.URLDecoder.decode(uri.getRawUserInfo(), java.nio.charset.StandardCharsets.UTF_8);
            builder.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                    userInfo.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        HttpRequest request = builder.build();
        LimitedBytes[] body = new LimitedBytes[1];
        CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request, info -> {
            body[0] = new LimitedBytes(MAX_BODY);
            return body[0];
        });
        // The request's own timeout ends only the wait for the headers: a body that stalls or trickles would keep the
        // scrape in flight for good (hostile H2). The whole exchange gets the deadline, and a late one is abandoned.
        CompletableFuture<HttpResponse<byte[]>> answer = new CompletableFuture<>();
        exchange.whenComplete((response, error) -> {
            if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(response);
            }
        });
        answer.orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).whenComplete((r, error) -> {
            if (error instanceof java.util.concurrent.TimeoutException) {
                exchange.cancel(true);
                LimitedBytes subscriber = body[0];
                if (subscriber != null) {
                    subscriber.abort();
                }
            }
        });
        return answer;
    }

    private static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority().substring(uri.getRawAuthority()
                .indexOf('@') + 1) + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }

    /**
     * The whole body, or a failure once it passes {@code limit} bytes (a URL that streams, or names a big file, must
     * not take aegis' heap): a cut exposition would read as series gone, so it is not parsed at all.
     */
    private static final class LimitedBytes implements HttpResponse.BodySubscriber<byte[]> {
        private final int limit;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private volatile java.util.concurrent.Flow.Subscription subscription;

        LimitedBytes(int limit) {
            this.limit = limit;
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(java.util.List<java.nio.ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (java.nio.ByteBuffer buffer : buffers) {
                if (bytes.size() + buffer.remaining() > limit) {
                    subscription.cancel();
                    body.completeExceptionally(new java.io.IOException("the answer is larger than "
                            + (limit >> 20) + " MB"));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable error) {
            body.completeExceptionally(error);
        }

        /** Stops reading: the exchange is past its deadline. */
        void abort() {
            java.util.concurrent.Flow.Subscription current = subscription;
            if (current != null) {
                current.cancel();
            }
            body.completeExceptionally(new java.util.concurrent.TimeoutException("no complete answer in time"));
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (executor != null) {
                executor.shutdownNow();
            }
            // java.net.http.HttpClient has no close() before Java 21; its selector thread ends once the client is
            // unreachable, as it is now.
            client = null;
        }
    }
}
