package io.aegis.core.internal.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint Prometheus scrapes: {@code GET /metrics} of one engine's registry, and {@code /-/healthy}.
 *
 * <p>A small non-blocking HTTP/1.1 server rather than the JDK's {@code com.sun.net.httpserver}: that one
 * blocks a thread per connection while it reads the request and writes the response, so two sockets that
 * send one byte (or two scrapers that stop reading) hold its threads for as long as they like, and its
 * timeouts are JVM-wide system properties read once, which an embeddable library cannot set. Here:
 * <ul>
 *   <li>one selector thread ({@code aegis-metrics-http-selector}) reads requests and writes responses
 *       without ever blocking, so a slow sender or a slow reader costs a socket and nothing else;
 *   <li>a request's header must arrive within {@link Limits#headerTimeout} of the connection (or of its first
 *       byte, on a kept-alive connection), an idle kept-alive connection is closed after
 *       {@link Limits#idleTimeout}, and a response must be rendered and written within
 *       {@link Limits#writeTimeout}; a connection past its deadline is closed;
 *   <li>at most {@link Limits#maxConnections} connections are open: a new one beyond that closes the
 *       connection that has waited longest for a request, or is refused when every connection is busy, so a
 *       flood costs no file descriptors and later scrapes are still served;
 *   <li>rendering runs on the {@link ExpositionRenderer}'s threads ({@code aegis-metrics-http-render-<n>}),
 *       which coalesce concurrent scrapes onto one render.
 * </ul>
 * Content negotiation is client_java's (Prometheus text 0.0.4, OpenMetrics, protobuf when asked), with gzip
 * when the scraper accepts it, and {@code HEAD}. {@link #close()} releases the port and waits for every
 * thread to end.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    /** Prefix of the names of the threads that serve scrapes. */
    static final String THREAD_NAME_PREFIX = "aegis-metrics-http-";

    /** A request header larger than this is refused (431): Prometheus sends a few hundred bytes. */
    static final int MAX_HEADER_BYTES = 8 * 1024;
    private static final int BACKLOG = 128;
    private static final long CLOSE_TIMEOUT_MILLIS = 5_000;
    /** The selector wakes at least this often, to close connections past their deadline. */
    private static final long MAX_SELECT_MILLIS = 1_000;
    private static final long MAX_ACCEPT_PAUSE_MILLIS = 5_000;
    private static final String HEALTHY = "Exporter is healthy.\n";
    private static final String TEXT_PLAIN = "text/plain; charset=utf-8";

    /**
     * Deadlines and bounds of the server.
     *
     * @param headerTimeout how long a request's header may take to arrive
     * @param idleTimeout how long a kept-alive connection may wait for its next request
     * @param writeTimeout how long rendering and writing one response may take
     * @param maxConnections how many connections may be open at once
     */
    record Limits(Duration headerTimeout, Duration idleTimeout, Duration writeTimeout, int maxConnections) {
        /**
         * Prometheus scrapes with a 10 s timeout by default and keeps its connection between scrapes; a 60 s
         * idle timeout covers a 1-minute scrape interval without reconnecting.
         */
        static final Limits DEFAULT = new Limits(Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofSeconds(30), 256);

        Limits {
            Objects.requireNonNull(headerTimeout, "headerTimeout");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(writeTimeout, "writeTimeout");
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1, got " + maxConnections);
            }
        }
    }

    private final Limits limits;
    private final ServerSocketChannel listener;
    private final Selector selector;
    private final int port;
    private final ExpositionRenderer renderer;
    private final Thread selectorThread;
    /** Work handed to the selector thread (rendered responses); it runs them after each select. */
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Selector thread only. */
    private final Set<Connection> connections = new HashSet<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile int openConnections;
    /** Accepting paused after a failure ({@link #acceptOrPause}): how long, and until when; selector thread only. */
    private long acceptPauseMillis;
    private long acceptResumesAt;
    private long acceptFailureLoggedAt;

    private MetricsServer(Limits limits, ServerSocketChannel listener, Selector selector, PrometheusRegistry registry)
            throws IOException {
        this.limits = limits;
        this.listener = listener;
        this.selector = selector;
        this.port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        this.renderer = new ExpositionRenderer(registry, THREAD_NAME_PREFIX + "render");
        this.selectorThread = new Thread(this::run, THREAD_NAME_PREFIX + "selector");
        selectorThread.setDaemon(true);
    }

    /**
     * Starts serving {@code registry} on {@code host:port}.
     *
     * @param host the address to listen on ({@code "0.0.0.0"} for all, {@code "127.0.0.1"} for loopback only)
     * @param port the port; 0 picks a free one (see {@link #port()})
     * @param registry the engine's registry
     * @return the running server
     * @throws MetricsPortInUseException if something already listens on the port
     * @throws UncheckedIOException if the server cannot start for another reason (for example an unknown host)
     */
    public static MetricsServer start(String host, int port, PrometheusRegistry registry) {
        return start(host, port, registry, Limits.DEFAULT);
    }

    static MetricsServer start(String host, int port, PrometheusRegistry registry, Limits limits) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(limits, "limits");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("metrics port must be between 0 and 65535, got " + port);
        }
        ServerSocketChannel listener = null;
        Selector selector = null;
        try {
            InetAddress address = InetAddress.getByName(host);
            listener = ServerSocketChannel.open();
            listener.bind(new InetSocketAddress(address, port), BACKLOG);
            listener.configureBlocking(false);
            selector = Selector.open();
            listener.register(selector, SelectionKey.OP_ACCEPT);
            MetricsServer server = new MetricsServer(limits, listener, selector, registry);
            server.selectorThread.start();
            return server;
        } catch (BindException e) {
            closeQuietly(listener, selector);
            if (port != 0 && hostIsBindable(host)) {
                throw new MetricsPortInUseException(host, port, e);
            }
            throw new UncheckedIOException(
                    "cannot serve metrics on " + hostAndPort(host, port) + ": " + e.getMessage(), e);
        } catch (IOException e) {
            closeQuietly(listener, selector);
            throw new UncheckedIOException(
                    "cannot serve metrics on " + hostAndPort(host, port) + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(listener, selector);
            throw e;
        }
    }

    /** The port the server listens on; the one picked when it was started with port 0. */
    public int port() {
        return port;
    }

    /** Connections open now (for tests and the benchmark). */
    int openConnections() {
        return openConnections;
    }

    /**
     * Stops answering, closes every connection, releases the port and waits (at most five seconds) for the
     * server's threads to end. Calling it again does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        selector.wakeup();
        try {
            selectorThread.join(CLOSE_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (selectorThread.isAlive()) {
            // Never expected (the loop blocks nowhere but in select); release the port anyway.
            closeQuietly(listener, selector);
        }
        renderer.close();
    }

    // ---------------------------------------------------------------------------------------------------
    // The selector thread

    private void run() {
        try {
            while (!closed.get()) {
                long now = System.nanoTime();
                resumeAccepting(now);
                long wait = closeExpired(now);
                if (acceptResumesAt != 0) {
                    wait = Math.max(1, Math.min(wait, TimeUnit.NANOSECONDS.toMillis(acceptResumesAt - now) + 1));
                }
                selector.select(wait);
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
                Iterator<SelectionKey> selected = selector.selectedKeys().iterator();
                while (selected.hasNext()) {
                    SelectionKey key = selected.next();
                    selected.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        acceptOrPause(key);
                    } else {
                        ((Connection) key.attachment()).onReady(key);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // Only the selector itself failing gets here (a connection's failure closes that connection).
            LOG.error("the metrics server stopped: {}", e.toString(), e);
        } finally {
            for (Connection connection : new ArrayList<>(connections)) {
                connection.close(null);
            }
            closeQuietly(listener, selector);
        }
    }

    /** Closes the connections past their deadline; returns how long select may wait, in milliseconds. */
    private long closeExpired(long now) {
        long next = now + TimeUnit.MILLISECONDS.toNanos(MAX_SELECT_MILLIS);
        for (Connection connection : new ArrayList<>(connections)) {
            if (connection.deadline - now <= 0) {
                connection.close(connection.state == State.READING
                        ? (connection.requestStarted ? "request header not received within the deadline" : null)
                        : "response not sent within the deadline");
            } else if (connection.deadline - next < 0) {
                next = connection.deadline;
            }
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - now) + 1);
    }

    /**
     * Accepts what waits; when accepting fails (the process is out of file descriptors: EMFILE, say while hung check
     * targets hold thousands of sockets), stops accepting for a pause that doubles up to 5 s and then tries again,
     * said once per minute. Letting it escape ended the server for good: /metrics refused every scrape while aegis ran
     * on (found by the hostile test under {@code ulimit -n 512}); accepting again at once would spin.
     */
    private void acceptOrPause(SelectionKey key) {
        try {
            accept();
            acceptPauseMillis = 0;
        } catch (IOException e) {
            acceptPauseMillis = Math.min(MAX_ACCEPT_PAUSE_MILLIS, Math.max(100, acceptPauseMillis * 2));
            long now = System.nanoTime();
            if (acceptFailureLoggedAt == 0 || now - acceptFailureLoggedAt > TimeUnit.MINUTES.toNanos(1)) {
                acceptFailureLoggedAt = now;
                LOG.warn("metrics: cannot accept a connection ({}); trying again in {} ms (said once a minute)",
                        e.getMessage(), acceptPauseMillis);
            }
            key.interestOps(0);
            acceptResumesAt = now + TimeUnit.MILLISECONDS.toNanos(acceptPauseMillis);
        }
    }

    /** Accepts again once the pause after a failed accept is over. */
    private void resumeAccepting(long now) {
        if (acceptResumesAt != 0 && now - acceptResumesAt >= 0) {
            acceptResumesAt = 0;
            SelectionKey key = listener.keyFor(selector);
            if (key != null && key.isValid()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = listener.accept()) != null) {
            if (connections.size() >= limits.maxConnections() && !evictIdle()) {
                // Every connection is busy with a request: refuse this one at once rather than queue it.
                LOG.debug("metrics: refusing a connection from {}: {} connections are busy",
                        remote(channel), connections.size());
                refuse(channel);
                continue;
            }
            try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Connection connection = new Connection(channel);
                connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
                connections.add(connection);
                openConnections = connections.size();
            } catch (IOException e) {
                LOG.debug("metrics: cannot set up a connection from {}: {}", remote(channel), e.toString());
                closeQuietly(channel);
            }
        }
    }

    /** Closes the connection that has waited longest for a request, if there is one. */
    private boolean evictIdle() {
        Connection oldest = null;
        for (Connection connection : connections) {
            if (connection.state == State.READING
                    && (oldest == null || connection.waitingSince - oldest.waitingSince < 0)) {
                oldest = connection;
            }
        }
        if (oldest == null) {
            return false;
        }
        oldest.close("closed to make room: " + limits.maxConnections() + " connections are open");
        return true;
    }

    private static void refuse(SocketChannel channel) {
        try {
            channel.configureBlocking(false);
            // A fresh socket's send buffer always takes these few bytes.
            channel.write(ByteBuffer.wrap(responseHead(503, "Service Unavailable", TEXT_PLAIN, null, 0, true, null)));
        } catch (IOException e) {
            // the client is gone already
        }
        closeQuietly(channel);
    }

    private enum State { READING, RENDERING, WRITING, CLOSED }

    /** One client connection; touched by the selector thread only. */
    private final class Connection {
        private final SocketChannel channel;
        private final ByteBuffer in = ByteBuffer.allocate(MAX_HEADER_BYTES);
        private SelectionKey key;
        private State state = State.READING;
        /** Whether a byte of the next request has arrived: then the header deadline runs, else the idle one. */
        private boolean requestStarted;
        private long waitingSince;
        private long deadline;
        private ByteBuffer[] out;
        private boolean closeAfterResponse;

        Connection(SocketChannel channel) {
            this.channel = channel;
            waitingSince = System.nanoTime();
            // The first request must come quickly: a connection that sends nothing is as slow as one that
            // sends a byte.
            deadline = waitingSince + limits.headerTimeout().toNanos();
        }

        void onReady(SelectionKey readyKey) {
            try {
                if (readyKey.isReadable()) {
                    onReadable();
                } else if (readyKey.isWritable()) {
                    write();
                }
            } catch (IOException e) {
                // A client that hangs up is routine: one line at debug, no stack trace.
                close("connection failed: " + e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("metrics: unexpected failure on a connection from {}; closing it", remote(channel), e);
                close(null);
            }
        }

        private void onReadable() throws IOException {
            int read = channel.read(in);
            if (read < 0) {
                close(requestStarted ? "client closed the connection in the middle of a request" : null);
                return;
            }
            if (read > 0 && !requestStarted) {
                requestStarted = true;
                long headerDeadline = System.nanoTime() + limits.headerTimeout().toNanos();
                if (headerDeadline - deadline < 0) {
                    deadline = headerDeadline; // a kept-alive connection's idle deadline was later
                }
            }
            parse();
        }

        /** Handles a complete request in {@link #in}, if there is one. */
        private void parse() {
            int end = headerEnd(in.array(), in.position());
            if (end < 0) {
                if (!in.hasRemaining()) {
                    respondError(431, "Request Header Fields Too Large", "request header larger than "
                            + MAX_HEADER_BYTES + " bytes\n");
                }
                return;
            }
            Request request = Request.parse(in.array(), end);
            // Keep what follows the header: a pipelined next request.
            in.flip();
            in.position(end);
            in.compact();
            if (request == null) {
                respondError(400, "Bad Request", "malformed HTTP request\n");
                return;
            }
            if (!request.version.startsWith("HTTP/1.")) {
                respondError(505, "HTTP Version Not Supported", "only HTTP/1.0 and HTTP/1.1 are served\n");
                return;
            }
            closeAfterResponse = !request.keepAlive() || request.hasBody();
            boolean head = request.method.equals("HEAD");
            boolean metrics = request.path.equals("/metrics");
            if (!metrics && !request.path.equals("/-/healthy")) {
                respond(404, "Not Found", TEXT_PLAIN, null,
                        bytes("not found: this server serves /metrics and /-/healthy\n"), head);
                return;
            }
            if (!head && !request.method.equals("GET")) {
                respondError(405, "Method Not Allowed", "only GET and HEAD are allowed\n");
                return;
            }
            if (!metrics) {
                respond(200, "OK", TEXT_PLAIN, null, bytes(HEALTHY), head);
                return;
            }
            Predicate<String> names;
            try {
                names = request.nameFilter();
            } catch (IllegalArgumentException e) {
                respondError(400, "Bad Request", "invalid query parameters\n");
                return;
            }
            state = State.RENDERING;
            key.interestOps(0);
            deadline = System.nanoTime() + limits.writeTimeout().toNanos();
            renderer.render(request.header("accept"), request.acceptsGzip(), names)
                    .whenComplete((body, error) -> {
                        tasks.add(() -> rendered(body, error, head));
                        selector.wakeup();
                    });
        }

        private void rendered(ExpositionRenderer.Body body, Throwable error, boolean head) {
            if (state != State.RENDERING) {
                return; // closed meanwhile (deadline, server closing)
            }
            if (error == null) {
                respond(200, "OK", body.contentType(), body.contentEncoding(),
                        ByteBuffer.wrap(body.bytes(), 0, body.length()), head);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof RejectedExecutionException) {
                respondError(503, "Service Unavailable", "too many scrapes at once; try again\n");
            } else {
                LOG.warn("metrics: rendering /metrics failed: {}", cause.toString(), cause);
                respondError(500, "Internal Server Error",
                        "rendering the metrics failed: " + cause.getClass().getSimpleName() + "; see aegis' log\n");
            }
        }

        private void respondError(int status, String reason, String message) {
            closeAfterResponse = true;
            respond(status, reason, TEXT_PLAIN, null, bytes(message), false);
        }

        private void respond(int status, String reason, String contentType, String contentEncoding, ByteBuffer body,
                boolean head) {
            byte[] headBytes = responseHead(status, reason, contentType, contentEncoding, body.remaining(),
                    closeAfterResponse, status == 405 ? "GET, HEAD" : null);
            out = head ? new ByteBuffer[] {ByteBuffer.wrap(headBytes)}
                    : new ByteBuffer[] {ByteBuffer.wrap(headBytes), body};
            state = State.WRITING;
            deadline = System.nanoTime() + limits.writeTimeout().toNanos();
            try {
                write();
            } catch (IOException e) {
                close("connection failed: " + e.getMessage());
            }
        }

        private void write() throws IOException {
            channel.write(out);
            if (out[out.length - 1].hasRemaining()) {
                // The client reads slower than we write: wait, without holding anything but this socket.
                key.interestOps(SelectionKey.OP_WRITE);
                return;
            }
            out = null;
            if (closeAfterResponse) {
                close(null);
                return;
            }
            state = State.READING;
            waitingSince = System.nanoTime();
            requestStarted = in.position() > 0;
            deadline = waitingSince + (requestStarted ? limits.headerTimeout() : limits.idleTimeout()).toNanos();
            key.interestOps(SelectionKey.OP_READ);
            if (requestStarted) {
                parse();
            }
        }

        /** Closes the connection; a non-null {@code why} is logged at debug. */
        void close(String why) {
            if (state == State.CLOSED) {
                return;
            }
            if (why != null) {
                LOG.debug("metrics: closing the connection from {}: {}", remote(channel), why);
            }
            state = State.CLOSED;
            out = null;
            if (key != null) {
                key.cancel();
            }
            closeQuietly(channel);
            connections.remove(this);
            openConnections = connections.size();
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // HTTP/1.1 framing: just what a scrape needs

    /** The end of the header (after the empty line) in {@code buf[0, length)}, or -1. */
    static int headerEnd(byte[] buf, int length) {
        for (int i = 0; i < length; i++) {
            if (buf[i] == '\n') {
                if (i + 1 < length && buf[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < length && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    /** A parsed request head. */
    static final class Request {
        final String method;
        final String path;
        final String query;
        final String version;
        /** Lower-case names; repeated fields joined with ", " as RFC 9110 allows. */
        final Map<String, String> headers;

        private Request(String method, String path, String query, String version, Map<String, String> headers) {
            this.method = method;
            this.path = path;
            this.query = query;
            this.version = version;
            this.headers = headers;
        }

        /** The request in {@code buf[0, end)}, or null when it is not HTTP. */
        static Request parse(byte[] buf, int end) {
            String text = new String(buf, 0, end, StandardCharsets.ISO_8859_1);
            String[] lines = text.split("\r?\n");
            String[] start = lines.length == 0 ? new String[0] : lines[0].split(" ", -1);
            if (start.length != 3 || start[0].isEmpty() || start[1].isEmpty()) {
                return null;
            }
            String target = start[1];
            if (!target.startsWith("/")) {
                // absolute-form (http://host:port/metrics), which a proxy may send
                int scheme = target.indexOf("://");
                if (scheme < 0) {
                    return null;
                }
                int slash = target.indexOf('/', scheme + 3);
                target = slash < 0 ? "/" : target.substring(slash);
            }
            int question = target.indexOf('?');
            String path = question < 0 ? target : target.substring(0, question);
            String query = question < 0 ? null : target.substring(question + 1);
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                if (line.isEmpty()) {
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    return null;
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                headers.merge(name, value, (a, b) -> a + ", " + b);
            }
            return new Request(start[0], path, query, start[2], headers);
        }

        String header(String lowerCaseName) {
            return headers.get(lowerCaseName);
        }

        boolean keepAlive() {
            String connection = header("connection");
            String tokens = connection == null ? "" : connection.toLowerCase(Locale.ROOT);
            return version.equals("HTTP/1.1") ? !tokens.contains("close") : tokens.contains("keep-alive");
        }

        /** A scrape has no body; one that has is answered and the connection closed (we do not read bodies). */
        boolean hasBody() {
            String length = header("content-length");
            return header("transfer-encoding") != null || (length != null && !length.equals("0"));
        }

        boolean acceptsGzip() {
            String accept = header("accept-encoding");
            if (accept == null) {
                return false;
            }
            for (String coding : accept.split(",")) {
                String[] parts = coding.split(";");
                if (parts[0].trim().equalsIgnoreCase("gzip")) {
                    for (int i = 1; i < parts.length; i++) {
                        String param = parts[i].trim().replace(" ", "");
                        if (param.startsWith("q=") && param.substring(2).matches("0(\\.0*)?")) {
                            return false;
                        }
                    }
                    return true;
                }
            }
            return false;
        }

        /** The {@code name[]} parameters as a filter, or null when there are none. */
        Predicate<String> nameFilter() {
            if (query == null) {
                return null;
            }
            Set<String> names = new HashSet<>();
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                if (name.equals("name[]") && eq >= 0) {
                    names.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            return names.isEmpty() ? null : names::contains;
        }
    }

    private static byte[] responseHead(int status, String reason, String contentType, String contentEncoding,
            int contentLength, boolean close, String allow) {
        StringBuilder head = new StringBuilder(256)
                .append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n")
                .append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)))
                .append("\r\n")
                .append("Content-Type: ").append(contentType).append("\r\n")
                .append("Content-Length: ").append(contentLength).append("\r\n");
        if (contentEncoding != null) {
            head.append("Content-Encoding: ").append(contentEncoding).append("\r\n");
        }
        if (status == 200) {
            head.append("Vary: Accept, Accept-Encoding\r\n");
        }
        if (allow != null) {
            head.append("Allow: ").append(allow).append("\r\n");
        }
        if (close) {
            head.append("Connection: close\r\n");
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String remote(SocketChannel channel) {
        try {
            SocketAddress address = channel.getRemoteAddress();
            return address == null ? "?" : address.toString();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void closeQuietly(AutoCloseable... closeables) {
        for (AutoCloseable closeable : closeables) {
            if (closeable == null) {
                continue;
            }
            try {
                closeable.close();
            } catch (Exception e) {
                // nothing more to release
            }
        }
    }

    /**
     * Whether this machine can listen on {@code host} at all. A {@link BindException} also means "this is
     * not one of my addresses", and its text is the operating system's (maybe translated), so we ask the
     * question directly rather than parse it.
     */
    private static boolean hostIsBindable(String host) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String hostAndPort(String host, int port) {
        // An IPv6 literal needs brackets, or the port reads as part of the address.
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
