package io.aegis.checkers.tcp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code host:port} or {@code [ipv6]:port} endpoint.
 *
 * @param host the host name or address literal, without brackets
 * @param port from 1 to 65535
 * @param literal the address when {@code host} is an IP literal, so it needs no DNS lookup; else null
 */
record HostPort(String host, int port, InetSocketAddress literal) {
    static final String EXPECTED = "expected host:port (or [ipv6-address]:port) with a port from 1 to 65535";

    private static final Pattern BRACKETED = Pattern.compile("\\[([0-9A-Fa-f:.%a-zA-Z]+)]:(\\d{1,5})");
    private static final Pattern PLAIN = Pattern.compile("([^\\s:\\[\\]/]+):(\\d{1,5})");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    /**
     * Parses {@code endpoint}.
     *
     * @throws IllegalArgumentException saying what was expected
     */
    static HostPort parse(String endpoint) {
        String text = endpoint.trim();
        Matcher matcher = BRACKETED.matcher(text);
        boolean ipv6 = matcher.matches();
        if (!ipv6) {
            matcher = PLAIN.matcher(text);
            if (!matcher.matches()) {
                throw invalid(endpoint);
            }
        }
        String host = matcher.group(1);
        int port = Integer.parseInt(matcher.group(2));
        if (port < 1 || port > 65535) {
            throw invalid(endpoint);
        }
        InetSocketAddress literal = null;
        if (ipv6 || isIpv4(host)) {
            try {
                // Only a literal gets here, and InetAddress parses a literal without a lookup; the brackets
                // make it refuse a malformed IPv6 literal instead of asking DNS.
                literal = new InetSocketAddress(InetAddress.getByName(ipv6 ? "[" + host + "]" : host), port);
            } catch (UnknownHostException e) {
                throw invalid(endpoint);
            }
        }
        return new HostPort(host, port, literal);
    }

    private static boolean isIpv4(String host) {
        Matcher matcher = IPV4.matcher(host);
        if (!matcher.matches()) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(matcher.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException invalid(String endpoint) {
        return new IllegalArgumentException(EXPECTED + ", found \"" + endpoint + "\"");
    }

    /** The endpoint as a person writes it: {@code host:port} or {@code [::1]:port}. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
