package io.aegis.checkers.http;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts every server certificate and every host name: {@code tls.insecureSkipVerify: true}.
 *
 * <p>It must be an {@link X509ExtendedTrustManager}, whose contract makes it responsible for the host name
 * (endpoint identification) check. {@code java.net.http.HttpClient} always sets the endpoint identification
 * algorithm {@code HTTPS} on its engines, overriding any {@code SSLParameters} it is given (a null algorithm
 * there is ignored); only the JVM-wide system property
 * {@code jdk.internal.httpclient.disableHostnameVerification}, read once when the client classes load, turns
 * that off, for every client. But the check itself is done by the trust manager: the JDK's own one does it,
 * and the JDK wraps a plain {@code X509TrustManager} in an adapter that does it too. An extended trust manager
 * is called as it is, so this one skips the host name check for its own client only, and every other client
 * in the JVM keeps verifying.
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
