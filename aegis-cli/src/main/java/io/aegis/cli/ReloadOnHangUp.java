package io.aegis.cli;

import io.aegis.core.Engine;
import io.aegis.core.InvalidConfigurationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration on SIGHUP, off the signal thread: one reload at a time, and a SIGHUP that comes during a
 * reload runs one more once it is over (however many came meanwhile: the file is read then, as it is). A broken file
 * is logged at ERROR with every problem, and aegis keeps running with the configuration it had.
 */
final class ReloadOnHangUp {
    private static final Logger log = LoggerFactory.getLogger(AegisCommand.class);

    private final Engine engine;
    /** 0: idle; 1: a reload runs; 2: one runs and another was asked for meanwhile. */
    private final AtomicInteger requests = new AtomicInteger();

    ReloadOnHangUp(Engine engine) {
        this.engine = engine;
    }

    /** Asks for a reload (from the signal thread); returns at once. */
    void request() {
        if (requests.getAndUpdate(n -> Math.min(n + 1, 2)) == 0) {
            Thread thread = new Thread(this::run, "aegis-reload");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void run() {
        do {
            reloadOnce();
        } while (requests.decrementAndGet() > 0);
    }

    private void reloadOnce() {
        log.info("received SIGHUP: reloading {}", engine.configuration().map(c -> c.origin()).orElse("the configuration"));
        try {
            engine.reload(); // logs what changed, and what needs a restart of aegis
        } catch (InvalidConfigurationException e) {
            int count = e.errors().size();
            log.error("the new configuration has {} problem{}; nothing changed:\n  {}", count, count == 1 ? "" : "s",
                    String.join("\n  ", e.errors()));
        } catch (IllegalStateException e) {
            log.error("cannot reload: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("reloading the configuration failed; aegis keeps running with what it had", e);
        }
    }
}
