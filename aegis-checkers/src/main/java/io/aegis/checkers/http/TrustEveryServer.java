package io.aegis.checkers.http;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts every server certificate and every host name: {@code tls.insecureSkipVerify: true}.
 *
 * <p>It is an {@link X509ExtendedTrustManager}, whose contract makes it responsible for the host name
 * (endpoint identification) check: the JDK wraps a plain {@code X509TrustManager} in an adapter that checks
 * host names whenever the engine asks for it, while an extended one is called as it is. The http checker's
 * engines ask for {@code HTTPS} identification only when verification is on, so this is a second guard; and
 * because the choice is per engine, every other TLS client in the JVM keeps verifying. The JVM-wide property
 * {@code jdk.internal.httpclient.disableHostnameVerification} concerns only {@code java.net.http.HttpClient}
 * and is neither needed nor set.
 */
final class TrustEveryServer extends X509ExtendedTrustManager {
    private static final X509Certificate[] NONE = new X509Certificate[0];

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        // trusts every server: that is the point of insecureSkipVerify
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        // trusts every server: that is the point of insecureSkipVerify
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
        // trusts every server: that is the point of insecureSkipVerify
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        // a client-side manager is never asked about clients
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        // a client-side manager is never asked about clients
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
        // a client-side manager is never asked about clients
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NONE;
    }
}
