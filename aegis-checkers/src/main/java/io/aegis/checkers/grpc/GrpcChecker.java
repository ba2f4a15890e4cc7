package io.aegis.checkers.grpc;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.Durations;
import io.aegis.api.FailureReason;
import io.aegis.checkers.internal.Failures;
import io.aegis.plugin.support.NonBlockingChecker;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Checks one service with {@code grpc.health.v1.Health/Check} on the factory's shared channel for its target;
 * never blocks the caller.
 */
final class GrpcChecker implements NonBlockingChecker {
    /** The result message when the server has no health service. */
    static final String UNIMPLEMENTED_MESSAGE = "server does not implement grpc.health.v1.Health";

    private final GrpcCheckConfig config;
    private final ManagedChannel channel;
    private final HealthGrpc.HealthStub stub;
    private final HealthCheckRequest request;
    // Set when a call ran out of time or could not get through; the engine runs one check of a service at a time.
    private volatile boolean freshConnectionNeeded;

    GrpcChecker(GrpcCheckConfig config, ManagedChannel channel) {
        this.config = config;
        this.channel = channel;
        // the headers belong to this checker, the channel to every checker of the target
        this.stub = HealthGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(config.headers()));
        this.request = HealthCheckRequest.newBuilder().setService(config.service()).build();
    }

    @Override
    public CompletionStage<CheckResult> check(CheckContext context) {
        long start = System.nanoTime();
        Duration timeout = context.timeout();
        if (channel.isShutdown()) {
            return CompletableFuture.completedFuture(CheckResult.unknown(FailureReason.PLUGIN_ERROR,
                    "the grpc checker is closed", since(start)));
        }
        // After a failed connection attempt a channel waits out a growing backoff (up to two minutes) and fails
        // every call at once with the old error meanwhile, so a server that came back would still look down.
        // Going idle drops that state: this call starts a fresh attempt and waits for its outcome.
        //
        // After a timeout the connection may be dead without the OS knowing yet (a peer that vanished, a NAT
        // entry that expired), and every call on it would wait out its deadline too; so the next check also
        // starts afresh. (Not from the failed call's callback: then the call still counts as in use, and the
        // channel leaves idle again at once.) Calls in flight on the channel finish either way.
        //
        // The channel's own state is not enough after a refused connection: a reconnect attempt it began while the
        // server was still down shows as CONNECTING, and the next call would fail with that attempt's outcome.
        if (freshConnectionNeeded || channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            freshConnectionNeeded = false;
            channel.enterIdle();
        }
        CompletableFuture<CheckResult> verdict = new CompletableFuture<>();
        Call call = new Call(verdict, start, timeout);
        try {
            stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS).check(request, call);
        } catch (RuntimeException e) {
            verdict.complete(CheckResult.unknown(FailureReason.PLUGIN_ERROR, "the grpc check of " + config.target()
                    + " failed: " + Failures.describe(e), since(start)));
            return verdict;
        }
        // When the engine stops waiting (it cancels the stage), stop the call too.
        verdict.whenComplete((result, error) -> call.cancel());
        return verdict;
    }

    /** Judges the answer of a call that reached the health service. */
    private CheckResult judge(HealthCheckResponse response, long start) {
        String forService = config.service().isEmpty() ? "" : " for service \"" + config.service() + "\"";
        switch (response.getStatus()) {
            case SERVING:
                return CheckResult.healthy(since(start), "SERVING" + forService);
            case NOT_SERVING:
                return CheckResult.unhealthy(FailureReason.STATUS, "NOT_SERVING" + forService, since(start));
            case SERVICE_UNKNOWN:
                return CheckResult.unknown(FailureReason.STATUS,
                        "SERVICE_UNKNOWN: the server does not know " + config.subject(), since(start));
            case UNKNOWN:
                return CheckResult.unknown(FailureReason.STATUS,
                        "UNKNOWN: the server does not know the health of " + config.subject() + " yet", since(start));
            default:
                return CheckResult.unknown(FailureReason.PROTOCOL, "the server answered with health status "
                        + response.getStatusValue() + ", which grpc.health.v1 does not define", since(start));
        }
    }

    /** Judges a call that ended with an error status. */
    private CheckResult failed(Throwable error, long start, Duration timeout) {
        Status status = Status.fromThrowable(error);
        GrpcTarget target = config.target();
        switch (status.getCode()) {
            case DEADLINE_EXCEEDED:
                freshConnectionNeeded = true;
                return CheckResult.unhealthy(FailureReason.TIMEOUT,
                        "no answer from " + target + " within " + Durations.format(timeout), since(start));
            case UNIMPLEMENTED:
                return CheckResult.unhealthy(FailureReason.PROTOCOL, UNIMPLEMENTED_MESSAGE, since(start));
            case NOT_FOUND:
                // grpc.health.v1 answers Check for a name it does not know with NOT_FOUND, not with SERVICE_UNKNOWN
                return CheckResult.unknown(FailureReason.STATUS,
                        "SERVICE_UNKNOWN: the server does not know " + config.subject(), since(start));
            case UNAUTHENTICATED:
            case PERMISSION_DENIED:
                return CheckResult.unknown(FailureReason.STATUS, "the server refused the health check with "
                        + describe(status) + " (are the configured headers right?)", since(start));
            case UNAVAILABLE:
                freshConnectionNeeded = true;
                return unavailable(status, target, start);
            default:
                return CheckResult.unhealthy(FailureReason.STATUS,
                        "the health check failed with " + describe(status), since(start));
        }
    }

    /** UNAVAILABLE covers every way of not getting through; the cause says which one. */
    private CheckResult unavailable(Status status, GrpcTarget target, long start) {
        Throwable cause = status.getCause();
        FailureReason reason = cause == null ? FailureReason.CONNECT : Failures.reasonOf(cause);
        String detail = cause == null ? describe(status) : Failures.describe(cause);
        switch (reason) {
            case DNS:
                return CheckResult.unhealthy(reason, "cannot resolve host " + target.host(), since(start));
            case TLS:
                return CheckResult.unhealthy(reason, "TLS with " + target + " failed: " + detail, since(start));
            default:
                return CheckResult.unhealthy(FailureReason.CONNECT, "cannot connect to " + target + ": " + detail,
                        since(start));
        }
    }

    private static String describe(Status status) {
        String description = status.getDescription();
        return description == null || description.isBlank()
                ? status.getCode().name()
                : status.getCode().name() + ": " + description;
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Receives the answer of one call and keeps its handle for cancelling. */
    private final class Call implements ClientResponseObserver<HealthCheckRequest, HealthCheckResponse> {
        private final CompletableFuture<CheckResult> verdict;
        private final long start;
        private final Duration timeout;
        private volatile ClientCallStreamObserver<HealthCheckRequest> requestStream;
        private volatile boolean answered;

        Call(CompletableFuture<CheckResult> verdict, long start, Duration timeout) {
            this.verdict = verdict;
            this.start = start;
            this.timeout = timeout;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<HealthCheckRequest> stream) {
            requestStream = stream;
        }

        @Override
        public void onNext(HealthCheckResponse response) {
            answered = true;
            verdict.complete(judge(response, start));
        }

        @Override
        public void onError(Throwable error) {
            answered = true;
            verdict.complete(failed(error, start, timeout));
        }

        @Override
        public void onCompleted() {
            // a unary call without an answer ends in onError, so the verdict is already in
        }

        /** Cancels the call unless it has answered: cancelling after the answer would reset a finished stream. */
        void cancel() {
            ClientCallStreamObserver<HealthCheckRequest> stream = requestStream;
            if (stream != null && !answered) {
                stream.cancel("the health check is over", null);
            }
        }
    }
}
