package io.aegis.cli;

import io.aegis.core.AegisConfig;
import io.aegis.core.Engine;
import io.aegis.core.EngineStartException;
import io.aegis.core.InvalidConfigurationException;
import io.aegis.httpapi.ApiServer;
import io.aegis.runtimes.process.LaunchMechanism;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code aegis} command: reads the configuration, sets up logging, runs the {@link Engine} until SIGINT
 * or SIGTERM, then closes it and exits 0.
 *
 * <p>Deliberately thin: argument parsing, logging set-up and signal handling. Everything else (validation,
 * checks, recovery, metrics) is the engine's job, so an application that embeds the engine gets the same
 * behaviour.
 */
@Command(
        name = "aegis",
        mixinStandardHelpOptions = true,
        versionProvider = AegisCommand.ManifestVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        subcommands = {ControlCommands.Status.class, ControlCommands.Restart.class, ControlCommands.Reset.class,
            ControlCommands.Pause.class, ControlCommands.Resume.class, ControlCommands.Isolate.class,
            ControlCommands.Silence.class, ControlCommands.Reload.class, ControlCommands.Events.class},
        description = {
            "Self-healing service orchestrator: checks the health of the services in",
            "the configuration, restarts or reports the ones that fail, and exports",
            "Prometheus metrics. Runs until SIGINT or SIGTERM, then stops the processes",
            "it started and exits 0. SIGHUP reloads the configuration file: unchanged",
            "services keep running untouched; a broken file changes nothing and its",
            "problems are logged."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped by SIGINT or SIGTERM; --validate found no error; --help; --version; a subcommand done",
            "1:could not start (for example the metrics port is in use); a subcommand refused by aegis",
            "2:invalid configuration or command line",
            "3:a subcommand found no aegis answering at its API"},
        footer = {
            "",
            "Environment: AEGIS_LOG_LEVEL, AEGIS_METRICS_ENABLED, AEGIS_METRICS_PORT,",
            "AEGIS_METRICS_HOST, AEGIS_SERVICE_<NAME>_<FIELD>; AEGIS_SERVER and",
            "AEGIS_TOKEN for the subcommands; JAVA_OPTS and JAVA_HOME for the JVM;",
            "AEGIS_CDS=off and AEGIS_CDS_DIR for the launcher's class-data-sharing",
            "archive (faster starts).",
            "Precedence: command-line flag > environment > YAML > default."})
public final class AegisCommand implements Callable<Integer> {

    /** Stopped cleanly, or nothing to report. */
    static final int EXIT_OK = 0;
    /** The engine could not start. */
    static final int EXIT_START_FAILED = 1;
    /** The configuration or the command line is invalid (picocli uses 2 for usage errors too). */
    static final int EXIT_INVALID = 2;

    @Option(names = "--config", paramLabel = "<path>", defaultValue = "aegis.yaml",
            description = "The YAML configuration file (default: ${DEFAULT-VALUE} in the working directory).")
    Path configFile;

    @Option(names = "--log-level", paramLabel = "<level>",
            description = "trace, debug, info, warn or error. Overrides AEGIS_LOG_LEVEL and global.logLevel"
                    + " (default: info).")
    String logLevel;

    @Option(names = "--metrics-port", paramLabel = "<port>",
            description = "Serve /metrics on this port; overrides AEGIS_METRICS_PORT and global.metricsPort."
                    + " 0 picks a free port.")
    Integer metricsPort;

    @Option(names = "--plugin-dir", paramLabel = "<dir>",
            description = "Also load the plugins (checkers, runtimes, actions, notifiers) in the jars of this"
                    + " directory; may be given more than once.")
    List<Path> pluginDirs = new ArrayList<>();

    @Option(names = "--validate",
            description = "Check the configuration, print \"config OK: N services\" and any warnings, or every"
                    + " error, and exit (0 valid, even with warnings; 2 invalid). Starts nothing.")
    boolean validate;

    @Spec
    CommandSpec spec;

