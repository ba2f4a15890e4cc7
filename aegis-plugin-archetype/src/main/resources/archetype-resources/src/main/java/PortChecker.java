package ${package};

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Checks one service by opening a TCP connection to it, and closing it at once.
 *
 * <p>Verdicts, and why each failure reason:
 * <ul>
 *   <li>connected: HEALTHY, or DEGRADED (still passing, but worth a look) when it took longer than
 *       {@code slowAfter};</li>
 *   <li>refused, reset, unreachable: UNHEALTHY with {@link FailureReason#CONNECT};</li>
 *   <li>no connection within the check's timeout: UNHEALTHY with {@link FailureReason#TIMEOUT};</li>
 *   <li>a host name that does not resolve: UNHEALTHY with {@link FailureReason#DNS}.</li>
 * </ul>
 *
 * <p>The connect (and the host name's lookup) blocks a thread until it is done, so it never runs on the thread that
 * calls {@link #check}, which is aegis' scheduler: it runs on {@code CheckerSpec.blockingExecutor()}, and
 * {@link #blocking()} says so, which lets aegis give each check a thread of its own (within
 * {@code global.maxConcurrentBlockingChecks}). To check something else, replace {@link #probe}: keep it returning
 * a {@link CheckResult} for every outcome, never throwing.
 */
final class PortChecker implements HealthChecker {
    private final HostPort target;
    private final Duration slowAfter;
    private final Executor blockingExecutor;

    /**
     * @param target where to connect
     * @param slowAfter a connection that takes longer is DEGRADED; null: never
     * @param blockingExecutor where the connect runs (the spec's blocking executor)
     */
    PortChecker(HostPort target, Duration slowAfter, Executor blockingExecutor) {
        this.target = target;
        this.slowAfter = slowAfter;
        this.blockingExecutor = blockingExecutor;
    }

    @Override
    public CompletionStage<CheckResult> check(CheckContext context) {
        return CompletableFuture.supplyAsync(() -> probe(context.timeout()), blockingExecutor);
    }

    @Override
    public boolean blocking() {
        return true;
    }

    /**
     * One connection attempt: the check itself, run on the blocking executor.
     *
     * @param timeout how long the attempt may take (the check's timeout)
     * @return the verdict; every outcome is a result, nothing is thrown
     */
    CheckResult probe(Duration timeout) {
        long start = System.nanoTime();
        // 0 would mean "no limit" to Socket.connect
        int timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try (Socket socket = new Socket()) {
            // resolves the host name on each attempt, so that a moved service is followed
            socket.connect(new InetSocketAddress(target.host(), target.port()), timeoutMillis);
        } catch (UnknownHostException e) {
            return CheckResult.unhealthy(FailureReason.DNS, "cannot resolve " + target.host(), since(start));
        } catch (SocketTimeoutException e) {
            return CheckResult.unhealthy(FailureReason.TIMEOUT, "no connection to " + target + " within "
                    + timeoutMillis + "ms", since(start));
        } catch (IOException | SecurityException e) {
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            return CheckResult.unhealthy(FailureReason.CONNECT, "cannot connect to " + target + ": " + why,
                    since(start));
        }
        Duration took = since(start);
        String message = "connected to " + target + " in " + took.toMillis() + "ms";
        if (slowAfter != null && took.compareTo(slowAfter) > 0) {
            return CheckResult.degraded(null, message + " (slow: above " + slowAfter.toMillis()
                    + "ms)", took);
        }
        return CheckResult.healthy(took, message);
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    @Override
    public String toString() {
        return PortCheckerFactory.TYPE + " " + target;
    }
}
