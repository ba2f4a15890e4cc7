package io.aegis.plugin.support;

import io.aegis.api.HealthChecker;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A marker for the checkers bundled with Aegis (http, tcp, grpc) whose {@code check()} returns at once, never
 * blocks, and completes its stage on the checker's own non-blocking threads (an event loop): the engine then calls
 * {@code check()} on its own thread, without handing the call to a plugin-call thread, and judges the verdict on
 * the thread that completed it. That saves two thread hand-offs (and their wake-ups) per check.
 *
 * <p>The engine trusts this marker only on classes loaded by its own class loader, so a plugin jar loaded on its
 * own class loader is always called through the guarded path, however it is declared. A checker that implements
 * it and then blocks in {@code check()} stalls the engine's timer thread: only implement it for a checker that
 * does no blocking I/O, takes no locks held across I/O, and resolves names off the calling thread. The engine's
 * own deadline on the check applies either way.
 */
public interface NonBlockingChecker extends HealthChecker {

    /**
     * {@return the one thread (an event loop, seen as a scheduler) on which this checker does all the work of its
     * checks, when it has one: the engine then schedules this checker's periodic ticks there instead of on its own
     * timer thread, so that a tick, the request it starts, the answer and the verdict all run on that thread, and a
     * check wakes no other thread} The engine only schedules short tasks there that never block (a tick, which calls
     * {@code check()} on that thread), and cancels them when the service is removed or the engine stops. The checker
     * must keep the executor running as long as it is open; once it is closed, refusing tasks is fine.
     *
     * <p>Empty (the default): the ticks come from the engine's timer. Asked once, when the service's monitor is
     * made; only trusted checkers (see above) are asked.
     */
    default Optional<ScheduledExecutorService> checkLoop() {
        return Optional.empty();
    }
}