    /**
     * Runs the {@code aegis} command (see {@code aegis --help}) and exits the JVM with its exit code.
     *
     * @param args the command line's arguments
     */
    public static void main(String[] args) {
        useAtLeastTwoCommonPoolThreads();
        withoutNettyFlightRecorderEvents();
        Optional<String> badLaunchMechanism = unsupportedLaunchMechanism();
        if (badLaunchMechanism.isPresent() && !(args.length == 1 && args[0].equals(CdsTraining.OPTION))) {
            System.err.println(badLaunchMechanism.get());
            System.exit(EXIT_INVALID);
        }
        // a JVM-wide setting: the executable's choice, not the plugin's. (Not through ProcessRuntimeFactory: loading
        // it starts logging before Logging.configure, and every line would lose aegis' format.)
        LaunchMechanism.preferVfork();
        System.exit(execute(args));
    }

    /** The JVM-wide setting of how {@code Process} starts children, read once by {@code java.lang.ProcessImpl}. */
    private static final String LAUNCH_MECHANISM = "jdk.lang.Process.launchMechanism";

    /**
     * A launch mechanism set by the user ({@code -D} in JAVA_OPTS, JAVA_TOOL_OPTIONS or JDK_JAVA_OPTIONS) that this
     * JVM does not support, as a sentence; empty when none is set or it is supported. The JDK checks it only when the
     * first process starts, and then fails every start and restart of every process service, the first with its
     * sentence and the later ones as "Could not initialize class java.lang.ProcessImpl" (hostile F11). So it is
     * checked here, by the JDK's own rule: initialising ProcessImpl, which is what reads it. Only when the user set
     * one: aegis' own choice (VFORK, below) is known to be good, and the start need not pay for that class.
     */
    static Optional<String> unsupportedLaunchMechanism() {
        String value = System.getProperty(LAUNCH_MECHANISM);
        if (value == null) {
            return Optional.empty();
        }
        try {
            Class.forName("java.lang.ProcessImpl", true, null);
            return Optional.empty();
        } catch (ClassNotFoundException e) {
            return Optional.empty(); // another JDK's layout: its first process start judges the setting
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Error e) {
            // The JDK throws a plain Error from the initialiser (not wrapped, being an Error) with its sentence:
            // "BOGUS is not a supported process launch mechanism on this platform."
            Throwable thrown = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            String reason = thrown.getMessage() != null ? thrown.getMessage()
                    : value + " is not a supported process launch mechanism on this platform.";
            return Optional.of("aegis: -D" + LAUNCH_MECHANISM + "=" + value + " (from JAVA_OPTS, JAVA_TOOL_OPTIONS or"
                    + " JDK_JAVA_OPTIONS): " + reason + " No process service could start with it: use POSIX_SPAWN,"
                    + " FORK or VFORK (Linux), or remove the option to let aegis choose.");
        }
    }

    /**
     * Netty emits JDK Flight Recorder events by default, and registering its event classes on the first HTTP check
     * initialises JFR's metadata: 0.13 s of a 0.75 s start (class-load log of the first check). aegis records
     * nothing with JFR by itself; a user profiling it can still turn them on with -Dio.netty.jfr.enabled=true.
     * Must run before the first Netty class reads the property.
     */
    static void withoutNettyFlightRecorderEvents() {
        String property = "io.netty.jfr.enabled";
        if (System.getProperty(property) == null) {
            System.setProperty(property, "false");
        }
    }

    /**
     * The JDK's HttpClient completes every response on CompletableFuture's default executor, which on a
     * machine with 2 CPUs or fewer (common-pool parallelism 1) starts a new thread per task: one thread per
     * HTTP check. Two common-pool threads avoid that (measured: ~15,000 thread starts in 20 s at 1,000 checks/s
     * became 91, and a third less CPU per check). Must run before anything touches the common pool; an
     * explicit -D setting wins.
     */
    static void useAtLeastTwoCommonPoolThreads() {
        String property = "java.util.concurrent.ForkJoinPool.common.parallelism";
        if (System.getProperty(property) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(property, "2");
        }
    }

    /** Runs the command and returns its exit code; {@link #main} exits with it. */
    static int execute(String... args) {
        if (args.length == 1 && args[0].equals(CdsTraining.OPTION)) {
            return CdsTraining.run(); // the launcher's class-data-sharing training run
        }
        AegisCommand plain = FastCommandLine.parse(args); // a plain start, without picocli's ~0.1 s
        return plain != null ? plain.callWithoutPicocli(args) : new CommandLine(new AegisCommand()).execute(args);
    }

