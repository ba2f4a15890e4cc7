package com.example.embedder;

import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code action: test-embedded}: a provider of an application that embeds aegis, on the same class path as aegis'
 * bundled plugins (outside aegis' {@code io.aegis} packages), counting how often it is constructed: plugin discovery
 * must construct it at once, so that a duplicate or broken one is reported (review S3).
 */
public final class EmbeddedActionFactory implements RecoveryActionFactory {
    /** How many instances were constructed in this JVM. */
    public static final AtomicInteger CONSTRUCTED = new AtomicInteger();

    public EmbeddedActionFactory() {
        CONSTRUCTED.incrementAndGet();
    }

    @Override
    public String name() {
        return "test-embedded";
    }

    @Override
    public RecoveryAction create(Settings settings) {
        throw new UnsupportedOperationException("only discovered, never used");
    }
}
