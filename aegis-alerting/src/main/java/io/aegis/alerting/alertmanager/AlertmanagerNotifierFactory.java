package io.aegis.alerting.alertmanager;

import io.aegis.alerting.internal.SharedHttpClient;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierFactory;
import io.aegis.api.NotifierSpec;
import java.time.Clock;

/**
 * Creates {@code alertmanager} notifiers, which push alerts to Alertmanager's API v2 as Prometheus does, so that
 * Alertmanager's grouping, silences, inhibition and receivers (Slack, email, PagerDuty, OpsGenie...) apply to
 * aegis' alerts.
 *
 * <pre>{@code
 * notifications:
 *   am:
 *     type: alertmanager
 *     urls: [http://am-1:9093, http://am-2:9093]  # required: every Alertmanager of an HA pair gets every alert;
 *                                                 #   a path is the route prefix; user:password@ is Basic auth
 *     resendInterval: 1m                          # how often firing alerts are sent again; default 1m
 *     timeout: 10s                                # per request; default 10s
 *     headers: {Authorization: "Bearer ${AM_TOKEN}"}   # optional
 * }</pre>
 *
 * <p>Each delivery is one {@code POST <url>/api/v2/alerts} per Alertmanager, in parallel, with a JSON array of
 * {@code {labels, annotations, startsAt, endsAt}}; the labels are the alert's label set, so Alertmanager's
 * fingerprint equals {@link io.aegis.api.Alert#fingerprint()}. A firing alert's {@code endsAt} is four re-send
 * intervals ahead: the engine re-sends firing alerts every {@code resendInterval}
 * ({@link Notifier#resendInterval()}), and should aegis stop, Alertmanager resolves them by itself. A resolved
 * alert carries its real end. The delivery succeeds when at least one Alertmanager answered 2xx; when all
 * failed it is retried, unless every one rejected it (a 4xx other than 408 and 429).
 */
public final class AlertmanagerNotifierFactory implements NotifierFactory {
    /** The notifier type this factory serves. */
    public static final String TYPE = "alertmanager";

    private final SharedHttpClient http = new SharedHttpClient(TYPE);
    private final Clock clock;

    /** Creates the factory; it starts no thread until it creates its first notifier. */
    public AlertmanagerNotifierFactory() {
        this(Clock.systemUTC());
    }

    /** A factory whose notifiers take the time (for endsAt and Retry-After) from {@code clock}. */
    AlertmanagerNotifierFactory(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Notifier create(NotifierSpec spec) {
        AlertmanagerConfig config = AlertmanagerConfig.from(spec.settings());
        return new AlertmanagerNotifier(spec.name(), config, http.sender(clock), clock);
    }

    @Override
    public void close() {
        http.close();
    }
}