    /** Every configuration applied (the first, then each reload's): stderr masks the secrets of all of them. */
    private final List<AegisConfig> configsSeen = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Standard error when picocli did not parse the command line (it is then {@code spec}'s). */
    private PrintWriter plainErr;
    /** Set for {@code --cds-train}: the run stops after the first check instead of waiting for a signal. */
    CdsTraining training;

    /** {@link #call} as picocli's {@code execute} would run it, for a command line {@link FastCommandLine} read. */
    int callWithoutPicocli(String[] args) {
        plainErr = FastCommandLine.standardError();
        try {
            return call();
        } catch (Exception e) {
            // Rare (a plugin directory that cannot be listed...): picocli reports it as it does for any command,
            // with the same text and exit code.
            CommandLine commandLine = new CommandLine(new AegisCommand()).setErr(plainErr);
            commandLine.setExecutionStrategy(parsed -> {
                throw new CommandLine.ExecutionException(commandLine, e.toString(), e);
            });
            return commandLine.execute(args);
        }
    }

    @Override
    public Integer call() {
        PrintWriter err = spec != null ? spec.commandLine().getErr() : plainErr;
        Optional<LogLevel> levelFlag = Optional.ofNullable(logLevel).map(this::parseLogLevel);
        if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
            throw new ParameterException(spec.commandLine(),
                    "--metrics-port: expected a port from 0 to 65535, found " + metricsPort);
        }
        if (!Files.exists(configFile)) {
            err.println("aegis: configuration file not found: " + configFile.toAbsolutePath()
                    + " (pass --config=<path>)");
            return EXIT_INVALID;
        }

        if (!validate && training == null) {
            ShutdownSignal.early();
        }
        for (Path dir : pluginDirs) {
            if (!Files.isDirectory(dir)) {
                err.println("aegis: plugin directory not found: " + dir.toAbsolutePath() + " (--plugin-dir)");
                return EXIT_INVALID;
            }
        }

        AegisConfig config;
        try {
            // does not log, so it may run before logging is set up. The launcher's training run beside a real start
            // reads its own sample file alone: the user's AEGIS_* overrides (a state directory, a metrics port, a
            // service of theirs) are the real start's, and would make the two collide or the training fail.
            config = training != null ? AegisConfig.load(configFile, java.util.Map.of())
                    : AegisConfig.load(configFile);
        } catch (InvalidConfigurationException e) {
            err.println(e.getMessage());
            return EXIT_INVALID;
        }
        // Plugins log their own lines (a runtime its command line, with a password from ${VAR} in it): mask at
        // the one place every line passes.
        configsSeen.add(config);
        RedactingOutputStream.installOnStandardError(text -> {
            String masked = text;
            for (AegisConfig seen : configsSeen) {
                masked = seen.redact(masked);
            }
            return masked;
        });
        // Before the first LoggerFactory call: slf4j-simple reads its settings once, when it starts.
        // --validate prints its verdict; the engine's info lines would only be noise around it.
        LogLevel level = levelFlag.orElseGet(() -> validate ? LogLevel.WARN : LogLevel.fromConfig(config.logLevel()));
        if (validate) {
            Logging.silence(Engine.CONFIG_LOGGER); // --validate prints the warnings itself, without log decoration
        }
        Logging.configure(level);
        return validate ? validate(config, err) : run(config, err);
    }

    private LogLevel parseLogLevel(String value) {
        return LogLevel.parse(value).orElseThrow(() -> new ParameterException(spec.commandLine(),
                "--log-level: expected one of " + LogLevel.names() + ", found '" + value + "'"));
    }

    private int validate(AegisConfig config, PrintWriter err) {
        // Creates nothing: a validation may run as another user, or on another machine, than aegis will.
        try (Engine engine = builder(config).forValidation().build()) {
            if (engine.services().isEmpty()) {
                err.println(nothingToSupervise().getMessage());
                return EXIT_INVALID;
            }
            List<String> warnings = engine.configurationWarnings();
            warnings.forEach(warning -> err.println("warning: " + warning));
            spec.commandLine().getOut().println("config OK: " + count(config.services().size()) + " in "
                    + configFile + (warnings.isEmpty() ? "" : ", " + warnings.size()
                    + (warnings.size() == 1 ? " warning" : " warnings")));
            return EXIT_OK;
        } catch (InvalidConfigurationException e) {
            err.println(e.getMessage());
            return EXIT_INVALID;
        }
    }

