package io.aegis.core.internal.recovery;

import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.RecoveryContext;
import io.aegis.api.Settings;
import io.aegis.api.Severity;
import java.util.concurrent.CompletionStage;

/**
 * {@code onFailure: notify}: raises a critical {@code ServiceUnhealthy} alert for a person; the engine
 * resolves it when the service is healthy again.
 */
public final class NotifyActionFactory implements RecoveryActionFactory {
    /** The name of the alert this action raises. */
    public static final String ALERT_NAME = "ServiceUnhealthy";

    @Override
    public String name() {
        return "notify";
    }

    @Override
    public RecoveryAction create(Settings settings) {
        return NotifyActionFactory::notify;
    }

    private static CompletionStage<ActionOutcome> notify(RecoveryContext context) {
        Alert alert = Alert.builder(ALERT_NAME, context.serviceName())
                .severity(Severity.CRITICAL)
                .summary(context.serviceName() + " is unhealthy: " + context.cause())
                .startsAt(context.now())
                .build();
        return context.raiseAlert(alert).handle((ignored, failure) -> failure == null
                ? ActionOutcome.succeeded("alert raised")
                : ActionOutcome.failed("could not hand the alert to the notifiers: "
                        + RuntimeActionFactory.messageOf(failure)));
    }
}
