package io.aegis.runtimes.nomad;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import io.aegis.plugin.support.ConfigProblems;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The validated {@code runtime:} block of one service that is a Nomad job; see {@link NomadRuntimeFactory} for the
 * keys and their defaults.
 *
 * @param address the agent's HTTP address, without a trailing slash ({@code http://127.0.0.1:4646})
 * @param token the ACL token sent as {@code X-Nomad-Token}; empty to send none. Never logged
 * @param namespace the job's namespace
 * @param region the region sent as {@code ?region=}; empty to let the agent use its own
 * @param job the job's ID
 * @param group the task group aegis supervises; empty for every group of the job
 * @param task the task a restart restarts; empty for every running task of the allocation
 * @param caCert a PEM file of the certificate authorities an {@code https} address is checked against; empty for the
 *     JDK's trust store
 * @param keyPath the key path of the block, for messages ({@code services[0].runtime})
 */
record NomadSettings(URI address, Optional<String> token, String namespace, Optional<String> region, String job,
        Optional<String> group, Optional<String> task, Optional<Path> caCert, String keyPath) {

    /** The address when neither {@code address} nor {@code NOMAD_ADDR} is set: the local agent's default. */
    static final String DEFAULT_ADDRESS = "http://127.0.0.1:4646";

    /** The namespace when neither {@code namespace} nor {@code NOMAD_NAMESPACE} is set. */
    static final String DEFAULT_NAMESPACE = "default";

    NomadSettings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(caCert, "caCert");
        Objects.requireNonNull(keyPath, "keyPath");
    }

    /** The address as people write it, for messages: {@code http://127.0.0.1:4646}. */
    String addressText() {
        return address.toString();
    }

    /** The job and its namespace, for messages: {@code job "web" in namespace default}. */
    String jobText() {
        return "job \"" + job + "\"" + group.map(g -> " (group \"" + g + "\")").orElse("") + " in namespace "
                + namespace;
    }

    /**
     * Reads and validates the settings, taking what they leave out from the Nomad CLI's environment variables in
     * {@code environment} ({@code NOMAD_ADDR}, {@code NOMAD_TOKEN}, {@code NOMAD_NAMESPACE}, {@code NOMAD_REGION},
     * {@code NOMAD_CACERT}).
     *
     * @throws ConfigException naming every invalid key at once
     */
    static NomadSettings from(Settings settings, Map<String, String> environment) {
        ConfigProblems problems = new ConfigProblems();
        Optional<URI> address = problems.read(() -> address(settings, environment));
        Optional<String> token = problems.read(() -> optional(settings, "token", environment.get("NOMAD_TOKEN")))
                .flatMap(value -> value);
        Optional<String> namespace = problems.read(() -> namespace(settings, environment));
        Optional<String> region = problems.read(() -> optional(settings, "region", environment.get("NOMAD_REGION")))
                .flatMap(value -> value);
        Optional<String> job = problems.read(() -> name(settings, "job", "the ID of the Nomad job, like web"));
        Optional<String> group = problems.read(() -> settings.has("group")
                ? Optional.of(name(settings, "group", "a task group of the job, or no group key for every group"))
                : Optional.<String>empty()).flatMap(value -> value);
        Optional<String> task = problems.read(() -> settings.has("task")
                ? Optional.of(name(settings, "task", "a task of the job, or no task key for every task"))
                : Optional.<String>empty()).flatMap(value -> value);
        Optional<Path> caCert = problems.read(() -> caCert(settings, environment)).flatMap(value -> value);
        address.ifPresent(uri -> {
            if (caCert.isPresent() && !"https".equals(uri.getScheme())) {
                problems.add(new ConfigProblem(settings.keyPath("caCert"), "a CA certificate only applies to an https"
                        + " address, and the address is " + uri + "; use https:// or remove caCert"));
            }
        });
        problems.throwIfAny();
        return new NomadSettings(address.orElseThrow(), token, namespace.orElseThrow(), region, job.orElseThrow(),
                group, task, caCert, settings.path());
    }

    private static URI address(Settings settings, Map<String, String> environment) {
        String key = "address";
        String text = settings.string(key).or(() -> Optional.ofNullable(environment.get("NOMAD_ADDR")))
                .filter(value -> !value.isBlank()).orElse(DEFAULT_ADDRESS).trim();
        String source = settings.has(key) ? "" : " (from NOMAD_ADDR)";
        String expected = "expected the HTTP address of a Nomad agent, like http://127.0.0.1:4646";
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new ConfigException(settings.keyPath(key), expected + ", found \"" + text + "\"" + source);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new ConfigException(settings.keyPath(key), expected + ", found \"" + text + "\"" + source);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
            throw new ConfigException(settings.keyPath(key), expected + " without a path or query, found \"" + text
                    + "\"" + source);
        }
        if (uri.getRawUserInfo() != null) {
            throw new ConfigException(settings.keyPath(key), expected + ", found one with a user name or password"
                    + source + "; put the ACL token in token (or NOMAD_TOKEN) instead");
        }
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }

    private static String namespace(Settings settings, Map<String, String> environment) {
        String key = "namespace";
        String value = settings.string(key).or(() -> Optional.ofNullable(environment.get("NOMAD_NAMESPACE")))
                .map(String::trim).filter(text -> !text.isEmpty()).orElse(DEFAULT_NAMESPACE);
        if (value.equals("*")) {
            throw new ConfigException(settings.keyPath(key), "expected the job's namespace, found \"*\""
                    + (settings.has(key) ? "" : " (from NOMAD_NAMESPACE)")
                    + ", which means every namespace and only works for reading; name the job's namespace");
        }
        return value;
    }

    /** A value of the block, else from the environment; blank counts as absent (an unset ${VAR} yields ""). */
    private static Optional<String> optional(Settings settings, String key, String fromEnvironment) {
        return settings.string(key).or(() -> Optional.ofNullable(fromEnvironment)).map(String::trim)
                .filter(text -> !text.isEmpty());
    }

    private static String name(Settings settings, String key, String whatItIs) {
        String value = settings.requireString(key, whatItIs).trim();
        if (value.contains("/") || value.chars().anyMatch(Character::isISOControl)) {
            throw new ConfigException(settings.keyPath(key), "expected " + whatItIs + ", found \"" + value
                    + "\", which Nomad cannot name (no / or control characters)");
        }
        return value;
    }

    private static Optional<Path> caCert(Settings settings, Map<String, String> environment) {
        String key = "caCert";
        Optional<String> text = optional(settings, key, environment.get("NOMAD_CACERT"));
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String source = settings.has(key) ? "" : " (from NOMAD_CACERT)";
        Path path;
        try {
            path = Path.of(text.get());
        } catch (InvalidPathException e) {
            throw new ConfigException(settings.keyPath(key), "expected a PEM file of CA certificates, found \""
                    + text.get() + "\"" + source + ", which is not a valid path");
        }
        if (!Files.isReadable(path) || Files.isDirectory(path)) {
            throw new ConfigException(settings.keyPath(key), "expected a readable PEM file of CA certificates, found \""
                    + text.get() + "\"" + source + ", which "
                    + (Files.exists(path) ? "cannot be read" : "does not exist"));
        }
        return Optional.of(path);
    }

}
