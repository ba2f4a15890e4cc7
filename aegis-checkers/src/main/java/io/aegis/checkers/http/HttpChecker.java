package io.aegis.checkers.http;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.Durations;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.checkers.internal.Failures;
import io.aegis.plugin.support.BoundedBody;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Checks one service over HTTP with the factory's client for its TLS settings; never blocks the caller.
 *
 * <p>An answer is judged in this order, and the first failure decides: status code, required headers
 * (both {@link FailureReason#STATUS}, as both are the head of the answer), then the body conditions
 * ({@link FailureReason#BODY}). An answer that passes them all may still be DEGRADED: slower than
 * {@code expect.maxResponseTime} ({@link FailureReason#TIMEOUT}) or with a certificate that expires within
 * {@code tls.certExpiryWarningDays} ({@link FailureReason#TLS}); both are reported when both apply.
 */
final class HttpChecker implements HealthChecker {
    private static final Duration DAY = Duration.ofDays(1);

    private final HttpCheckConfig config;
    private final HttpClient client;
    private final ScheduledExecutorService timer;
    private final Clock clock;
    private final HttpResponse.BodyHandler<BoundedBody> bodyHandler;

    HttpChecker(HttpCheckConfig config, HttpClient client, ScheduledExecutorService timer, Clock clock) {
        this.config = config;
        this.client = client;
        this.timer = timer;
        this.clock = clock;
        // the body is only worth keeping when a condition will look at it, which it does only after the status passed
        boolean readsBody = config.readsBody();
        this.bodyHandler = BoundedBody.handler(status -> readsBody && config.expectedStatus().contains(status));
    }

    @Override
    public CompletionStage<CheckResult> check(CheckContext context) {
        long start = System.nanoTime();
        Duration timeout = HttpCheckConfig.positive(context.timeout());
        HttpRequest request = config.request();
        CompletableFuture<CheckResult> verdict = new CompletableFuture<>();
        // The one deadline of the check: it ends the wait for the headers and for a body that trickles in
        // forever, and cancels the exchange.
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
        String missingHeader = headerMismatch(response);
        if (missingHeader != null) {
            return CheckResult.unhealthy(FailureReason.STATUS, missingHeader, since(start));
        }
        String bodyMismatch = bodyMismatch(response.body());
        if (bodyMismatch != null) {
            return CheckResult.unhealthy(FailureReason.BODY, bodyMismatch, since(start));
        }
        Duration latency = since(start);
        List<String> warnings = new ArrayList<>(2);
        FailureReason warningReason = null;
        Duration limit = config.maxResponseTime();
        if (limit != null && latency.compareTo(limit) > 0) {
            warnings.add("answered in " + latency.toMillis() + "ms (limit " + Durations.format(limit) + ")");
            warningReason = FailureReason.TIMEOUT;
        }
        String expiry = certificateExpiry(response);
        if (expiry != null) {
            warnings.add(expiry);
            warningReason = warningReason == null ? FailureReason.TLS : warningReason;
        }
        if (!warnings.isEmpty()) {
            return CheckResult.degraded(warningReason, String.join("; ", warnings), latency);
        }
        return CheckResult.healthy(latency, "HTTP " + status);
    }

    /** Why the required headers are not all there, or null when they are. */
    private String headerMismatch(HttpResponse<?> response) {
        for (Map.Entry<String, Pattern> required : config.requiredHeaders().entrySet()) {
            List<String> values = response.headers().allValues(required.getKey());
            if (values.isEmpty()) {
                return "header " + required.getKey() + " is missing";
            }
            Pattern pattern = required.getValue();
            if (values.stream().noneMatch(value -> pattern.matcher(value).find())) {
                return "header " + required.getKey() + " is " + values.stream().map(value -> "\"" + value + "\"")
                        .collect(Collectors.joining(", ")) + ", expected /" + pattern.pattern() + "/";
            }
        }
        return null;
    }

    /** Why the body does not meet the body conditions, or null when it does. */
    private String bodyMismatch(BoundedBody body) {
        String where = body.truncated() ? " in its first " + BoundedBody.LIMIT / 1024 + " KiB" : "";
        Pattern expectedBody = config.expectedBody();
        if (expectedBody != null && !expectedBody.matcher(body.text()).find()) {
            return "body did not match /" + expectedBody.pattern() + "/" + where;
        }
        for (String forbidden : config.bodyNotContains()) {
            if (body.text().contains(forbidden)) {
                return "body contains \"" + forbidden + "\"";
            }
        }
        return config.json() == null ? null : config.json().mismatch(body);
    }

    /**
     * A warning when the server's certificate expires within the configured days, or null. Only the server's
     * own (leaf) certificate is looked at: it is the one that is renewed, and normally expires first.
     */
    private String certificateExpiry(HttpResponse<?> response) {
        int warningDays = config.tls().certExpiryWarningDays();
        if (warningDays == 0 || response.sslSession().isEmpty()) {
            return null;
        }
        Certificate[] chain;
        try {
            chain = response.sslSession().get().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
            return null;
        }
        Instant notAfter = ((X509Certificate) chain[0]).getNotAfter().toInstant();
        Instant now = clock.instant();
        if (!notAfter.isBefore(now.plus(Duration.ofDays(warningDays)))) {
            return null;
        }
        String host = config.request().uri().getHost();
        LocalDate date = LocalDate.ofInstant(notAfter, ZoneOffset.UTC);
        if (!notAfter.isAfter(now)) {
            // reachable only with insecureSkipVerify: verification rejects an expired certificate
            return "certificate for " + host + " expired on " + date;
        }
        // rounded up, so that a certificate valid for 5 days from now reads "5 days", not "4 days"
        Duration left = Duration.between(now, notAfter);
        long days = left.dividedBy(DAY) + (left.toNanos() % DAY.toNanos() == 0 ? 0 : 1);
        return "certificate for " + host + " expires in " + days + (days == 1 ? " day" : " days") + " (" + date + ")";
    }

    private CheckResult failed(Throwable error, long start, Duration timeout) {
        FailureReason reason = Failures.reasonOf(error);
        String target = config.shownUri();
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
                "no complete answer from " + config.shownUri() + " within " + Durations.format(timeout),
                since(start));
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
