package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Self-contained images of the demo service, made without a registry: a root file system of busybox (static), a
 * JRE made with {@code jlink} (java.base, jdk.httpserver), the C libraries it needs and {@code demo-service.jar},
 * imported with {@code docker import}. The tarball is built once and cached under {@code target/} (keyed by the
 * jar and the JDK); each import of it is a new image (a new id), so one tarball gives the good and the broken
 * release.
 *
 * <p>The images' entrypoint is the demo service with its release options; the runtime's {@code command} gives
 * the rest ({@code --port=N}), as {@code CMD} would.
 */
final class DemoImages {
    /** Where the image puts the demo service. */
    static final String JAR_IN_IMAGE = "/app/demo-service.jar";

    private static final Pattern LIBRARY = Pattern.compile("(?:=>\\s*)?(/\\S+)\\s+\\(0x[0-9a-f]+\\)");

    private DemoImages() {
    }

    /**
     * The entrypoint of a release of the demo service: small, quick-starting JVM, {@code --version=release}, and
     * {@code --unhealthy} (its {@code /health} answers 503 from the start) when {@code healthy} is false.
     */
    static List<String> entrypoint(String release, boolean healthy) {
        List<String> entrypoint = new ArrayList<>(List.of("/jre/bin/java", "-Xmx64m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-jar", JAR_IN_IMAGE, "--version=" + release));
        if (!healthy) {
            entrypoint.add("--unhealthy");
        }
        return entrypoint;
    }

    /**
     * Imports the cached root file system as {@code reference} with {@code entrypoint}, labelled for this run, and
     * returns the new image's id ({@code sha256:...}).
     */
    static String importImage(DockerEngine engine, Path rootfsTar, String reference, List<String> entrypoint) {
        String id = engine.docker("import",
                "-c", "ENV PATH=/bin:/jre/bin",
                "-c", "ENTRYPOINT " + jsonArray(entrypoint),
                "-c", "LABEL " + engine.label(),
                rootfsTar.toString(), reference);
        engine.created(id);
        assertThat(id).as("the id docker import printed").startsWith("sha256:");
        return id;
    }

    /**
     * The root file system tarball in {@code cacheDir}, built when the demo jar or the JDK changed. Skips (fails
     * under CI) when this machine cannot build it: no static busybox, no jlink.
     */
    static Path rootfsTar(Path cacheDir, Path demoJar) {
        Path busybox = Path.of("/bin/busybox");
        DockerEngine.requireOrSkip(Files.isExecutable(busybox) && isStatic(busybox), "no static busybox at "
                + busybox + " to build the demo image: install Debian's busybox-static (.ci/run does)");
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        DockerEngine.requireOrSkip(Files.isExecutable(jlink) && Files.isDirectory(jlink.getParent().resolveSibling(
                "jmods")), "the JDK running the tests (" + System.getProperty("java.home") + ") has no jlink and"
                + " jmods to build the demo image's JRE: run the tests on a full JDK");
        try {
            Files.createDirectories(cacheDir);
            Path tar = cacheDir.resolve("demo-rootfs-" + cacheKey(demoJar) + ".tar");
            if (Files.isRegularFile(tar)) {
                return tar;
            }
            Path root = Files.createTempDirectory(cacheDir, "rootfs-");
            try {
                buildRootfs(root, busybox, jlink, demoJar);
                Path partial = Files.createTempFile(cacheDir, "demo-rootfs-", ".partial");
                run(List.of("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", root.toString(), "-cf",
                        partial.toString(), "."));
                Files.move(partial, tar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return tar;
            } finally {
                deleteTree(root);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not build the demo image's root file system in " + cacheDir, e);
        }
    }

    private static void buildRootfs(Path root, Path busybox, Path jlink, Path demoJar) throws IOException {
        for (String dir : List.of("bin", "app", "tmp", "etc")) {
            Files.createDirectories(root.resolve(dir));
        }
        Files.copy(busybox, root.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        // every applet as a link, so that sh, wget, sleep... are on PATH in the container
        for (String applet : run(List.of(busybox.toString(), "--list")).split("\\s+")) {
            if (!applet.isBlank() && !applet.equals("busybox")) {
                Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
            }
        }
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/:/bin/sh\n");
        Files.copy(demoJar, root.resolve(JAR_IN_IMAGE.substring(1)));
        Path jre = root.resolve("jre");
        run(List.of(jlink.toString(), "--add-modules", "java.base,jdk.httpserver", "--strip-debug",
                "--no-header-files", "--no-man-pages", "--compress=2", "--output", jre.toString()));
        // the C libraries the JRE links against (and the loader), at the paths the host has them
        Set<String> libraries = new TreeSet<>();
        List<Path> binaries;
        try (Stream<Path> files = Files.walk(jre)) {
            binaries = files.filter(file -> file.toString().endsWith(".so") || file.endsWith(Path.of("bin/java")))
                    .toList();
        }
        for (Path binary : binaries) {
            Result ldd = runForOutput(List.of("ldd", binary.toString()));
            Matcher matcher = LIBRARY.matcher(ldd.output());
            while (matcher.find()) {
                if (!Path.of(matcher.group(1)).normalize().startsWith(root)) { // the JRE's own: already there
                    libraries.add(matcher.group(1));
                }
            }
        }
        assertThat(libraries).as("libraries of the jlinked JRE found by ldd").isNotEmpty();
        for (String library : libraries) {
            Path target = root.resolve(library.substring(1));
            Files.createDirectories(target.getParent());
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.copy(Path.of(library), target); // follows links: the file itself, under the linked name
            }
        }
    }

    private static String cacheKey(Path demoJar) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(demoJar));
            sha.update((System.getProperty("java.home") + System.getProperty("java.version")).getBytes());
            sha.update(Files.readAllBytes(Path.of("/bin/busybox")));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isStatic(Path binary) {
        Result ldd = runForOutput(List.of("ldd", binary.toString()));
        return ldd.exitCode() != 0 || ldd.output().contains("not a dynamic executable")
                || ldd.output().contains("statically linked");
    }

    private static String run(List<String> command) {
        Result result = runForOutput(command);
        assertThat(result.exitCode()).as("%s failed:%n%s", command, result.output()).isZero();
        return result.output();
    }

    private static Result runForOutput(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish within 2 minutes");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static String jsonArray(List<String> items) {
        return items.stream()
                .map(item -> '"' + item.replace("\\", "\\\\").replace("\"", "\\\"") + '"')
                .collect(Collectors.joining(",", "[", "]"));
    }

    private record Result(int exitCode, String output) {
    }
}
