package io.aegis.testkit.sample;

import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.ConfigException;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

/**
 * Type {@code sample-http}: a plain plugin as an author would write one (HTTP/1.0 over a blocking socket, on the
 * spec's blocking executor), which keeps every rule; and the same plugin with one {@link Fault} each, to show that
 * the kit catches it and names the rule.
 */
public class SampleCheckerFactory implements HealthCheckerFactory {
    /** One deliberate break of the contract. */
    public enum Fault {
        NONE, BLOCKS_THE_CALLER, CONNECTS_ON_THE_CALLER, NEVER_COMPLETES, THROWS_ON_REFUSED, IGNORES_CANCEL, LEAKS_A_THREAD,
        BAD_SETTINGS_WITHOUT_KEY, UPPER_CASE_TYPE
    }

    private final Fault fault;
    private final ExecutorService leaked;

    /** The plugin that keeps every rule (what ServiceLoader makes). */
    public SampleCheckerFactory() {
        this(Fault.NONE);
    }

    /** The plugin with {@code fault}. */
    public SampleCheckerFactory(Fault fault) {
        this.fault = fault;
        this.leaked = fault == Fault.LEAKS_A_THREAD ? Executors.newSingleThreadExecutor() : null;
        if (leaked != null) {
            leaked.execute(() -> { }); // starts its thread, which close() forgets to end
        }
    }

    @Override
    public String type() {
        return fault == Fault.UPPER_CASE_TYPE ? "Sample HTTP" : "sample-http";
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        URI uri = URI.create(spec.endpoint());
        if (!"http".equals(uri.getScheme()) || uri.getPort() < 0) {
            if (fault == Fault.BAD_SETTINGS_WITHOUT_KEY) {
                throw new IllegalArgumentException("bad endpoint " + uri);
            }
            throw new ConfigException("services[0].endpoint", "expected http://host:port/path, found " + uri);
        }
        return context -> {
            CompletableFuture<CheckResult> result = new CompletableFuture<>();
            if (fault == Fault.NEVER_COMPLETES) {
                return result;
            }
            long start = System.nanoTime();
            Socket socket = new Socket();
            if (fault != Fault.IGNORES_CANCEL) {
                result.whenComplete((done, failure) -> closeQuietly(socket)); // a cancel closes it
            }
            if (fault == Fault.CONNECTS_ON_THE_CALLER) {
                try {
                    // only the connect, on the caller: quick against a server that accepts, not against one that
                    // drops the SYN
                    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()),
                            (int) context.timeout().toMillis());
                } catch (IOException e) {
                    closeQuietly(socket);
                    return CompletableFuture.completedFuture(CheckResult.unhealthy(FailureReason.CONNECT,
                            String.valueOf(e.getMessage()), Duration.ofNanos(System.nanoTime() - start)));
                }
            }
            Runnable check = () -> {
                try (socket) {
                    if (!socket.isConnected()) {
                        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()),
                                (int) context.timeout().toMillis());
                    }
                    socket.setSoTimeout((int) context.timeout().toMillis());
                    OutputStream out = socket.getOutputStream();
                    out.write(("GET " + uri.getRawPath() + " HTTP/1.0\r\nHost: " + uri.getHost() + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String status = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                            StandardCharsets.US_ASCII)).readLine();
                    if (fault == Fault.IGNORES_CANCEL && result.isCancelled()) {
                        return;
                    }
                    Duration took = Duration.ofNanos(System.nanoTime() - start);
                    result.complete(status != null && status.matches("HTTP/1\\.[01] 2\\d\\d.*")
                            ? CheckResult.healthy(took)
                            : CheckResult.unhealthy(FailureReason.STATUS, "answered " + status, took));
                } catch (SocketTimeoutException e) {
                    result.complete(CheckResult.unhealthy(FailureReason.TIMEOUT, "no answer in time",
                            Duration.ofNanos(System.nanoTime() - start)));
                } catch (IOException e) {
                    if (fault == Fault.THROWS_ON_REFUSED) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(CheckResult.unhealthy(FailureReason.CONNECT, e.getMessage(),
                                Duration.ofNanos(System.nanoTime() - start)));
                    }
                }
            };
            if (fault == Fault.BLOCKS_THE_CALLER) {
                check.run();
            } else {
                spec.blockingExecutor().execute(check);
            }
            return result;
        };
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }

    @Override
    public void close() {
        // with LEAKS_A_THREAD, the executor is forgotten here
    }
}
