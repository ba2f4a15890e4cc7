package io.aegis.checkers.tcp;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.plugin.support.NonBlockingChecker;
import java.nio.channels.AsynchronousChannelGroup;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** Checks one service by opening a TCP connection; never blocks the caller. */
final class TcpChecker implements NonBlockingChecker {
    private final TcpCheckConfig config;
    private final AsynchronousChannelGroup group;
    private final ScheduledExecutorService timer;
    private final Executor resolver;

    /** @param resolver the factory's threads for DNS lookups */
    TcpChecker(TcpCheckConfig config, AsynchronousChannelGroup group, ScheduledExecutorService timer,
            Executor resolver) {
        this.config = config;
        this.group = group;
        this.timer = timer;
        this.resolver = resolver;
    }

    @Override
    public CompletionStage<CheckResult> check(CheckContext context) {
        return new TcpProbe(config, group, context.timeout()).start(timer, resolver);
    }
}
