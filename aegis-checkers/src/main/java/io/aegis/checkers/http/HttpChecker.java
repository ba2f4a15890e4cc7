package io.aegis.checkers.http;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.Durations;
import io.aegis.api.FailureReason;
import io.aegis.checkers.internal.Failures;
import io.aegis.plugin.support.BoundedBody;
import io.aegis.plugin.support.NonBlockingChecker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.util.IllegalReferenceCountException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Checks one service over HTTP/1.1 on its origin's keep-alive connections, or over HTTP/2 as a stream of its
 * origin's connection when the server picked {@code h2}; never blocks the caller.
 *
 * <p>An answer is judged in this order, and the first failure decides: the HTTP version
 * ({@code expect.httpVersion}, {@link FailureReason#PROTOCOL}), status code, required headers
 * (both {@link FailureReason#STATUS}, as both are the head of the answer), then the body conditions
 * ({@link FailureReason#BODY}). An answer that passes them all may still be DEGRADED: slower than
 * {@code expect.maxResponseTime} ({@link FailureReason#TIMEOUT}) or with a certificate that expires within
 * {@code tls.certExpiryWarningDays} ({@link FailureReason#TLS}); both are reported when both apply.
 */
final class HttpChecker implements NonBlockingChecker {
    private static final Duration DAY = Duration.ofDays(1);

    /** Methods that may be sent twice without harm (RFC 9110 9.2.2), so a failed reuse may be retried. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");

    // "finishConnect(..) failed: Connection refused": the native transport's prefix says nothing to a user
    private static final Pattern NATIVE_PREFIX =
            Pattern.compile("^\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: (.*)$");

    private final HttpCheckConfig config;
    private final Origin origin;
    private final Clock clock;
    private final HttpCheckerFactory factory;
    private final ByteBuf request;
    // the same request for HTTP/2; null when this checker's origin never speaks it
    private final Http2Headers http2Headers;
    private final byte[] http2Body;
    private final boolean head;
    private final boolean idempotent;
    private final boolean readsBody;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile StatusText lastStatus;

    HttpChecker(HttpCheckConfig config, Origin origin, Clock clock, HttpCheckerFactory factory) {
        this.config = config;
        this.origin = origin;
        this.clock = clock;
        this.factory = factory;
        String method = config.request().method();
        this.head = method.equals("HEAD");
        this.idempotent = IDEMPOTENT.contains(method);
        // the body is only worth keeping when a condition will look at it, which it does only after the status passed
        this.readsBody = config.readsBody();
        byte[] encoded = encode(config);
        // encoded once, off-heap, and sent by every check as a duplicate that shares the bytes
        this.request = Unpooled.directBuffer(encoded.length).writeBytes(encoded).asReadOnly();
        if (origin.h2 != null) {
            this.http2Headers = Http2Request.headers(config);
            this.http2Body = Http2Request.body(config);
        } else {
            this.http2Headers = null;
            this.http2Body = null;
        }
    }

    /** The request line, headers and body, as the bytes on the wire. */
    static byte[] encode(HttpCheckConfig config) {
        java.net.http.HttpRequest request = config.request();
        URI uri = request.uri();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        boolean https = uri.getScheme().equalsIgnoreCase("https");
        int port = uri.getPort();
        String host = uri.getHost();
        // as the JDK client: the port only when it is not the scheme's default
        String hostHeader = port == -1 || port == (https ? 443 : 80) ? host : host + ":" + port;
        StringBuilder head = new StringBuilder(256)
                .append(request.method()).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(hostHeader).append("\r\n");
        boolean userAgent = false;
        for (Map.Entry<String, List<String>> header : request.headers().map().entrySet()) {
            userAgent |= header.getKey().equalsIgnoreCase("User-Agent");
            for (String value : header.getValue()) {
                head.append(header.getKey()).append(": ").append(value).append("\r\n");
            }
        }
        if (!userAgent) {
            head.append("User-Agent: aegis\r\n");
        }
        byte[] body = config.requestBody() == null ? new byte[0]
                : config.requestBody().getBytes(StandardCharsets.UTF_8);
        String method = request.method();
        if (body.length > 0 || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(body, 0, all, headBytes.length, body.length);
        return all;
    }

    @Override
    public CompletionStage<CheckResult> check(CheckContext context) {
        Exchange exchange = new Exchange(this, origin, System.nanoTime(), HttpCheckConfig.positive(context.timeout()));
        exchange.submit();
        return exchange;
    }

    /**
     * The origin's event loop, where the engine schedules this checker's ticks: the tick, the request, the answer and
     * the verdict then all run on that one thread, and a check wakes no other.
     */
    @Override
    public Optional<ScheduledExecutorService> checkLoop() {
        return Optional.of(origin.loop);
    }

    /** The origin this checker's connections come from (tests hold its loop). */
    Origin origin() {
        return origin;
    }

    /** This checker's request, for one more send; null once the checker is closed. */
    ByteBuf request() {
        try {
            return request.retainedDuplicate();
        } catch (IllegalReferenceCountException closed) {
            return null; // close() released it: a check queued before the close must not send a freed buffer
        }
    }

    boolean head() {
        return head;
    }

    /** The request's headers for HTTP/2 (pseudo-headers first), built once; only read, never changed. */
    Http2Headers http2Headers() {
        return http2Headers;
    }

    /** The request body for HTTP/2, or null when the request has none. */
    byte[] http2Body() {
        return http2Body;
    }

    boolean isClosed() {
        return closed.get();
    }

    boolean idempotent() {
        return idempotent;
    }

    /** Whether the body of an answer with this status is kept for the body conditions (else only counted). */
    boolean keepsBody(int status) {
        return readsBody && config.expectedStatus().contains(status);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            request.release();
            factory.release(origin);
        }
    }

    CheckResult judge(HttpResponse response, BoundedBody body, SSLSession session, String version, long start) {
        List<String> versions = config.httpVersions();
        if (!versions.isEmpty() && !versions.contains(version)) {
            return CheckResult.unhealthy(FailureReason.PROTOCOL, "answered over HTTP/" + version + " (expected "
                    + versions.stream().map(each -> "HTTP/" + each).collect(Collectors.joining(" or ")) + ")",
                    since(start));
        }
        int status = response.status().code();
        StatusCodes expectedStatus = config.expectedStatus();
        if (!expectedStatus.contains(status)) {
            return CheckResult.unhealthy(FailureReason.STATUS,
                    "HTTP " + status + " (expected " + expectedStatus + ")", since(start));
        }
        String missingHeader = headerMismatch(response.headers());
        if (missingHeader != null) {
            return CheckResult.unhealthy(FailureReason.STATUS, missingHeader, since(start));
        }
        String bodyMismatch = bodyMismatch(body);
        if (bodyMismatch != null) {
            return CheckResult.unhealthy(FailureReason.BODY, bodyMismatch, since(start));
        }
        Duration latency = since(start);
        List<String> warnings = null;
        FailureReason warningReason = null;
        Duration limit = config.maxResponseTime();
        if (limit != null && latency.compareTo(limit) > 0) {
            warnings = new ArrayList<>(2);
            warnings.add("answered in " + latency.toMillis() + "ms (limit " + Durations.format(limit) + ")");
            warningReason = FailureReason.TIMEOUT;
        }
        String expiry = certificateExpiry(session);
        if (expiry != null) {
            warnings = warnings == null ? new ArrayList<>(1) : warnings;
            warnings.add(expiry);
            warningReason = warningReason == null ? FailureReason.TLS : warningReason;
        }
        if (warnings != null) {
            return CheckResult.degraded(warningReason, String.join("; ", warnings), latency);
        }
        return CheckResult.healthy(latency, statusText(status));
    }

    /** "HTTP 200", made once per status a checker sees rather than once per check. */
    private String statusText(int status) {
        StatusText last = lastStatus;
        if (last == null || last.status() != status) {
            last = new StatusText(status, "HTTP " + status);
            lastStatus = last; // racy on purpose: each value is immutable and any of them is right
        }
        return last.text();
    }

    private record StatusText(int status, String text) {
    }

    /** Why the required headers are not all there, or null when they are. */
    private String headerMismatch(HttpHeaders headers) {
        for (Map.Entry<String, Pattern> required : config.requiredHeaders().entrySet()) {
            List<String> values = headers.getAll(required.getKey());
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
    private String certificateExpiry(SSLSession session) {
        int warningDays = config.tls().certExpiryWarningDays();
        if (warningDays == 0 || session == null) {
            return null;
        }
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
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

    CheckResult failed(Throwable error, long start, Duration timeout) {
        // Netty's connect timeout is a ConnectException; the JDK client's was a timeout, and so it stays
        FailureReason reason = has(error, ConnectTimeoutException.class) ? FailureReason.TIMEOUT
                : Failures.reasonOf(error);
        String target = config.shownUri();
        switch (reason) {
            case TIMEOUT:
                return timedOut(start, timeout);
            case DNS:
                return CheckResult.unhealthy(reason, "cannot resolve host " + config.request().uri().getHost(),
                        since(start));
            case TLS:
                return CheckResult.unhealthy(reason, "TLS with " + target + " failed: " + describe(error),
                        since(start));
            case PLUGIN_ERROR:
                return CheckResult.unknown(reason, "the http check of " + target + " failed: "
                        + describe(error), since(start));
            default:
                return CheckResult.unhealthy(reason, "cannot get " + target + ": " + describe(error),
                        since(start));
        }
    }

    /** {@link Failures#describe}, in the JDK's words where Netty's say less to a user. */
    private static String describe(Throwable error) {
        if (has(error, NotSslRecordException.class)) {
            // Netty's message is a hex dump of what came instead
            return "Unsupported or unrecognized SSL message";
        }
        String text = Failures.describe(error);
        Matcher prefixed = NATIVE_PREFIX.matcher(text);
        return prefixed.matches() ? prefixed.group(1) : text;
    }

    private static boolean has(Throwable error, Class<? extends Throwable> type) {
        Throwable current = error;
        for (int depth = 0; current != null && depth < 32; depth++, current = current.getCause()) {
            if (type.isInstance(current)) {
                return true;
            }
        }
        return false;
    }

    /** The verdict of a check started after the factory closed. */
    CheckResult closed(long start) {
        return CheckResult.unknown(FailureReason.PLUGIN_ERROR, "the http checker is closed", since(start));
    }

    /**
     * The verdict when judging an answer threw: a body regex that overflows the stack on a long body
     * ({@code (a|b)*c} on 60 KB does), or a defect of ours. Said at once, rather than left to the deadline.
     */
    CheckResult unjudgeable(Throwable error, long start) {
        String why = error instanceof StackOverflowError
                ? "the expect.body regex needs more stack than a thread has on this body; simplify it (e.g. no (a|b)*)"
                : error.toString();
        return CheckResult.unknown(FailureReason.PLUGIN_ERROR, "could not judge the answer of " + config.shownUri()
                + ": " + why, since(start));
    }

    CheckResult timedOut(long start, Duration timeout) {
        return CheckResult.unhealthy(FailureReason.TIMEOUT,
                "no complete answer from " + config.shownUri() + " within " + Durations.format(timeout),
                since(start));
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
