package io.aegis.checkers.http;

import javax.net.ssl.SSLSession;

/**
 * What carries one exchange's request and answer: an HTTP/1.1 {@link Connection}, or one stream of an
 * {@link Http2Session}. Runs on the origin's event loop only.
 */
interface Carrier {
    /** The whole answer is in: an HTTP/1.1 connection goes back to the pool when kept alive; a stream is done. */
    void release(boolean keepAlive);

    /**
     * The exchange ended without its whole answer (deadline, cancel, body over the limit): HTTP/1.1 closes the
     * connection, HTTP/2 resets only the stream (RST_STREAM CANCEL) and keeps the connection for the others.
     */
    void abandon();

    /** The TLS session once the handshake is done; null over plain HTTP. */
    SSLSession tlsSession();

    /** The HTTP version spoken, as {@code expect.httpVersion} names it: {@code "1.1"} or {@code "2"}. */
    String version();
}
