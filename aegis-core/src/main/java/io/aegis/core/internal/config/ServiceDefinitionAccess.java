package io.aegis.core.internal.config;

import io.aegis.api.Settings;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.internal.SharedSecret;

/**
 * What the configuration loader may do to a {@link ServiceDefinition.Builder} that embedders may not: hand it the
 * settings read from the file, key paths and all. {@code ServiceDefinition} registers the implementation from
 * its static initializer (the JDK's {@code SharedSecrets} pattern), so that its public API has no back door and
 * this internal package holds the only way in.
 */
public interface ServiceDefinitionAccess {

    /**
     * Makes {@code builder} use the settings of a {@code services:} entry as they are, with the entry's
     * {@code actions:} block and {@code runtime:} block (either may be {@code null}).
     */
    void useSettings(ServiceDefinition.Builder builder, Settings service, Settings actions, Settings runtime);

    /** The implementation {@code ServiceDefinition} registered. */
    static ServiceDefinitionAccess get() {
        return Holder.SECRET.get();
    }

    /**
     * Called once, by {@code ServiceDefinition}'s static initializer.
     *
     * @throws IllegalStateException when called again
     */
    static void register(ServiceDefinitionAccess access) {
        Holder.SECRET.register(access);
    }

    /** Where the implementation is registered: set once, at class initialization, and never changed. */
    final class Holder {
        private static final SharedSecret<ServiceDefinitionAccess> SECRET = new SharedSecret<>(ServiceDefinition.class);

        private Holder() {
        }
    }
}
