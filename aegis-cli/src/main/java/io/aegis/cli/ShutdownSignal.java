package io.aegis.cli;

import io.aegis.core.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

// sun.misc.Signal by its full name, not imported: javadoc (-P release, failOnWarnings) warns about every import of
// an API that JDK 17's symbol table marks proprietary; javac still warns when it compiles this file.
/**
 * Turns SIGINT and SIGTERM into a clean stop with exit code 0.
 *
 * <p>The JVM's own handling of SIGTERM runs the shutdown hooks and then exits 143; a supervisor (systemd,
 * a container runtime, a test) should see 0 after a requested stop. So the handlers only release a latch:
 * the main thread, waiting in {@link #await}, then closes the engine (which stops the child processes with
 * their grace period) and returns normally. A shutdown hook stays as a safety net for the exits the handlers
 * do not cover ({@code -Xrs}, {@code System.exit} from elsewhere); closing the engine twice is harmless.
 *
 * <p>SIGHUP reloads the configuration file ({@link Engine#reload()}) on a thread of its own, one reload at a time
 * (see {@link ReloadOnHangUp}); a broken file is logged with every problem and changes nothing. Never the JVM's
 * default for it (stop everything, exit 129).
 */
final class ShutdownSignal {
    private static final List<String> SIGNALS = List.of("INT", "TERM");
    /** A stop asked for before the engine existed (see {@link #early}); null when none came. */
    private static final AtomicReference<String> receivedEarly = new AtomicReference<>();
    /** The JVM's own handlers, replaced by {@link #early}: what {@link #uninstall} gives back. */
    private static final Map<String, sun.misc.SignalHandler> original = new ConcurrentHashMap<>();

    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicReference<String> received = new AtomicReference<>();
    private final List<sun.misc.Signal> installed = new ArrayList<>();
    private final List<sun.misc.SignalHandler> previous = new ArrayList<>();
    private final Thread safetyNet;

    private ShutdownSignal(Engine engine) {
        this.safetyNet = new Thread(engine::close, "aegis-shutdown");
    }

    /**
     * From the start of a run until {@link #install}: SIGINT and SIGTERM are only remembered, so a stop asked for
     * while the configuration loads or the engine is built still ends in a clean stop with exit code 0 (the JVM's
     * own handling would exit 143 without a word). A signal that comes before the JVM runs aegis' code at all
     * still gets the JVM's default.
     */
    static void early() {
        for (String name : SIGNALS) {
            try {
                sun.misc.SignalHandler jvm = sun.misc.Signal.handle(new sun.misc.Signal(name),
                        signal -> receivedEarly.compareAndSet(null, "SIG" + signal.getName()));
                original.putIfAbsent(name, jvm);
            } catch (IllegalArgumentException e) {
                // the JVM keeps this signal (-Xrs): its default stays
            }
        }
    }

    /** The signal that asked for a stop before the engine existed ({@code SIGTERM}), if one did. */
    static Optional<String> receivedEarly() {
        return Optional.ofNullable(receivedEarly.get());
    }

    /** Installs the handlers and the shutdown hook that close {@code engine}. */
    static ShutdownSignal install(Engine engine) {
        ShutdownSignal shutdown = new ShutdownSignal(engine);
        for (String name : SIGNALS) {
            sun.misc.Signal signal = new sun.misc.Signal(name);
            try {
                sun.misc.SignalHandler replaced = sun.misc.Signal.handle(signal, shutdown::onSignal);
                shutdown.previous.add(original.getOrDefault(name, replaced));
                shutdown.installed.add(signal);
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal for itself (-Xrs, or a debugger): the shutdown hook still closes
                // the engine, only the exit code is then the JVM's.
            }
        }
        shutdown.reloadOnHangUp(engine);
        Runtime.getRuntime().addShutdownHook(shutdown.safetyNet);
        String early = receivedEarly.get();
        if (early != null) {
            // asked to stop while the engine was being built: it stops as soon as the caller awaits
            shutdown.onSignalNamed(early);
        }
        return shutdown;
    }

    private void onSignal(sun.misc.Signal signal) {
        onSignalNamed("SIG" + signal.getName());
    }

    private void onSignalNamed(String name) {
        received.compareAndSet(null, name);
        stop.countDown();
    }

    private void reloadOnHangUp(Engine engine) {
        ReloadOnHangUp reloads = new ReloadOnHangUp(engine);
        sun.misc.Signal hangUp = new sun.misc.Signal("HUP");
        try {
            previous.add(sun.misc.Signal.handle(hangUp, signal -> reloads.request()));
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
            sun.misc.Signal.handle(installed.get(i), previous.get(i));
        }
        try {
            Runtime.getRuntime().removeShutdownHook(safetyNet);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down and runs the hook; the engine's close is idempotent.
        }
    }
}
