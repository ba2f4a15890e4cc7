package io.aegis.core.internal.recovery.contract;

import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import io.aegis.core.internal.recovery.NotifyActionFactory;
import io.aegis.testkit.RecoveryActionContract;

/** The built-in {@code notify} step against the SPI's rules, as the kit checks a third-party action. */
class NotifyActionContractTest extends RecoveryActionContract {
    @Override
    protected RecoveryActionFactory factory() {
        return new NotifyActionFactory();
    }

    @Override
    protected Settings settings() {
        return Settings.empty("services[0].actions.notify");
    }
}