    private int run(AegisConfig config, PrintWriter err) {
        Logger log = LoggerFactory.getLogger(AegisCommand.class);
        Optional<String> stoppedEarly = ShutdownSignal.receivedEarly();
        if (stoppedEarly.isPresent()) {
            log.info("received {} before starting: nothing started, stopped", stoppedEarly.get());
            return EXIT_OK;
        }
        Engine engine;
        try {
            engine = builder(config).build();
        } catch (InvalidConfigurationException e) {
            err.println(e.getMessage());
            return EXIT_INVALID;
        }
        if (engine.services().isEmpty()) {
            engine.close();
            err.println(nothingToSupervise().getMessage());
            return EXIT_INVALID;
        }
        log.info("aegis {} with {}", ManifestVersion.version(), configFile);
        // A reload may bring secrets of its own (a new ${VAR}): stderr masks those of every configuration applied,
        // the earlier ones included (a service being stopped may still print them).
        engine.subscribe(io.aegis.core.event.ConfigReloaded.class, reloaded -> engine.configuration()
                .filter(applied -> !configsSeen.contains(applied)).ifPresent(configsSeen::add));
        // The API first: a port in use stops aegis before any workload has started.
        ApiServer api = null;
        if (config.api().enabled() && training == null) {
            try {
                api = ApiServer.builder(engine).config(config.api()).build().start();
            } catch (java.io.UncheckedIOException e) {
                engine.close();
                err.println("aegis: " + e.getMessage());
                return EXIT_START_FAILED;
            }
        }
        ShutdownSignal shutdown = ShutdownSignal.install(engine);
        LogReopenSignal.install(engine);
        try {
            engine.start(); // logs the metrics address and the number of services
        } catch (EngineStartException e) {
            engine.close();
            if (api != null) {
                api.close();
            }
            shutdown.uninstall();
            err.println("aegis: " + e.getMessage());
            return EXIT_START_FAILED;
        }
        if (training != null) {
            training.exercise(engine); // the first check and a scrape, then stop as on a signal
        } else {
            log.info("received {}, shutting down", shutdown.await());
        }
        engine.close(); // stops the child processes, each with its grace period
        if (api != null) {
            api.close(); // after the engine: the event streams carry the services' last state changes
        }
        shutdown.uninstall();
        return EXIT_OK;
    }

    /**
     * An aegis with no service would run and do nothing, which is never what was meant: the file is not the one
     * intended, or its services are under the wrong key. (An embedding application may build an engine whose
     * services are all defined in code; this rule is the command's.)
     */
    private InvalidConfigurationException nothingToSupervise() {
        return new InvalidConfigurationException(List.of(configFile + ": no services are defined, so there is"
                + " nothing to supervise; add at least one under services: (name, type and endpoint), see the"
                + " Configuration section of the README"));
    }

    private Engine.Builder builder(AegisConfig config) {
        Engine.Builder builder = Engine.builder().config(config);
        if (!pluginDirs.isEmpty()) {
            builder.classLoader(pluginClassLoader());
        }
        if (metricsPort != null) {
            builder.metricsPort(metricsPort);
        }
        return builder;
    }

    /**
     * A class loader over every jar in the plugin directories, in name order, whose parent holds the bundled
     * plugins: the engine finds both through ServiceLoader, and reports a duplicate type naming both jars.
     * It stays open for the life of the process, like the plugins loaded from it.
     */
    private ClassLoader pluginClassLoader() {
        List<URL> jars = new ArrayList<>();
        for (Path dir : pluginDirs) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path jar : files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                    jars.add(jar.toUri().toURL());
                }
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list plugin directory " + dir, e);
            }
        }
        return new URLClassLoader("aegis-plugins", jars.toArray(URL[]::new), AegisCommand.class.getClassLoader());
    }

    private static String count(int services) {
        return services + (services == 1 ? " service" : " services");
    }

    /** {@code --version}: the version the build wrote into the jar's manifest. */
    static final class ManifestVersion implements IVersionProvider {
        static String version() {
            String version = AegisCommand.class.getPackage().getImplementationVersion();
            return version != null ? version : "(development build)";
        }

        @Override
        public String[] getVersion() {
            return new String[] {
                "aegis " + version(),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
