package io.aegis.testkit;

import java.util.Objects;

/**
 * Settings with one mistake, and the key path a {@code ConfigException} must name for it. {@code T} is what the
 * contract creates plugins from: a {@code CheckerSpec.Builder} for checkers, {@code Settings} for the others.
 *
 * @param keyPath the key path one of the exception's problems must have, such as {@code services[0].maxAge}
 * @param input   the settings (or spec) with the mistake
 * @param <T>     what the contract creates its plugin from
 */
public record Misconfiguration<T>(String keyPath, T input) {
    /**
     * Checks that both are given.
     *
     * @param keyPath the key path one of the exception's problems must have, such as {@code services[0].maxAge}
     * @param input the settings (or spec) with the mistake
     * @throws NullPointerException when either is null
     */
    public Misconfiguration {
        Objects.requireNonNull(keyPath, "keyPath");
        Objects.requireNonNull(input, "input");
    }

    /**
     * {@code input} must be reported at {@code keyPath}.
     *
     * @param <T> what the contract creates its plugin from: a {@code CheckerSpec.Builder} or {@code Settings}
     * @param keyPath the key path one of the exception's problems must have, such as {@code services[0].maxAge}
     * @param input the settings (or spec) with the mistake
     * @return the mistake and where it must be reported, for a contract's {@code misconfigurations()} to list
     * @throws NullPointerException when either is null
     */
    public static <T> Misconfiguration<T> at(String keyPath, T input) {
        return new Misconfiguration<>(keyPath, input);
    }
}
