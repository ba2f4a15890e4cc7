package io.aegis.alerting.internal;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 body signatures, as GitHub signs its webhooks ({@code X-Hub-Signature-256}). */
public final class Signatures {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Signatures() {
    }

    /** {@code sha256=<lower-case hex HMAC-SHA256 of body keyed with secret's UTF-8 bytes>}. */
    public static String sha256(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal(body);
            StringBuilder hex = new StringBuilder("sha256=");
            for (byte b : digest) {
                hex.append(HEX[b >> 4 & 0xf]).append(HEX[b & 0xf]);
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            // every JDK has HmacSHA256, and any byte string is a valid HMAC key
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
