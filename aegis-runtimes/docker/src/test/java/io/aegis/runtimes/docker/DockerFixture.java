package io.aegis.runtimes.docker;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.transport.DockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The real Docker engine the tests run against ({@code DOCKER_HOST}, as {@code .ci/run} exports it), a tiny
 * busybox image imported into it from the host's static busybox, and the clean-up of everything a test run made:
 * every object carries the label {@code io.aegis.test=<run id>}.
 *
 * <p>Without an engine the tests are skipped with a message, except under {@code CI=true}, where they fail: CI
 * starts dockerd, so a missing one is a broken build.
 */
final class DockerFixture implements AutoCloseable {
    static final String TEST_LABEL = "io.aegis.test";
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> APPLETS = List.of("sh", "sleep", "true", "false", "cat", "echo", "ls", "ip",
            "kill", "ps", "env", "wget", "httpd", "dd");
    private static final Pattern IMPORTED = Pattern.compile("\"status\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\"");

    final String host;
    final String runId = "t" + UUID.randomUUID().toString().substring(0, 8);
    final DockerEngine engine;
    final DockerClient docker;
    private byte[] rootfs;

    private DockerFixture(String host, DockerEngine engine) {
        this.host = host;
        this.engine = engine;
        this.docker = engine.client();
    }

    /** Connects to the engine at {@code DOCKER_HOST}; skips (or fails under CI) when none answers. */
    static DockerFixture connect() {
        String variable = System.getenv("DOCKER_HOST");
        String host = variable == null || variable.isBlank() ? DockerRuntimeSettings.DEFAULT_HOST : variable;
        DockerEngine engine = new DockerEngine(host, Duration.ofMillis(100));
        try {
            engine.client().pingCmd().exec();
        } catch (RuntimeException e) {
            engine.close();
            String message = "no Docker engine answers at " + host + " (" + DockerFailure.rootMessage(e)
                    + "); start dockerd and export DOCKER_HOST to run the docker runtime tests";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message + " (CI=true: .ci/run starts one, so this is a failure)");
            }
            System.err.println("SKIPPED: " + message); // surefire does not print a skipped class's reason
            assumeTrue(false, message);
        }
        if (!Files.isExecutable(BUSYBOX)) {
            engine.close();
            String message = BUSYBOX + " (Debian's busybox-static) is missing; the test image is built from it";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            assumeTrue(false, message);
        }
        return new DockerFixture(host, engine);
    }

    /** The labels every test object carries. */
    Map<String, String> labels() {
        return Map.of(TEST_LABEL, runId);
    }

    /** A name unique to this run. */
    String name(String what) {
        return "aegis-" + runId + "-" + what;
    }

    /**
     * Imports the busybox rootfs as {@code repository:tag} with {@code cmd} (a JSON array) as its CMD and returns the
     * image id; every import is a new image id, even with the same content. {@code changes} are further Dockerfile
     * instructions, as {@code docker import --change} takes them.
     */
    String importImage(String repository, String tag, String cmd, String... changes) throws IOException {
        StringBuilder path = new StringBuilder("/images/create?fromSrc=-&repo=" + enc(repository) + "&tag=" + enc(tag)
                + "&changes=" + enc("CMD " + cmd) + "&changes=" + enc("ENV PATH=/bin")
                + "&changes=" + enc("LABEL " + TEST_LABEL + "=" + runId));
        for (String change : changes) {
            path.append("&changes=").append(enc(change));
        }
        try (InputStream in = new ByteArrayInputStream(rootfs());
                DockerHttpClient.Response response = engine.http().execute(DockerHttpClient.Request.builder()
                        .method(DockerHttpClient.Request.Method.POST).path(path.toString())
                        .putHeader("Content-Type", "application/x-tar").body(in).build())) {
            String body = new String(response.getBody().readAllBytes(), StandardCharsets.UTF_8);
            Matcher matcher = IMPORTED.matcher(body);
            if (response.getStatusCode() != 200 || !matcher.find()) {
                throw new IOException("import of " + repository + ":" + tag + " failed: " + response.getStatusCode()
                        + " " + body);
            }
            return matcher.group(1);
        }
    }

    /** A user-defined network of this run. */
    String createNetwork(String what, boolean internal) {
        return docker.createNetworkCmd().withName(name(what)).withDriver("bridge").withInternal(internal)
                .withLabels(labels()).exec().getId();
    }

    /** Removes every container, network and image this run created. */
    @Override
    public void close() {
        try {
            for (Container container : docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(labels()).exec()) {
                removeQuietly(() -> docker.removeContainerCmd(container.getId()).withForce(true)
                        .withRemoveVolumes(true).exec());
            }
            for (Network network : docker.listNetworksCmd().withFilter("label", List.of(TEST_LABEL + "=" + runId))
                    .exec()) {
                removeQuietly(() -> docker.removeNetworkCmd(network.getId()).exec());
            }
            for (Image image : docker.listImagesCmd().withShowAll(true).withLabelFilter(labels()).exec()) {
                removeQuietly(() -> docker.removeImageCmd(image.getId()).withForce(true).exec());
            }
        } finally {
            engine.close();
        }
    }

    private static void removeQuietly(Runnable removal) {
        try {
            removal.run();
        } catch (NotFoundException e) {
            // gone already
        }
    }

    private synchronized byte[] rootfs() throws IOException {
        if (rootfs == null) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                directory(tar, "bin/");
                directory(tar, "etc/");
                directory(tar, "tmp/");
                TarArchiveEntry busybox = new TarArchiveEntry("bin/busybox");
                busybox.setMode(0755);
                busybox.setSize(Files.size(BUSYBOX));
                tar.putArchiveEntry(busybox);
                Files.copy(BUSYBOX, tar);
                tar.closeArchiveEntry();
                for (String applet : APPLETS) {
                    TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
                    link.setLinkName("busybox");
                    tar.putArchiveEntry(link);
                    tar.closeArchiveEntry();
                }
                byte[] passwd = "root:x:0:0:root:/:/bin/sh\n".getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry file = new TarArchiveEntry("etc/passwd");
                file.setMode(0644);
                file.setSize(passwd.length);
                tar.putArchiveEntry(file);
                tar.write(passwd);
                tar.closeArchiveEntry();
            }
            rootfs = bytes.toByteArray();
        }
        return rootfs;
    }

    private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setMode(040755);
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
    }

    private static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
