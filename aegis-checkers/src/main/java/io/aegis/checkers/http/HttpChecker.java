package io.aegis.checkers.http;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.Durations;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.checkers.internal.Failures;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** Checks one service over HTTP with the factory's shared client; never blocks the caller. */
final class HttpChecker implements HealthChecker {
    private final HttpCheckConfig config;
    private final HttpClient client;
    private final ScheduledExecutorService timer;
    private final HttpResponse.BodyHandler<BoundedBody> bodyHandler;

    HttpChecker(HttpCheckConfig config, HttpClient client, ScheduledExecutorService timer) {
        this.config = config;
        this.client = client;
        this.timer = timer;
        // the body is only worth keeping when a regex will look at it, which it does only after the status passed
        Pattern expectedBody = config.expectedBody();
        this.bodyHandler = BoundedBody.handler(status -> expectedBody != null && config.expectedStatus().contains(status));
    }

    @Override
    public CompletionStage<CheckResult> check(CheckContext context) {
        long start = System.nanoTime();
        Duration timeout = HttpCheckConfig.positive(context.timeout());
        HttpRequest request = config.request(timeout);
        CompletableFuture<CheckResult> verdict = new CompletableFuture<>();
        // The request timeout ends only the wait for the response headers; this deadline also ends a body
        // that trickles in forever.
        ScheduledFuture<?> deadline;
        try {
            deadline = timer.schedule(() -> verdict.complete(timedOut(start, timeout)), timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            verdict.complete(CheckResult.unknown(FailureReason.PLUGIN_ERROR, "the http checker is closed",
                    since(start)));
            return verdict;
        }
        verdict.whenComplete((result, error) -> deadline.cancel(false));
        CompletableFuture<HttpResponse<BoundedBody>> exchange;
        try {
            exchange = client.sendAsync(request, bodyHandler);
        } catch (RuntimeException e) {
            verdict.complete(failed(e, start, timeout));
            return verdict;
        }
        exchange.whenComplete((response, error) -> verdict.complete(
                error == null ? judge(response, start) : failed(error, start, timeout)));
        // After a timeout, or when the engine cancels the verdict, abort the exchange so its connection is
        // not left reading; on a finished exchange this does nothing.
        verdict.whenComplete((result, error) -> exchange.cancel(true));
        return verdict;
    }

    private CheckResult judge(HttpResponse<BoundedBody> response, long start) {
        int status = response.statusCode();
        StatusCodes expectedStatus = config.expectedStatus();
        if (!expectedStatus.contains(status)) {
            return CheckResult.unhealthy(FailureReason.STATUS,
                    "HTTP " + status + " (expected " + expectedStatus + ")", since(start));
        }
        Pattern expectedBody = config.expectedBody();
        if (expectedBody != null && !expectedBody.matcher(response.body().text()).find()) {
            String where = response.body().truncated() ? " in its first " + BoundedBody.LIMIT / 1024 + " KiB" : "";
            return CheckResult.unhealthy(FailureReason.BODY,
                    "body did not match /" + expectedBody.pattern() + "/" + where, since(start));
        }
        return CheckResult.healthy(since(start), "HTTP " + status);
    }

    private CheckResult failed(Throwable error, long start, Duration timeout) {
        FailureReason reason = Failures.reasonOf(error);
        String target = config.request().uri().toString();
        switch (reason) {
            case TIMEOUT:
                return timedOut(start, timeout);
            case DNS:
                return CheckResult.unhealthy(reason, "cannot resolve host " + config.request().uri().getHost(),
                        since(start));
            case TLS:
                return CheckResult.unhealthy(reason, "TLS with " + target + " failed: " + Failures.describe(error),
                        since(start));
            case PLUGIN_ERROR:
                return CheckResult.unknown(reason, "the http check of " + target + " failed: "
                        + Failures.describe(error), since(start));
            default:
                return CheckResult.unhealthy(reason, "cannot get " + target + ": " + Failures.describe(error),
                        since(start));
        }
    }

    private CheckResult timedOut(long start, Duration timeout) {
        return CheckResult.unhealthy(FailureReason.TIMEOUT,
                "no complete answer from " + config.request().uri() + " within " + Durations.format(timeout),
                since(start));
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
