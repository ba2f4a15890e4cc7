package io.aegis.checkers.http;

import io.aegis.checkers.http.TlsSettings.Trust;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.List;
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

    /** How many checkers use this origin; guarded by the factory's lock. */
    int users;

    Origin(Key key, EventLoop loop, HttpTransport transport, SSLContext ssl) {
        this.key = key;
        this.loop = loop;
        this.transport = transport;
        this.ssl = ssl;
        this.h2 = key.https() && key.http2() ? new Http2Origin() : null;
        // an IP address needs no resolver; a name is resolved at each new connection (the JVM caches it)
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

    /** Starts a new connection; called on this origin's loop. */
    ChannelFuture connect() {
        Channel channel = transport.newChannel();
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
            pipeline.addLast(connection.decoder(), connection);
        }
        ChannelPromise connected = channel.newPromise();
        // on the loop's own thread registering is done when register() returns
        ChannelFuture registered = loop.register(channel);
        if (!registered.isSuccess()) {
            channel.unsafe().closeForcibly();
            return connected.setFailure(registered.cause() == null
                    ? new IllegalStateException("the connection could not be registered") : registered.cause());
        }
        InetSocketAddress target = address;
        if (target.isUnresolved()) {
            try {
                // the JVM's resolver and cache, as the JDK client used; blocks this loop only on a cache miss
                target = new InetSocketAddress(InetAddress.getByName(key.host()), key.port());
            } catch (UnknownHostException e) {
                channel.close();
                return connected.setFailure(e);
            }
        }
        return channel.connect(target, connected);
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
