package io.aegis.testkit.internal;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.testkit.ContractRule;
import io.aegis.testkit.ContractViolation;
import io.aegis.testkit.Misconfiguration;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/** The rules every kind of plugin shares, checked the same way by each contract. */
public final class Rules {
    private Rules() {
    }

    /**
     * Checks {@link ContractRule#TYPE_IS_A_NAME}.
     *
     * @param factory the factory, for the message
     * @param method  {@code type()} or {@code name()}
     * @param name    what it returned
     */
    public static void requireName(Object factory, String method, String name) {
        check(name != null && name.matches("[a-z0-9][a-z0-9._-]*"), ContractRule.TYPE_IS_A_NAME,
                factory.getClass().getName() + "." + method + " is \"" + name + "\"");
    }

    /**
     * Checks {@link ContractRule#REGISTERED_FOR_SERVICE_LOADER}: {@link ServiceLoader}, with the factory's own class
     * loader, lists {@code factory}'s class as a provider of {@code spi}.
     *
     * @param spi     the factory interface
     * @param factory the factory under test
     */
    public static void requireRegistered(Class<?> spi, Object factory) {
        Class<?> type = factory.getClass();
        boolean found = ServiceLoader.load(spi, type.getClassLoader()).stream()
                .anyMatch(provider -> provider.type() == type);
        check(found, ContractRule.REGISTERED_FOR_SERVICE_LOADER, "ServiceLoader finds no "
                + spi.getName() + " of class " + type.getName() + ": add that line to META-INF/services/"
                + spi.getName());
    }

    /**
     * Checks {@link ContractRule#BAD_SETTINGS_NAME_THEIR_KEY} for each of {@code mistakes}: with a new factory from
     * {@code factories}, {@code create} throws a {@link ConfigException} naming the mistake's key path, and leaves
     * no thread or child process behind (those of the factory itself are not counted: it is made first).
     *
     * @param <F>       the factory type
     * @param <T>       what a plugin is made from
     * @param mistakes  the misconfigurations
     * @param factories makes a new factory
     * @param create    makes the plugin object from the factory and a mistake's input
     * @param grace     how long threads and processes may take to end
     * @throws Exception when closing the factory or waiting for threads fails
     */
    public static <F extends AutoCloseable, T> void requireRefusals(List<Misconfiguration<T>> mistakes,
            Supplier<F> factories, BiFunction<F, T, ? extends AutoCloseable> create, Duration grace) throws Exception {
        for (Misconfiguration<T> mistake : mistakes) {
            try (F factory = factories.get()) {
                Leaks leaks = Leaks.take();
                requireRefused(mistake, () -> create.apply(factory, mistake.input()));
                List<String> remaining = leaks.remainingAfter(grace);
                check(remaining.isEmpty(), ContractRule.BAD_SETTINGS_NAME_THEIR_KEY,
                        "the refused create() (mistake at " + mistake.keyPath() + ") left behind: " + remaining);
            }
        }
    }

    /**
     * Checks that {@code create} refuses {@code mistake} with a {@link ConfigException} naming its key path; what it
     * made anyway is closed when it can be.
     *
     * @param mistake the misconfiguration
     * @param create  makes the plugin object
     * @throws Exception when closing what was made anyway fails
     */
    public static void requireRefused(Misconfiguration<?> mistake, Supplier<?> create) throws Exception {
        Object created;
        try {
            created = create.get();
        } catch (ConfigException e) {
            requireKeyPath(e, mistake.keyPath());
            return;
        } catch (RuntimeException e) {
            throw new ContractViolation(ContractRule.BAD_SETTINGS_NAME_THEIR_KEY, "create() with a mistake at "
                    + mistake.keyPath() + " threw " + e + ", not a ConfigException", e);
        }
        if (created instanceof AutoCloseable) {
            ((AutoCloseable) created).close();
        }
        throw new ContractViolation(ContractRule.BAD_SETTINGS_NAME_THEIR_KEY,
                "create() accepted the settings with a mistake at " + mistake.keyPath());
    }

    /**
     * Throws a {@link ContractViolation} of {@code rule} unless {@code holds}.
     *
     * @param holds        whether the rule held
     * @param rule         the rule
     * @param whatHappened what the plugin did, in a sentence
     */
    public static void check(boolean holds, ContractRule rule, String whatHappened) {
        if (!holds) {
            throw new ContractViolation(rule, whatHappened);
        }
    }

    private static void requireKeyPath(ConfigException e, String keyPath) {
        List<String> named = e.problems().stream().map(ConfigProblem::keyPath).toList();
        check(named.contains(keyPath), ContractRule.BAD_SETTINGS_NAME_THEIR_KEY,
                "the ConfigException for a mistake at " + keyPath + " names " + named);
    }
}
