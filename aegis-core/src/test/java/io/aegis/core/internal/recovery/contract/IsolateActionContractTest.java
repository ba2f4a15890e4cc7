package io.aegis.core.internal.recovery.contract;

import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import io.aegis.core.internal.recovery.IsolateActionFactory;
import io.aegis.testkit.RecoveryActionContract;

/** The built-in {@code isolate} step against the SPI's rules, as the kit checks a third-party action. */
class IsolateActionContractTest extends RecoveryActionContract {
    @Override
    protected RecoveryActionFactory factory() {
        return new IsolateActionFactory();
    }

    @Override
    protected Settings settings() {
        return Settings.empty("services[0].actions.isolate");
    }
}
