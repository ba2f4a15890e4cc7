package io.aegis.api;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Everything a {@link HealthCheckerFactory} needs to create the checker of one service.
 *
 * <p>{@link #settings()} is the service's whole configuration block; a checker reads its own keys from it
 * (for example {@code method}, {@code headers} and {@code expect} for HTTP). Keys that neither the engine
 * nor the checker reads are reported as unknown.
 */
public final class CheckerSpec {
    private final String serviceName;
    private final String type;
    private final String endpoint;
    private final Duration interval;
    private final Duration timeout;
    private final Settings settings;
    private final Map<String, String> metadata;
    private final Executor blockingExecutor;

    private CheckerSpec(Builder builder) {
        this.serviceName = Objects.requireNonNull(builder.serviceName, "serviceName");
        this.type = Objects.requireNonNull(builder.type, "type");
        this.endpoint = Objects.requireNonNull(builder.endpoint, "endpoint");
        this.interval = Objects.requireNonNull(builder.interval, "interval");
        this.timeout = Objects.requireNonNull(builder.timeout, "timeout");
        this.settings = builder.settings == null ? Settings.empty("") : builder.settings;
        this.metadata = Map.copyOf(builder.metadata);
        this.blockingExecutor = builder.blockingExecutor == null ? Runnable::run : builder.blockingExecutor;
    }

    /**
     * Starts a spec for service {@code serviceName}, checked by checker {@code type} at {@code endpoint}.
     *
     * @param serviceName the service's name, unique within one engine
     * @param type the checker type, such as {@code http}
     * @param endpoint what to check: a URL, {@code host:port}, a script path, depending on the type
     * @return a builder with the defaults for everything else
     */
    public static Builder builder(String serviceName, String type, String endpoint) {
        return new Builder(serviceName, type, endpoint);
    }

    /** {@return the service's name, unique within one engine} */
    public String serviceName() {
        return serviceName;
    }

    /** {@return the checker type, such as {@code http}} */
    public String type() {
        return type;
    }

    /** {@return what to check: a URL, {@code host:port}, a script path, depending on the type} */
    public String endpoint() {
        return endpoint;
    }

    /** {@return time between two check cycles} */
    public Duration interval() {
        return interval;
    }

    /** {@return how long one attempt may take; the engine enforces it too} */
    public Duration timeout() {
        return timeout;
    }

    /**
     * {@return the service's configuration block, with {@link Settings#path()} naming it (e.g. {@code services[0]})}
     */
    public Settings settings() {
        return settings;
    }

    /** {@return the service's free-form {@code metadata} strings} */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * {@return a bounded pool for work that must block (running a script); never block the calling thread} For a
     * checker that declares {@link HealthChecker#blocking()}, work handed over during {@code check()} runs on a thread
     * reserved for that check; other work shares a pool that the engine keeps apart from the threads that start
     * processes and deliver alerts.
     */
    public Executor blockingExecutor() {
        return blockingExecutor;
    }

    /** Builds a {@link CheckerSpec}. */
    public static final class Builder {
        private final String serviceName;
        private final String type;
        private final String endpoint;
        private Duration interval = Duration.ofSeconds(10);
        private Duration timeout = Duration.ofSeconds(5);
        private Settings settings;
        private Map<String, String> metadata = Map.of();
        private Executor blockingExecutor;

        private Builder(String serviceName, String type, String endpoint) {
            this.serviceName = serviceName;
            this.type = type;
            this.endpoint = endpoint;
        }

        /**
         * Time between check cycles; default 10s.
         *
         * @param interval the time between two check cycles
         * @return this builder
         */
        public Builder interval(Duration interval) {
            this.interval = interval;
            return this;
        }

        /**
         * Time one attempt may take; default 5s.
         *
         * @param timeout how long one attempt may take
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /**
         * The service's configuration block.
         *
         * @param settings the service's configuration block
         * @return this builder
         */
        public Builder settings(Settings settings) {
            this.settings = settings;
            return this;
        }

        /**
         * Free-form metadata strings.
         *
         * @param metadata the free-form metadata strings
         * @return this builder
         */
        public Builder metadata(Map<String, String> metadata) {
            this.metadata = metadata;
            return this;
        }

        /**
         * The pool for blocking work; defaults to running on the calling thread (tests only).
         *
         * @param blockingExecutor the pool for blocking work
         * @return this builder
         */
        public Builder blockingExecutor(Executor blockingExecutor) {
            this.blockingExecutor = blockingExecutor;
            return this;
        }

        /**
         * Builds the spec.
         *
         * @return the spec
         */
        public CheckerSpec build() {
            return new CheckerSpec(this);
        }
    }
}
