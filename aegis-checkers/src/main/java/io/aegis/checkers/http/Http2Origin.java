package io.aegis.checkers.http;

import java.util.ArrayDeque;

/**
 * The HTTP/2 side of one https origin that offers {@code h2}: its session, the connection whose TLS handshake
 * is under way, and the checks waiting for that handshake. Runs on the origin's event loop only.
 *
 * <p>While the first connection of an origin negotiates, the checks that come meanwhile wait for it rather
 * than each opening a connection of its own: if the server picks {@code h2}, they all become streams of that
 * one connection. Once a handshake picked {@code http/1.1}, checks no longer wait (each HTTP/1.1 check needs a
 * connection of its own); new connections still offer {@code h2}, so a server that starts speaking it is used.
 */
final class Http2Origin {
    private Http2Session session;
    private Negotiation pending;
    private final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
    // the last handshake picked http/1.1
    private boolean http1;
    private boolean closed;

    /**
     * Takes {@code exchange} onto the session, or into the wait for a handshake under way; false when neither
     * is there (the caller uses an HTTP/1.1 connection or opens a new one).
     */
    boolean take(Exchange exchange) {
        Http2Session current = session;
        if (current != null) {
            if (current.start(exchange)) {
                return true;
            }
            session = null;
        }
        if (pending != null && !http1) {
            waiting.addLast(exchange);
            return true;
        }
        return false;
    }

    /** A new connection of this origin starts its handshake. */
    void connecting(Negotiation negotiation) {
        if (pending == null) {
            pending = negotiation;
        }
    }

    /** The server picked h2: the session takes the checks that waited for it. */
    void negotiated(Negotiation negotiation, Http2Session started) {
        done(negotiation);
        http1 = false;
        if (closed) {
            started.shutdown();
        } else if (session == null || !session.open()) {
            session = started;
        } else {
            started.shutdown(); // two handshakes raced: one connection is enough
        }
        release();
    }

    /** The server picked http/1.1 (or nothing): waiting checks open connections of their own. */
    void negotiatedHttp1(Negotiation negotiation) {
        done(negotiation);
        http1 = true;
        release();
    }

    /** The handshake failed or the connection closed before it ended. */
    void failed(Negotiation negotiation) {
        done(negotiation);
        release();
    }

    private void done(Negotiation negotiation) {
        if (pending == negotiation) {
            pending = null;
        }
    }

    /** Routes the waiting checks again: onto the new session, a new handshake, or HTTP/1.1. */
    private void release() {
        Exchange next;
        while ((pending == null || http1) && (next = waiting.pollFirst()) != null) {
            next.route();
        }
    }

    /** The session takes no new streams (GOAWAY, closed, worn out). */
    void lost(Http2Session lost) {
        if (session == lost) {
            session = null;
        }
    }

    /** No checker uses the origin any more. */
    void close() {
        closed = true;
        if (session != null) {
            session.shutdown();
            session = null;
        }
    }
}
