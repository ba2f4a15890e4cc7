package io.aegis.core.internal.recovery.contract;

import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import io.aegis.core.internal.recovery.IgnoreActionFactory;
import io.aegis.core.internal.recovery.IsolateActionFactory;
import io.aegis.core.internal.recovery.NotifyActionFactory;
import io.aegis.core.internal.recovery.RestartActionFactory;
import io.aegis.core.internal.recovery.RollbackActionFactory;
import io.aegis.testkit.RecoveryActionContract;
import org.junit.jupiter.api.Nested;

/** The five built-in recovery steps against the SPI's rules, as the kit checks a third-party action. */
class BuiltInActionContractsTest {
    @Nested
    class Restart extends RecoveryActionContract {
        @Override
        protected RecoveryActionFactory factory() {
            return new RestartActionFactory();
        }

        @Override
        protected Settings settings() {
            return Settings.empty("services[0].actions.restart");
        }
    }

    @Nested
    class Rollback extends RecoveryActionContract {
        @Override
        protected RecoveryActionFactory factory() {
            return new RollbackActionFactory();
        }

        @Override
        protected Settings settings() {
            return Settings.empty("services[0].actions.rollback");
        }
    }

    @Nested
    class Isolate extends RecoveryActionContract {
        @Override
        protected RecoveryActionFactory factory() {
            return new IsolateActionFactory();
        }

        @Override
        protected Settings settings() {
            return Settings.empty("services[0].actions.isolate");
        }
    }

    @Nested
    class Notify extends RecoveryActionContract {
        @Override
        protected RecoveryActionFactory factory() {
            return new NotifyActionFactory();
        }

        @Override
        protected Settings settings() {
            return Settings.empty("services[0].actions.notify");
        }
    }

    @Nested
    class Ignore extends RecoveryActionContract {
        @Override
        protected RecoveryActionFactory factory() {
            return new IgnoreActionFactory();
        }

        @Override
        protected Settings settings() {
            return Settings.empty("services[0].actions.ignore");
        }
    }
}
