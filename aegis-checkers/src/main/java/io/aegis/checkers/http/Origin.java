package io.aegis.checkers.http;

import io.aegis.checkers.http.TlsSettings.Trust;
import io.aegis.checkers.internal.Failures;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * One scheme, host, port and TLS trust, with its keep-alive pool of idle connections. Bound to one event
 * loop: everything but the constructor and {@link #users} runs on {@link #loop}'s thread.
 */
final class Origin {
    /** What makes two checkers' connections interchangeable. */
    record Key(boolean https, String host, int port, Trust trust, boolean http2) {
    }

    final Key key;
    final EventLoop loop;
    /** The HTTP/2 side of an https origin that offers h2 (ALPN); null otherwise. */
    final Http2Origin h2;
    private final HttpTransport transport;
    private final SSLContext ssl;
    private final InetSocketAddress address;
    // most recently used first: the freshest connection is the least likely to have been closed by the server
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    private boolean closed;
    // a host name's address, looked up on the transport's resolver threads and kept as long as the JVM would
    private InetSocketAddress resolved;
    private long resolvedAt;
    private CompletableFuture<InetAddress> lookup;

    /** How many checkers use this origin; guarded by the factory's lock. */
    int users;

    Origin(Key key, EventLoop loop, HttpTransport transport, SSLContext ssl) {
        this.key = key;
        this.loop = loop;
        this.transport = transport;
        this.ssl = ssl;
        this.h2 = key.https() && key.http2() ? new Http2Origin() : null;
        // an IP address needs no resolver; a name is looked up off the loop and kept for the JVM's cache time
        this.address = NetUtil.isValidIpV4Address(key.host()) || NetUtil.isValidIpV6Address(key.host())
                ? new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(key.host()), key.port())
                : InetSocketAddress.createUnresolved(key.host(), key.port());
    }

    private SSLEngine engine(SSLContext ssl) {
        String host = key.host();
        SSLEngine engine = ssl.createSSLEngine(host, key.port());
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        boolean literal = NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
        if (!literal) {
            parameters.setServerNames(List.of(new SNIHostName(host)));
        }
        if (!key.trust().skipVerify()) {
            // insecureSkipVerify's TrustEveryServer is an extended trust manager, which would skip this anyway
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        // ALPN: h2 when the service allows it (http2: true), and http/1.1 always
        parameters.setApplicationProtocols(h2 != null ? new String[] {"h2", "http/1.1"} : new String[] {"http/1.1"});
        engine.setSSLParameters(parameters);
        return engine;
    }

    /** An idle connection that is still open, or null. */
    Connection poll() {
        Connection connection;
        while ((connection = idle.pollFirst()) != null) {
            if (connection.channel().isActive() && !connection.heldBytes()) {
                return connection;
            }
            connection.channel().close();
        }
        return null;
    }

    /** Takes back a connection whose last answer was complete and kept alive. */
    void offer(Connection connection) {
        if (closed || !connection.channel().isActive()) {
            connection.channel().close();
        } else {
            idle.addFirst(connection);
        }
    }

    /** Starts a new connection for a check with {@code checkTimeout}; called on this origin's loop. */
    ChannelFuture connect(java.time.Duration checkTimeout) {
        Channel channel = transport.newChannel(checkTimeout);
        ChannelPipeline pipeline = channel.pipeline();
        if (ssl != null) {
            SslHandler tls = new SslHandler(engine(ssl));
            // the check's deadline covers the handshake; no second timer per connection
            tls.setHandshakeTimeoutMillis(0);
            pipeline.addLast(tls);
        }
        Connection connection = new Connection(this, channel);
        if (h2 != null) {
            // HTTP/1.1 or HTTP/2 is known after the handshake
            Negotiation negotiation = new Negotiation(connection, h2);
            pipeline.addLast(negotiation);
            h2.connecting(negotiation);
        } else {
            if (ssl != null) {
                pipeline.addLast(new Http2Sniffer()); // http2: false: names a server that speaks h2 anyway
            }
            pipeline.addLast(connection.decoder(), connection);
        }
        ChannelPromise connected = channel.newPromise();
        // on the loop's own thread registering is done when register() returns
        ChannelFuture registered = loop.register(channel);
        if (!registered.isSuccess()) {
            channel.unsafe().closeForcibly();
            if (h2 != null) {
                // an unregistered channel never removes its handlers: the origin must not wait on this handshake
                h2.failed((Negotiation) pipeline.get(Negotiation.class));
            }
            return connected.setFailure(registered.cause() == null
                    ? new IllegalStateException("the connection could not be registered") : registered.cause());
        }
        InetSocketAddress target = address.isUnresolved() ? cachedAddress() : address;
        if (target != null) {
            return channel.connect(target, connected);
        }
        // The lookup blocks (the JVM's resolver, up to its DNS timeouts): on a resolver thread, never on this loop,
        // which serves every other origin's checks. Connections that wait for the same name share one lookup.
        if (lookup == null) {
            lookup = transport.resolve(key.host());
        }
        CompletableFuture<InetAddress> pending = lookup;
        pending.whenComplete((found, failure) -> {
            try {
                loop.execute(() -> resolved(pending, found, failure, channel, connected));
            } catch (RejectedExecutionException e) {
                // the factory is closed: its loops closed the channel
                channel.unsafe().closeForcibly();
                connected.tryFailure(e);
            }
        });
        return connected;
    }

    /** The address looked up for this origin's host, if it is still within the JVM's cache time; else null. */
    private InetSocketAddress cachedAddress() {
        long ttl = transport.addressTtlNanos();
        if (resolved != null && (ttl < 0 || System.nanoTime() - resolvedAt < ttl)) {
            return resolved;
        }
        return null;
    }

    /** A lookup ended; on this loop. Connects {@code channel} unless its check ended meanwhile (closed it). */
    private void resolved(CompletableFuture<InetAddress> done, InetAddress found, Throwable failure, Channel channel,
            ChannelPromise connected) {
        if (lookup == done) {
            lookup = null;
            if (found != null) {
                resolved = new InetSocketAddress(found, key.port());
                resolvedAt = System.nanoTime();
            }
        }
        if (!channel.isOpen()) {
            connected.tryFailure(new ClosedChannelException());
        } else if (found == null) {
            channel.close();
            connected.tryFailure(Failures.unwrap(failure));
        } else {
            channel.connect(new InetSocketAddress(found, key.port()), connected);
        }
    }

    /** No checker uses this origin any more: close its idle connections, and the busy ones once they are done. */
    void close() {
        try {
            loop.execute(() -> {
                closed = true;
                if (h2 != null) {
                    h2.close();
                }
                Connection connection;
                while ((connection = idle.pollFirst()) != null) {
                    connection.channel().close();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the factory is closed: its loops closed every connection already
        }
    }
}
