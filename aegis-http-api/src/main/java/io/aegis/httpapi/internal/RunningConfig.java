package io.aegis.httpapi.internal;

import io.aegis.core.AegisConfig;
import io.aegis.core.Engine;

/** {@code GET /api/v1/config}: the configuration in force, with every secret masked. */
final class RunningConfig {
    private RunningConfig() {
    }

    static String text(Engine engine) {
        return engine.configuration().map(AegisConfig::maskedText).orElseThrow(() -> new HttpError(404,
                "this engine was built from services in code, not from a configuration file"));
    }
}
