package io.aegis.cli;

import io.aegis.core.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns SIGINT and SIGTERM into a clean stop with exit code 0.
 *
 * <p>The JVM's own handling of SIGTERM runs the shutdown hooks and then exits 143; a supervisor (systemd,
 * a container runtime, a test) should see 0 after a requested stop. So the handlers only release a latch:
 * the main thread, waiting in {@link #await}, then closes the engine (which stops the child processes with
 * their grace period) and returns normally. A shutdown hook stays as a safety net for the exits the handlers
 * do not cover ({@code -Xrs}, {@code System.exit} from elsewhere); closing the engine twice is harmless.
 *
 * <p>SIGHUP conventionally asks a daemon to reload its configuration. Aegis cannot reload yet, and the JVM's
 * default (stop everything, exit 129) would turn a habitual {@code kill -HUP} into an outage, so SIGHUP is
 * logged at WARN with what to do instead, and aegis keeps running.
 */
final class ShutdownSignal {
    private static final List<String> SIGNALS = List.of("INT", "TERM");

    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicReference<String> received = new AtomicReference<>();
    private final List<Signal> installed = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private final Thread safetyNet;

    private ShutdownSignal(Engine engine) {
        this.safetyNet = new Thread(engine::close, "aegis-shutdown");
    }

    /** Installs the handlers and the shutdown hook that close {@code engine}. */
    static ShutdownSignal install(Engine engine) {
        ShutdownSignal shutdown = new ShutdownSignal(engine);
        for (String name : SIGNALS) {
            Signal signal = new Signal(name);
            try {
                shutdown.previous.add(Signal.handle(signal, shutdown::onSignal));
                shutdown.installed.add(signal);
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal for itself (-Xrs, or a debugger): the shutdown hook still closes
                // the engine, only the exit code is then the JVM's.
            }
        }
        shutdown.keepRunningOnHangUp();
        Runtime.getRuntime().addShutdownHook(shutdown.safetyNet);
        return shutdown;
    }

    private void onSignal(Signal signal) {
        received.compareAndSet(null, "SIG" + signal.getName());
        stop.countDown();
    }

    private void keepRunningOnHangUp() {
        Signal hangUp = new Signal("HUP");
        try {
            previous.add(Signal.handle(hangUp, signal -> LoggerFactory.getLogger(AegisCommand.class).warn(
                    "received SIGHUP: aegis does not reload its configuration and keeps running with the one it"
                            + " started with; to apply a changed configuration, restart aegis (SIGTERM, then"
                            + " start it again)")));
            installed.add(hangUp);
        } catch (IllegalArgumentException e) {
            // The JVM keeps SIGHUP for itself (-Xrs): it then stops aegis through the shutdown hook, as before.
        }
    }

    /** Waits for SIGINT or SIGTERM and returns its name ({@code SIGTERM}). */
    String await() {
        boolean interrupted = false;
        while (true) {
            try {
                stop.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return received.get();
    }

    /** After the engine is closed: gives the signals back to the JVM and drops the safety net. */
    void uninstall() {
        for (int i = 0; i < installed.size(); i++) {
            Signal.handle(installed.get(i), previous.get(i));
        }
        try {
            Runtime.getRuntime().removeShutdownHook(safetyNet);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down and runs the hook; the engine's close is idempotent.
        }
    }
}
