package io.aegis.core.internal;

import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.DeliveryException;
import io.aegis.api.Notification;
import io.aegis.api.UrlCredentials;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Masks secrets in text the engine shows: every value that came from an environment variable through
 * {@code ${VAR}} in the configuration, and the credentials of URLs ({@link UrlCredentials}: user info, and
 * query parameters named like {@code token} or {@code password}). Immutable and thread-safe.
 *
 * <p>Values shorter than {@value #MIN_SECRET_LENGTH} characters are not masked: masking {@code 1} or {@code on}
 * everywhere would garble every message and protect nothing. A value is masked as written, trimmed, and
 * percent-encoded (as it reads inside a URL).
 *
 * <p>Applied where text leaves the engine's hands: configuration errors, what plugins report (check results,
 * action outcomes, failures) before the engine logs or publishes it, and alerts before they reach notifiers.
 */
public final class Redactor {
    /** What a masked value reads as. */
    public static final String MASK = UrlCredentials.MASK;
    /** Values shorter than this are not treated as secrets. */
    public static final int MIN_SECRET_LENGTH = 4;

    private static final Redactor URL_CREDENTIALS_ONLY = new Redactor(List.of());

    /** Longest first, so a secret that contains another is masked whole. */
    private final List<String> secrets;

    private Redactor(List<String> secrets) {
        this.secrets = secrets;
    }

    /** A redactor that masks only URL credentials: a configuration without {@code ${VAR}}, or built in code. */
    public static Redactor urlCredentialsOnly() {
        return URL_CREDENTIALS_ONLY;
    }

    /** A redactor that masks {@code secrets} (values that came from the environment) and URL credentials. */
    public static Redactor of(Collection<String> secrets) {
        Set<String> forms = new LinkedHashSet<>();
        for (String secret : secrets) {
            if (secret == null) {
                continue;
            }
            forms.add(secret);
            forms.add(secret.strip());
            forms.add(URLEncoder.encode(secret, StandardCharsets.UTF_8));
            forms.add(URLEncoder.encode(secret, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        forms.removeIf(form -> form.length() < MIN_SECRET_LENGTH);
        if (forms.isEmpty()) {
            return URL_CREDENTIALS_ONLY;
        }
        return new Redactor(forms.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList());
    }

    /** How many forms of secrets are masked (for tests and debugging; never the values). */
    int secretCount() {
        return secrets.size();
    }

    /** {@code text} with every secret and URL credential masked; null stays null. */
    public String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = text;
        for (String secret : secrets) {
            // most texts are short ("HTTP 200"): a longer secret cannot be in them, and costs no search
            if (secret.length() <= result.length() && result.contains(secret)) {
                result = result.replace(secret, MASK);
            }
        }
        return UrlCredentials.mask(result);
    }

    /** {@code result} with its message redacted; the same instance when nothing needed masking. */
    public CheckResult redact(CheckResult result) {
        String message = redact(result.message());
        if (message.equals(result.message())) {
            return result;
        }
        return switch (result.status()) {
            case HEALTHY -> CheckResult.healthy(result.latency(), message);
            case DEGRADED -> CheckResult.degraded(result.failureReason().orElse(null), message, result.latency());
            case UNHEALTHY -> CheckResult.unhealthy(result.failureReason().orElseThrow(), message, result.latency());
            case UNKNOWN -> CheckResult.unknown(result.failureReason().orElseThrow(), message, result.latency());
        };
    }

    /** {@code outcome} with its message redacted. */
    public ActionOutcome redact(ActionOutcome outcome) {
        String message = redact(outcome.message());
        return message.equals(outcome.message()) ? outcome : new ActionOutcome(outcome.result(), message);
    }

    /**
     * {@code alert} with its summary, label values and annotation values redacted (names and the service name are
     * kept).
     */
    public Alert redact(Alert alert) {
        String summary = redact(alert.summary());
        Map<String, String> labels = new LinkedHashMap<>();
        alert.labels().forEach((name, value) -> labels.put(name, redact(value)));
        Map<String, String> annotations = new LinkedHashMap<>();
        alert.annotations().forEach((name, value) -> annotations.put(name, redact(value)));
        if (summary.equals(alert.summary()) && labels.equals(alert.labels())
                && annotations.equals(alert.annotations())) {
            return alert;
        }
        return alert.toBuilder().summary(summary).labels(labels).annotations(annotations).build();
    }

    /** {@code notification} with every alert {@linkplain #redact(Alert) redacted}. */
    public Notification redact(Notification notification) {
        List<Alert> alerts = notification.alerts().stream().map(this::redact).toList();
        if (alerts.equals(notification.alerts())) {
            return notification;
        }
        return new Notification(notification.id(), notification.groupKey(), notification.groupLabels(), alerts,
                notification.repeat(), notification.createdAt());
    }

    /**
     * {@code error} when no message in its chain needs masking; otherwise a {@link RedactedException} with the
     * redacted message of the most telling one, and no cause, so that no stack trace prints the secret.
     */
    public Throwable redact(Throwable error) {
        Throwable unwrapped = Deadlines.unwrap(error);
        boolean needed = false;
        Throwable current = unwrapped;
        for (int depth = 0; current != null && depth < 32; depth++, current = current.getCause()) {
            String message = current.getMessage();
            if (message != null && !message.equals(redact(message))) {
                needed = true;
                break;
            }
        }
        if (!needed) {
            return error;
        }
        if (unwrapped instanceof DeliveryException) {
            // the delivery machinery retries by its kind (retry later, after how long; or rejected): keep them
            DeliveryException delivery = (DeliveryException) unwrapped;
            String message = redact(delivery.getMessage());
            return delivery.retryable() ? DeliveryException.retryLater(message, delivery.retryAfter().orElse(null))
                    : DeliveryException.rejected(message);
        }
        return new RedactedException(unwrapped.getClass().getName(), redact(Deadlines.describe(unwrapped)));
    }

    /** A failure whose message held a secret, as the engine shows it: the message masked, the original type named. */
    public static final class RedactedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String originalType;

        RedactedException(String originalType, String message) {
            super(Objects.requireNonNull(message), null, false, false);
            this.originalType = originalType;
        }

        /** The class name of the failure this one stands for. */
        public String originalType() {
            return originalType;
        }

        @Override
        public String toString() {
            return originalType + ": " + getMessage();
        }
    }
}
