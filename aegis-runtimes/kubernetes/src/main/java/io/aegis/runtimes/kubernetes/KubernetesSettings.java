package io.aegis.runtimes.kubernetes;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import io.aegis.plugin.support.ConfigProblems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The validated {@code runtime:} block of one service run by Kubernetes; see {@link KubernetesRuntimeFactory} for
 * the keys and their defaults.
 *
 * @param kind whether the target is a Deployment or a StatefulSet
 * @param name the target's name
 * @param namespace the namespace set in the configuration; empty to use the kubeconfig context's, else
 *     {@code default}
 * @param kubeconfig the kubeconfig file set in the configuration; empty for fabric8's auto-configuration
 *     (in-cluster service account, then {@code $KUBECONFIG}, then {@code ~/.kube/config})
 * @param context the kubeconfig context; empty for the file's current context
 * @param restart how {@code restart} replaces pods
 * @param rolloutTimeout how long start, stop, restart and rollback wait for the rollout to finish
 * @param targetKeyPath the key path of {@code deployment} or {@code statefulSet}, for messages
 * @param namespaceKeyPath the key path of {@code namespace}, for messages
 */
record KubernetesSettings(
        Kind kind,
        String name,
        Optional<String> namespace,
        Optional<Path> kubeconfig,
        Optional<String> context,
        RestartMode restart,
        Duration rolloutTimeout,
        String targetKeyPath,
        String namespaceKeyPath) {

    /** The key path of {@code key} in this {@code runtime:} block, for messages. */
    String keyPath(String key) {
        return namespaceKeyPath.substring(0, namespaceKeyPath.length() - "namespace".length()) + key;
    }

    /** The kind of workload a service is. */
    enum Kind {
        DEPLOYMENT("deployment", "deployment"),
        STATEFUL_SET("statefulSet", "statefulset");

        /** The configuration key naming a target of this kind. */
        final String key;
        /** How kubectl calls it ({@code kubectl rollout restart deployment/web}). */
        final String kubectlName;

        Kind(String key, String kubectlName) {
            this.key = key;
            this.kubectlName = kubectlName;
        }
    }

    /** What {@code restart} does. */
    enum RestartMode {
        /** Delete the one bad pod when exactly one is bad and the others are ready; else a rollout restart. */
        AUTO,
        /** Always a rollout restart, like {@code kubectl rollout restart}. */
        ROLLOUT
    }

    /** How long a rollout may take when {@code rolloutTimeout} is not set. */
    static final Duration DEFAULT_ROLLOUT_TIMEOUT = Duration.ofMinutes(5);

    /** Kubernetes object names: DNS-1123 subdomains (namespaces are labels, a subset). */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
    private static final int MAX_NAME = 253;
    private static final int MAX_NAMESPACE = 63;

    KubernetesSettings {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(kubeconfig, "kubeconfig");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(rolloutTimeout, "rolloutTimeout");
        Objects.requireNonNull(targetKeyPath, "targetKeyPath");
        Objects.requireNonNull(namespaceKeyPath, "namespaceKeyPath");
    }

    /**
     * Reads and validates a {@code runtime:} block.
     *
     * @throws ConfigException naming every invalid key at once
     */
    static KubernetesSettings from(Settings settings) {
        ConfigProblems problems = new ConfigProblems();
        Optional<String> deployment = problems.read(() -> settings.string("deployment")).flatMap(v -> v);
        Optional<String> statefulSet = problems.read(() -> settings.string("statefulSet")).flatMap(v -> v);
        Kind kind = null;
        String name = null;
        if (deployment.isPresent() && statefulSet.isPresent()) {
            problems.add(new ConfigProblem(settings.keyPath("statefulSet"), "expected either deployment or"
                    + " statefulSet, found both; keep the one aegis supervises"));
            nameProblem(settings, Kind.DEPLOYMENT.key, deployment.get(), MAX_NAME, "the name of a Deployment")
                    .ifPresent(problems::add);
            nameProblem(settings, Kind.STATEFUL_SET.key, statefulSet.get(), MAX_NAME, "the name of a StatefulSet")
                    .ifPresent(problems::add);
        } else if (deployment.isEmpty() && statefulSet.isEmpty()) {
            if (!settings.has("deployment") && !settings.has("statefulSet")) {
                problems.add(new ConfigProblem(settings.keyPath("deployment"), "missing: expected the name of the"
                        + " Deployment to supervise (or statefulSet: the name of a StatefulSet)"));
            }
        } else {
            kind = deployment.isPresent() ? Kind.DEPLOYMENT : Kind.STATEFUL_SET;
            name = deployment.orElseGet(statefulSet::get);
            nameProblem(settings, kind.key, name, MAX_NAME, "the name of a " + (kind == Kind.DEPLOYMENT
                    ? "Deployment" : "StatefulSet")).ifPresent(problems::add);
        }
        Optional<String> namespace = problems.read(() -> settings.string("namespace")).flatMap(v -> v);
        namespace.flatMap(ns -> nameProblem(settings, "namespace", ns, MAX_NAMESPACE, "a namespace name"))
                .ifPresent(problems::add);
        Optional<Path> kubeconfig = problems.read(() -> kubeconfig(settings)).flatMap(v -> v);
        Optional<String> context = problems.read(() -> settings.string("context")).flatMap(v -> v);
        if (context.filter(String::isBlank).isPresent()) {
            problems.add(new ConfigProblem(settings.keyPath("context"), "expected a kubeconfig context name, found an"
                    + " empty value; remove the key to use the current context"));
        }
        Optional<RestartMode> restart = problems.read(() -> restartMode(settings));
        Optional<Duration> rolloutTimeout = problems.read(() -> rolloutTimeout(settings));
        problems.throwIfAny();
        return new KubernetesSettings(kind, name, namespace, kubeconfig, context, restart.orElseThrow(),
                rolloutTimeout.orElseThrow(), settings.keyPath(kind.key), settings.keyPath("namespace"));
    }

    private static Optional<ConfigProblem> nameProblem(Settings settings, String key, String value, int max,
            String what) {
        if (value.isBlank()) {
            return Optional.of(new ConfigProblem(settings.keyPath(key), "expected " + what + ", found an empty value"));
        }
        if (value.length() > max || !NAME.matcher(value).matches()) {
            return Optional.of(new ConfigProblem(settings.keyPath(key), "expected " + what + " (lower-case letters,"
                    + " digits, '-' and '.', at most " + max + " characters, as Kubernetes names are), found \""
                    + value + "\""));
        }
        return Optional.empty();
    }

    private static Optional<Path> kubeconfig(Settings settings) {
        Optional<String> text = settings.string("kubeconfig");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Path path;
        try {
            path = Path.of(text.get());
        } catch (InvalidPathException e) {
            throw new ConfigException(settings.keyPath("kubeconfig"), "expected the path of a kubeconfig file, found \""
                    + text.get() + "\"");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ConfigException(settings.keyPath("kubeconfig"), "no readable kubeconfig file at "
                    + path.toAbsolutePath() + "; give the file kubectl uses (kubectl config view --minify shows"
                    + " it) or remove the key for the in-cluster config, $KUBECONFIG or ~/.kube/config");
        }
        return Optional.of(path);
    }

    private static RestartMode restartMode(Settings settings) {
        String value = settings.string("restart", "auto").trim().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "auto" -> RestartMode.AUTO;
            case "rollout" -> RestartMode.ROLLOUT;
            default -> throw new ConfigException(settings.keyPath("restart"), "expected auto (delete the one bad pod,"
                    + " else a rollout restart) or rollout (always a rollout restart), found \""
                    + settings.string("restart").orElse("") + "\"");
        };
    }

    private static Duration rolloutTimeout(Settings settings) {
        Duration timeout = settings.duration("rolloutTimeout", DEFAULT_ROLLOUT_TIMEOUT);
        if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
            throw new ConfigException(settings.keyPath("rolloutTimeout"), "expected a duration from 1s to 1h, found "
                    + settings.string("rolloutTimeout").orElse(""));
        }
        return timeout;
    }

}
