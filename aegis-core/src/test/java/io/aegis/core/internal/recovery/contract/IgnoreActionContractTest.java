package io.aegis.core.internal.recovery.contract;

import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import io.aegis.core.internal.recovery.IgnoreActionFactory;
import io.aegis.testkit.RecoveryActionContract;

/** The built-in {@code ignore} step against the SPI's rules, as the kit checks a third-party action. */
class IgnoreActionContractTest extends RecoveryActionContract {
    @Override
    protected RecoveryActionFactory factory() {
        return new IgnoreActionFactory();
    }

    @Override
    protected Settings settings() {
        return Settings.empty("services[0].actions.ignore");
    }
}
