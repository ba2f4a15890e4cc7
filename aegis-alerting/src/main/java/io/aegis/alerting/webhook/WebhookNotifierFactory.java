package io.aegis.alerting.webhook;

import io.aegis.plugin.support.DaemonThreadFactory;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierFactory;
import io.aegis.api.NotifierSpec;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Creates {@code webhook} notifiers, which POST every alert, firing or resolved, as JSON to a URL.
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
 * }</pre>
 *
 * <p>The body is the JSON that Alertmanager's webhook receiver sends (version 4), holding one alert:
 * <pre>{@code
 * {"version":"4","groupKey":"{}:{alertname=\"ServiceUnhealthy\", service=\"api\"}","truncatedAlerts":0,
 *  "status":"firing","receiver":"webhook","groupLabels":{"alertname":"ServiceUnhealthy","service":"api"},
 *  "commonLabels":{...},"commonAnnotations":{"summary":"..."},"externalURL":"",
 *  "alerts":[{"status":"firing","labels":{"alertname":"ServiceUnhealthy","service":"api","severity":"critical"},
 *             "annotations":{"summary":"..."},"startsAt":"2024-05-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z",
 *             "generatorURL":"","fingerprint":"<16 hex digits>"}]}
 * }</pre>
 * A resolved alert has status {@code resolved} and its real {@code endsAt}. The fingerprint is
 * Alertmanager's own (FNV-1a of the sorted labels), so a receiver can match a resolution to its alert.
 *
 * <p>A delivery succeeds on any 2xx answer. Any other answer, a connection failure or the timeout completes
 * the delivery exceptionally with one sentence ({@code webhook https://... answered HTTP 500}); the engine
 * retries with backoff, so the notifier does not. Redirects are not followed. Messages show the URL with its
 * credentials masked ({@link io.aegis.api.UrlCredentials}).
 *
 * <p>All notifiers of one factory share one HTTP/1.1 client with keep-alive connections, created with the
 * first notifier. Its two daemon threads run the client's work and the delivery deadlines;
 * {@link #close()} stops them.
 */
public final class WebhookNotifierFactory implements NotifierFactory {
    /** The notifier type this factory serves. */
    public static final String TYPE = "webhook";

    /** The client's connect timeout; each delivery's own timeout also covers connecting and is normally shorter. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private static final int THREADS = 2;

    private final Object lock = new Object();
    private ScheduledThreadPoolExecutor executor;
    private HttpClient client;
    private boolean closed;

    /** Creates the factory; it starts no thread until it creates its first notifier. */
    public WebhookNotifierFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Notifier create(NotifierSpec spec) {
        WebhookConfig config = WebhookConfig.from(spec.settings());
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the webhook notifier factory is closed");
            }
            if (client == null) {
                executor = new ScheduledThreadPoolExecutor(THREADS, new DaemonThreadFactory("aegis-webhook"));
                // a delivery that finishes early cancels its deadline; without this the queue would keep it
                executor.setRemoveOnCancelPolicy(true);
                client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .connectTimeout(CONNECT_TIMEOUT)
                        .executor(executor)
                        .build();
            }
            return new WebhookNotifier(spec.name(), config, client, executor);
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (executor != null) {
                executor.shutdownNow();
            }
            // java.net.http.HttpClient has no close() before Java 21; its selector thread ends once the
            // client is unreachable, which it is when the notifiers and this factory are.
            client = null;
        }
    }
}
