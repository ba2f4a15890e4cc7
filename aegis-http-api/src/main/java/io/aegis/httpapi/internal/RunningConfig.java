package io.aegis.httpapi.internal;

import io.aegis.core.Engine;

/** {@code GET /api/v1/config}: the configuration in force, with every secret masked. */
final class RunningConfig {
    private RunningConfig() {
    }

    static String text(Engine engine) {
        // TODO(reload branch): engine.configuration().map(AegisConfig::maskedText)
        throw new HttpError(404, "this engine was not built from a configuration file");
    }
}
