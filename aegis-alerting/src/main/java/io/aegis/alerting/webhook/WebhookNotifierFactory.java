package io.aegis.alerting.webhook;

import io.aegis.alerting.internal.SharedHttpClient;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierFactory;
import io.aegis.api.NotifierSpec;
import java.time.Clock;

/**
 * Creates {@code webhook} notifiers, which POST every notification, firing or resolved, as JSON to a URL.
 *
 * <p>The notifier's configuration block ({@code notifications.<name>}) is read for these keys:
 * <pre>{@code
 * notifications:
 *   webhook:
 *     enabled: true                              # the engine skips the notifier when false
 *     endpoint: "https://hooks.example.com/aegis" # required: an http:// or https:// URL; user:password@ in it
 *                                                #   is sent as Authorization: Basic (an error with headers' one)
 *     headers:                                   # optional request headers (no line breaks or control characters)
 *       Authorization: "Bearer ${WEBHOOK_TOKEN}"
 *       Content-Type: "application/json"         # the default
 *     timeout: 10s                               # how long one delivery may take; default 10s
 *     format: alertmanager                       # or aegis: one flat JSON object per alert
 *     signingSecret: "${WEBHOOK_SIGNING_SECRET}" # optional: sign the body (X-Aegis-Signature-256)
 * }</pre>
 *
 * <p>With {@code format: alertmanager} (the default) each notification (a group of alerts) is one request whose
 * body is what Alertmanager's webhook receiver sends (version 4):
 * <pre>{@code
 * {"version":"4","groupKey":"...","truncatedAlerts":0,"status":"firing","receiver":"webhook",
 *  "groupLabels":{"alertname":"ServiceUnhealthy","service":"api"},
 *  "commonLabels":{...},"commonAnnotations":{"summary":"..."},"externalURL":"",
 *  "alerts":[{"status":"firing","labels":{"alertname":"ServiceUnhealthy","service":"api","severity":"critical"},
 *             "annotations":{"summary":"..."},"startsAt":"2024-05-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z",
 *             "generatorURL":"","fingerprint":"<16 hex digits>"}]}
 * }</pre>
 * A resolved alert has status {@code resolved} and its real {@code endsAt}. The fingerprint is
 * Alertmanager's own (FNV-1a of the sorted labels), so a receiver can match a resolution to its alert. With
 * {@code format: aegis} each alert is one request with a flat object ({@link AegisPayload}).
 *
 * <p>With {@code signingSecret}, every request carries {@code X-Aegis-Signature-256: sha256=<hex>}, the
 * HMAC-SHA256 of the exact body bytes keyed with the secret (as GitHub signs its webhooks); a receiver
 * recomputes it and compares in constant time.
 *
 * <p>A delivery succeeds on any 2xx answer. 429, 408 and 5xx answers are retried later (after their
 * {@code Retry-After}, in seconds or as an HTTP date, when given), as are redirects (not followed), a connection
 * failure and the timeout; any other 4xx is rejected for good, with the start of the answer's body in the
 * message ({@link io.aegis.api.DeliveryException}). The engine retries, so the notifier does not. Messages show
 * the URL with its credentials masked ({@link io.aegis.api.UrlCredentials}) and never a header value or the
 * signing secret.
 *
 * <p>All notifiers of one factory share one HTTP/1.1 client with keep-alive connections, created with the
 * first notifier. Its two daemon threads run the client's work and the delivery deadlines;
 * {@link #close()} stops them.
 */
public final class WebhookNotifierFactory implements NotifierFactory {
    /** The notifier type this factory serves. */
    public static final String TYPE = "webhook";

    private final SharedHttpClient http = new SharedHttpClient(TYPE);
    private final Clock clock;

    /** Creates the factory; it starts no thread until it creates its first notifier. */
    public WebhookNotifierFactory() {
        this(Clock.systemUTC());
    }

    /** A factory whose notifiers read the time (for an HTTP-date {@code Retry-After}) from {@code clock}. */
    WebhookNotifierFactory(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Notifier create(NotifierSpec spec) {
        WebhookConfig config = WebhookConfig.from(spec.settings());
        return new WebhookNotifier(spec.name(), config, http.sender(clock));
    }

    @Override
    public void close() {
        http.close();
    }
}
