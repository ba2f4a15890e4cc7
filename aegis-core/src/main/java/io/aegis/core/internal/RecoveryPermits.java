package io.aegis.core.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * The fleet-wide limit on recovery actions in flight ({@code global.recovery.maxConcurrent}): a restart storm
 * (a hundred services failing together) must not become a fork bomb. A recovery that finds every permit taken
 * waits in line, in the order the services asked (the order of failure), without holding a thread: it is
 * called back when a permit is free. Thread-safe.
 */
public final class RecoveryPermits {
    /** Default of {@code global.recovery.maxConcurrent}. */
    public static final int DEFAULT_LIMIT = 10;

    private final int limit;
    private final Deque<Ticket> waiting = new ArrayDeque<>();
    private int inFlight;

    /** A limit of {@code limit} recoveries at once. */
    public RecoveryPermits(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("maxConcurrent must be at least 1, got " + limit);
        }
        this.limit = limit;
    }

    /** The limit. */
    public int limit() {
        return limit;
    }

    /** Recoveries waiting for a permit now (the {@code aegis_recoveries_waiting} gauge). */
    public synchronized int waiting() {
        return waiting.size();
    }

    /** Recoveries holding a permit now. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /**
     * Asks for a permit; {@code onGranted} is called with the ticket once it is granted: at once on the calling
     * thread when one is free, else later on the thread that frees one (it must only hand work on). The ticket
     * is the permit: {@link Ticket#release()} gives it back, or leaves the line when it was still waiting.
     */
    public Ticket request(Consumer<Ticket> onGranted) {
        Ticket ticket = new Ticket(onGranted);
        boolean granted;
        synchronized (this) {
            granted = inFlight < limit;
            if (granted) {
                inFlight++;
                ticket.state = Ticket.GRANTED;
            } else {
                waiting.addLast(ticket);
            }
        }
        if (granted) {
            onGranted.accept(ticket);
        }
        return ticket;
    }

    private void release(Ticket ticket) {
        Ticket next = null;
        synchronized (this) {
            if (ticket.state == Ticket.WAITING) {
                waiting.remove(ticket);
                ticket.state = Ticket.RELEASED;
                return;
            }
            if (ticket.state != Ticket.GRANTED) {
                return;
            }
            ticket.state = Ticket.RELEASED;
            next = waiting.pollFirst();
            if (next == null) {
                inFlight--;
            } else {
                next.state = Ticket.GRANTED; // the permit passes on: inFlight stays
            }
        }
        if (next != null) {
            next.onGranted.accept(next);
        }
    }

    /** One recovery's place in line, then its permit. */
    public final class Ticket {
        private static final int WAITING = 0;
        private static final int GRANTED = 1;
        private static final int RELEASED = 2;
        private final Consumer<Ticket> onGranted;
        /** Guarded by the enclosing {@link RecoveryPermits}. */
        private int state = WAITING;

        private Ticket(Consumer<Ticket> onGranted) {
            this.onGranted = onGranted;
        }

        /** Whether the ticket still waits in line for a permit. */
        public boolean waiting() {
            synchronized (RecoveryPermits.this) {
                return state == WAITING;
            }
        }

        /** Gives the permit back (or leaves the line); calling it again does nothing. */
        public void release() {
            RecoveryPermits.this.release(this);
        }
    }
}
