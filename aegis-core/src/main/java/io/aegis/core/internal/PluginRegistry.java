package io.aegis.core.internal;

import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.LogSourceFactory;
import io.aegis.api.SignalSourceFactory;
import io.aegis.api.NotifierFactory;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.RuntimeAdapterFactory;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
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
 *
 * <p>Discovered through the class loader aegis itself was loaded by (no plugin directory), the factories are
 * constructed when a type is first asked for, in class-path order until that type is found: a start whose
 * configuration names {@code http} alone does not construct the Docker, Kubernetes or Nomad factories (start-up time),
 * as long as every provider of that kind is aegis' own.
 * Asking for a type nobody provides, for the list of types or for {@link #problems()} constructs them all, so an
 * "unknown type" error still lists every type. Through any other class loader (plugin jars, an embedder's loader)
 * every factory is constructed at discovery, as before: a plugin may be broken or duplicate a bundled type, and that
 * is reported at once. So are the providers of a kind of which one is not aegis' own (outside the {@code io.aegis}
 * packages): an application that embeds aegis with plugins of its own on its class path.
 */
public final class PluginRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PluginRegistry.class);
    private static final int MAX_CONSECUTIVE_DISCOVERY_ERRORS = 100;
    /** The packages of aegis' own (bundled) providers; an embedder's are in packages of its own. */
    private static final String AEGIS_PACKAGES = "io.aegis.";

    private final Kind<HealthCheckerFactory> checkers;
    private final Kind<RuntimeAdapterFactory> runtimes;
    private final Kind<RecoveryActionFactory> actions;
    private final Kind<NotifierFactory> notifiers;
    private final Kind<LogSourceFactory> logSources;
    private final Kind<SignalSourceFactory> signalSources;
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    private PluginRegistry(ClassLoader classLoader) {
        this.checkers = new Kind<>(HealthCheckerFactory.class, HealthCheckerFactory::type, classLoader);
        this.runtimes = new Kind<>(RuntimeAdapterFactory.class, RuntimeAdapterFactory::type, classLoader);
        this.actions = new Kind<>(RecoveryActionFactory.class, RecoveryActionFactory::name, classLoader);
        this.notifiers = new Kind<>(NotifierFactory.class, NotifierFactory::type, classLoader);
        this.logSources = new Kind<>(LogSourceFactory.class, LogSourceFactory::type, classLoader);
        this.signalSources = new Kind<>(SignalSourceFactory.class, SignalSourceFactory::type, classLoader);
    }

    /** Discovers every plugin visible to {@code classLoader}. */
    public static PluginRegistry discover(ClassLoader classLoader) {
        PluginRegistry registry = new PluginRegistry(classLoader);
        if (log.isDebugEnabled()) {
            log.debug("plugins: checkers {}, runtimes {}, actions {}, notifiers {}", registry.checkerTypes(),
                    registry.runtimeTypes(), registry.actionNames(), registry.notifierTypes());
        }
        return registry;
    }

    /** The checker factory for {@code type}. */
    public Optional<HealthCheckerFactory> checker(String type) {
        return checkers.get(type);
    }

    /** The runtime factory for {@code type}. */
    public Optional<RuntimeAdapterFactory> runtime(String type) {
        return runtimes.get(type);
    }

    /** The recovery action factory called {@code name}. */
    public Optional<RecoveryActionFactory> action(String name) {
        return actions.get(name);
    }

    /** The notifier factory for {@code type}. */
    public Optional<NotifierFactory> notifier(String type) {
        return notifiers.get(type);
    }

    /** The log source factory for {@code type} ({@code logs.files[].type}). */
    public Optional<LogSourceFactory> logSource(String type) {
        return logSources.get(type);
    }

    /** Installed log source types, sorted. */
    public List<String> logSourceTypes() {
        return logSources.types();
    }

    /** The signal source factory for {@code type} (a service's {@code signals.type}). */
    public Optional<SignalSourceFactory> signalSource(String type) {
        return signalSources.get(type);
    }

    /** Installed signal source types, sorted. */
    public List<String> signalSourceTypes() {
        return signalSources.types();
    }

    /** Installed checker types, sorted. */
    public List<String> checkerTypes() {
        return checkers.types();
    }

    /** Installed runtime types, sorted. */
    public List<String> runtimeTypes() {
        return runtimes.types();
    }

    /** Installed recovery action names, sorted. */
    public List<String> actionNames() {
        return actions.types();
    }

    /** Installed notifier types, sorted. */
    public List<String> notifierTypes() {
        return notifiers.types();
    }

    /** Broken and duplicate providers found during discovery, one sentence each. */
    public List<String> problems() {
        checkers.types();
        runtimes.types();
        actions.types();
        notifiers.types();
        logSources.types();
        signalSources.types();
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    /** Closes every factory instantiated; a factory that throws is logged and the others are still closed. */
    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>();
        all.addAll(checkers.instantiated());
        all.addAll(runtimes.instantiated());
        all.addAll(notifiers.instantiated());
        all.addAll(logSources.instantiated());
        all.addAll(signalSources.instantiated());
        for (AutoCloseable factory : all) {
            try {
                factory.close();
            } catch (Exception | LinkageError e) {
                log.warn("plugin factory {} failed to close", factory.getClass().getName(), e);
            }
        }
    }

    /** The factories of one service interface: those instantiated, by type, and the bundled ones not yet. */
    private final class Kind<F> {
        private final Class<F> spi;
        private final Function<F, String> typeOf;
        private final Map<String, F> found = new TreeMap<>();
        private final Deque<ServiceLoader.Provider<F>> pending = new ArrayDeque<>();

        Kind(Class<F> spi, Function<F, String> typeOf, ClassLoader classLoader) {
            this.spi = spi;
            this.typeOf = typeOf;
            pending.addAll(providers(classLoader)); // each provider's class is loaded, not initialised: no factory code
            if (classLoader != PluginRegistry.class.getClassLoader()
                    || !pending.stream().allMatch(provider -> provider.type().getName().startsWith(AEGIS_PACKAGES))) {
                // Plugin jars, an embedder's loader, or an embedder's own providers on aegis' class path (review S3):
                // their problems (a duplicate type, a broken one) are reported at discovery, as always. All of the
                // kind, so that the first on the class path still wins.
                types();
            }
        }

        synchronized Optional<F> get(String type) {
            F factory = found.get(type);
            while (factory == null && !pending.isEmpty()) {
                instantiate(pending.poll());
                factory = found.get(type);
            }
            return Optional.ofNullable(factory);
        }

        synchronized List<String> types() {
            while (!pending.isEmpty()) {
                instantiate(pending.poll());
            }
            return List.copyOf(found.keySet());
        }

        synchronized List<F> instantiated() {
            return List.copyOf(found.values());
        }

        private List<ServiceLoader.Provider<F>> providers(ClassLoader classLoader) {
            List<ServiceLoader.Provider<F>> all = new ArrayList<>();
            Iterator<ServiceLoader.Provider<F>> providers = ServiceLoader.load(spi, classLoader).stream().iterator();
            int consecutiveErrors = 0;
            while (consecutiveErrors < MAX_CONSECUTIVE_DISCOVERY_ERRORS) {
                try {
                    if (!providers.hasNext()) {
                        break;
                    }
                    all.add(providers.next());
                    consecutiveErrors = 0;
                } catch (ServiceConfigurationError e) {
                    report("cannot load a " + spi.getSimpleName() + " provider: " + e.getMessage());
                    consecutiveErrors++; // an iterator that fails the same way forever must not hang discovery
                }
            }
            return all;
        }

        private void instantiate(ServiceLoader.Provider<F> provider) {
            F factory;
            String type;
            try {
                factory = provider.get();
                type = typeOf.apply(factory);
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                report("skipping " + spi.getSimpleName() + " " + provider.type().getName() + " from "
                        + jarOf(provider.type()) + ": " + rootMessage(e));
                return;
            }
            if (type == null || type.isBlank()) {
                report("skipping " + spi.getSimpleName() + " " + provider.type().getName() + " from "
                        + jarOf(provider.type()) + ": it declares no type name");
                return;
            }
            F existing = found.putIfAbsent(type, factory);
            if (existing != null) {
                report("two " + spi.getSimpleName() + " providers for type \"" + type + "\": using "
                        + existing.getClass().getName() + " from " + jarOf(existing.getClass()) + ", ignoring "
                        + factory.getClass().getName() + " from " + jarOf(factory.getClass()));
            }
        }
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
