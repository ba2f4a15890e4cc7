package io.aegis.testkit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.CodeSource;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A plugin's own classes loaded once more, by a loader of their own, so that their static initializers run again:
 * within a leak check, after {@link Leaks#take()}. A static pool that an earlier test started (its threads there
 * already when the check looked) is then started again inside the check, and seen.
 *
 * <p>Child first over the factory's code source only (its jar, or its classes directory); everything else (the JDK,
 * {@code aegis-api}, the plugin's dependencies) comes from the loader of the SPI, so that the instance is a plugin of
 * the SPI the kit calls. Static state of a dependency (grpc-java's shared executor, say) is therefore not started
 * again, and not seen by this.
 */
public final class FreshClasses implements AutoCloseable {
    /** What a violation found in the second look says, after what was done. */
    public static final String AFRESH = " (the second time, with the factory's classes loaded afresh, so that what"
            + " their static initializers start counts too)";

    /**
     * One leak check of a contract: makes its factories with {@code factories} (after its {@link Leaks#take()}), uses
     * and closes what it made, and fails when something is left.
     *
     * @param <F> the factory interface
     */
    @FunctionalInterface
    public interface LeakCheck<F> {
        /**
         * Runs the check.
         *
         * @param factories makes the factory under test
         * @param how       empty, or {@link #AFRESH}: to add to the violation's message after what was done
         * @throws Exception when the check cannot be run, or fails
         */
        void run(Supplier<F> factories, String how) throws Exception;
    }

    private final Class<?> type;
    private final ChildFirst loader;

    private FreshClasses(Class<?> type, ChildFirst loader) {
        this.type = type;
        this.loader = loader;
    }

    /**
     * {@return a loader for {@code type}'s classes, not loading any yet; empty where there is nothing to load again:
     * {@code type} has no code source, is an inner (non-static) class, or has no public no-argument constructor (the
     * one ServiceLoader uses, and this)}
     *
     * @param type the factory's class
     */
    public static Optional<FreshClasses> of(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null || type.isAnonymousClass() || type.isLocalClass()
                || type.getEnclosingClass() != null && !Modifier.isStatic(type.getModifiers())) {
            return Optional.empty();
        }
        try {
            type.getConstructor();
        } catch (NoSuchMethodException e) {
            return Optional.empty();
        }
        return Optional.of(new FreshClasses(type, new ChildFirst(source.getLocation(), type.getClassLoader())));
    }

    /**
     * Runs {@code check} with {@code factories}, then once more with factories of the same class loaded afresh where
     * that can be done ({@link #of(Class)}): a static pool that an earlier test started was there already when the
     * first look began, and starts within the second. A class that cannot be loaded again is not checked twice.
     *
     * @param <F>       the factory interface
     * @param factories the contract's {@code factory()}
     * @param spi       the factory interface
     * @param check     the leak check
     * @throws Exception what the check throws
     */
    public static <F extends AutoCloseable> void checkTwice(Supplier<F> factories, Class<F> spi, LeakCheck<F> check)
            throws Exception {
        check.run(factories, "");
        Class<?> type;
        try (F probe = factories.get()) {
            type = probe.getClass();
        }
        Optional<FreshClasses> fresh = of(type);
        if (fresh.isEmpty()) {
            return;
        }
        try (FreshClasses classes = fresh.get()) {
            check.run(() -> classes.newInstance(spi).orElseThrow(NotLoadable::new), AFRESH);
        } catch (NotLoadable e) {
            // not checked twice (see newInstance)
        }
    }

    /** The class, loaded afresh, could not be made. */
    private static final class NotLoadable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotLoadable() {
            super(null, null, false, false);
        }
    }

    /**
     * Loads the factory's class afresh (its static initializers run now) and makes an instance with its public
     * no-argument constructor.
     *
     * @param <T> the SPI
     * @param spi the factory interface, from the loader the kit uses
     * @return the new instance; empty when the class, loaded again, cannot be linked or made (a plugin that reaches
     *     into package-private parts of a package split over two code sources, say): then nothing more is checked
     */
    public <T> Optional<T> newInstance(Class<T> spi) {
        try {
            Class<?> fresh = Class.forName(type.getName(), true, loader);
            return Optional.of(spi.cast(fresh.getConstructor().newInstance()));
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            return Optional.empty();
        }
    }

    /** Closes the loader's jar (its classes stay usable). */
    @Override
    public void close() {
        try {
            loader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads what its code source holds itself, first; the rest from its parent. */
    private static final class ChildFirst extends URLClassLoader {
        static {
            registerAsParallelCapable();
        }

        ChildFirst(URL source, ClassLoader parent) {
            super(new URL[] {source}, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null && !name.startsWith("java.") && !name.startsWith("io.aegis.api.")) {
                    try {
                        loaded = findClass(name);
                    } catch (ClassNotFoundException notInTheCodeSource) {
                        // from the parent, below
                    }
                }
                if (loaded == null) {
                    return super.loadClass(name, resolve);
                }
                if (resolve) {
                    resolveClass(loaded);
                }
                return loaded;
            }
        }
    }
}
