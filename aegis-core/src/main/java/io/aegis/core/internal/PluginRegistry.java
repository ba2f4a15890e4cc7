package io.aegis.core.internal;

import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.NotifierFactory;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.RuntimeAdapterFactory;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin factories found through {@link ServiceLoader}, by type name. Like SLF4J's provider discovery,
 * a provider that fails to load is reported (naming its jar) and skipped, and of two providers with the
 * same type name the first on the class path wins and the second is reported; discovery always goes on.
 */
public final class PluginRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PluginRegistry.class);
    private static final int MAX_CONSECUTIVE_DISCOVERY_ERRORS = 100;

    private final Map<String, HealthCheckerFactory> checkers;
    private final Map<String, RuntimeAdapterFactory> runtimes;
    private final Map<String, RecoveryActionFactory> actions;
    private final Map<String, NotifierFactory> notifiers;
    private final List<String> problems = new ArrayList<>();

    private PluginRegistry(ClassLoader classLoader) {
        this.checkers = load(HealthCheckerFactory.class, HealthCheckerFactory::type, classLoader);
        this.runtimes = load(RuntimeAdapterFactory.class, RuntimeAdapterFactory::type, classLoader);
        this.actions = load(RecoveryActionFactory.class, RecoveryActionFactory::name, classLoader);
        this.notifiers = load(NotifierFactory.class, NotifierFactory::type, classLoader);
    }

    /** Discovers every plugin visible to {@code classLoader}. */
    public static PluginRegistry discover(ClassLoader classLoader) {
        PluginRegistry registry = new PluginRegistry(classLoader);
        log.debug("plugins: checkers {}, runtimes {}, actions {}, notifiers {}", registry.checkers.keySet(),
                registry.runtimes.keySet(), registry.actions.keySet(), registry.notifiers.keySet());
        return registry;
    }

    /** The checker factory for {@code type}. */
    public Optional<HealthCheckerFactory> checker(String type) {
        return Optional.ofNullable(checkers.get(type));
    }

    /** The runtime factory for {@code type}. */
    public Optional<RuntimeAdapterFactory> runtime(String type) {
        return Optional.ofNullable(runtimes.get(type));
    }

    /** The recovery action factory called {@code name}. */
    public Optional<RecoveryActionFactory> action(String name) {
        return Optional.ofNullable(actions.get(name));
    }

    /** The notifier factory for {@code type}. */
    public Optional<NotifierFactory> notifier(String type) {
        return Optional.ofNullable(notifiers.get(type));
    }

    /** Installed checker types, sorted. */
    public List<String> checkerTypes() {
        return List.copyOf(checkers.keySet());
    }

    /** Installed runtime types, sorted. */
    public List<String> runtimeTypes() {
        return List.copyOf(runtimes.keySet());
    }

    /** Installed recovery action names, sorted. */
    public List<String> actionNames() {
        return List.copyOf(actions.keySet());
    }

    /** Installed notifier types, sorted. */
    public List<String> notifierTypes() {
        return List.copyOf(notifiers.keySet());
    }

    /** Broken and duplicate providers found during discovery, one sentence each. */
    public List<String> problems() {
        return Collections.unmodifiableList(problems);
    }

    /** Closes every factory; a factory that throws is logged and the others are still closed. */
    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>();
        all.addAll(checkers.values());
        all.addAll(runtimes.values());
        all.addAll(notifiers.values());
        for (AutoCloseable factory : all) {
            try {
                factory.close();
            } catch (Exception | LinkageError e) {
                log.warn("plugin factory {} failed to close", factory.getClass().getName(), e);
            }
        }
    }

    private <F> Map<String, F> load(Class<F> spi, Function<F, String> typeOf, ClassLoader classLoader) {
        Map<String, F> found = new TreeMap<>();
        Iterator<ServiceLoader.Provider<F>> providers = ServiceLoader.load(spi, classLoader).stream().iterator();
        int consecutiveErrors = 0;
        while (consecutiveErrors < MAX_CONSECUTIVE_DISCOVERY_ERRORS) {
            ServiceLoader.Provider<F> provider;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                provider = providers.next();
            } catch (ServiceConfigurationError e) {
                report("cannot load a " + spi.getSimpleName() + " provider: " + e.getMessage());
                consecutiveErrors++; // an iterator that fails the same way forever must not hang discovery
                continue;
            }
            consecutiveErrors = 0;
            F factory;
            String type;
            try {
                factory = provider.get();
                type = typeOf.apply(factory);
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                report("skipping " + spi.getSimpleName() + " " + provider.type().getName() + " from "
                        + jarOf(provider.type()) + ": " + rootMessage(e));
                continue;
            }
            if (type == null || type.isBlank()) {
                report("skipping " + spi.getSimpleName() + " " + provider.type().getName() + " from "
                        + jarOf(provider.type()) + ": it declares no type name");
                continue;
            }
            F existing = found.putIfAbsent(type, factory);
            if (existing != null) {
                report("two " + spi.getSimpleName() + " providers for type \"" + type + "\": using "
                        + existing.getClass().getName() + " from " + jarOf(existing.getClass()) + ", ignoring "
                        + factory.getClass().getName() + " from " + jarOf(factory.getClass()));
            }
        }
        return Collections.unmodifiableMap(found);
    }

    private void report(String problem) {
        problems.add(problem);
        log.warn("plugin discovery: {}", problem);
    }

    private static String jarOf(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        URL location = source == null ? null : source.getLocation();
        return location == null ? "an unknown location" : location.getPath();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
    }
}
