package io.aegis.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A stand-in for the Dockerfile's {@code debian:bookworm-slim}, made without a registry as aegis-cli's
 * {@code DemoImages} makes its images: a root file system of busybox (static) with every applet linked in
 * {@code /bin}, coreutils' {@code cksum} and {@code nice} (the launcher uses them; Debian's busybox has neither), the
 * C.UTF-8 locale (the Dockerfile's LANG), and the C libraries that the tarball's Java runtime and those two link
 * against, at the host's paths; imported with {@code docker import}. CI builds the Dockerfile on the real base instead
 * ({@code .ci/bookworm-slim}): this one is for machines without it.
 */
final class StandInBase {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<Path> HOST_PROGRAMS = List.of(Path.of("/usr/bin/cksum"), Path.of("/usr/bin/nice"));
    /** The Dockerfile's LANG, C.UTF-8: libc-bin's in every Debian, the host's here. */
    private static final Path C_UTF8 = Path.of("/usr/lib/locale/C.utf8");
    private static final Pattern LIBRARY = Pattern.compile("(?:=>\\s*)?(/\\S+)\\s+\\(0x[0-9a-f]+\\)");

    private StandInBase() {
    }

    /**
     * Builds the root file system for the runtime in {@code distHome} under {@code work}, imports it as a new image
     * of this run and returns its name. Skips (fails under CI) without a static busybox.
     */
    static String importImage(DockerEngine engine, Path distHome, Path work) throws IOException {
        DockerEngine.requireOrSkip(Files.isExecutable(BUSYBOX) && isStatic(BUSYBOX), "no static busybox at " + BUSYBOX
                + " for the stand-in base image: install Debian's busybox-static (.ci/run does)");
        for (Path program : HOST_PROGRAMS) {
            assertThat(program).as("coreutils' %s, copied into the stand-in base", program.getFileName())
                    .isExecutable();
        }
        Path root = Files.createDirectories(work.resolve("base-rootfs"));
        for (String dir : List.of("bin", "usr/bin", "etc", "root", "var", "opt", "tmp")) {
            Files.createDirectories(root.resolve(dir));
        }
        Command.succeed("chmod", "1777", root.resolve("tmp").toString());
        Files.copy(BUSYBOX, root.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String applet : Command.succeed(BUSYBOX.toString(), "--list").split("\\s+")) {
            if (!applet.isBlank() && !applet.equals("busybox")) {
                Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
            }
        }
        for (Path program : HOST_PROGRAMS) {
            Files.copy(program, root.resolve(program.toString().substring(1)), StandardCopyOption.COPY_ATTRIBUTES);
        }
        assertThat(C_UTF8.resolve("LC_CTYPE")).as("the C.UTF-8 locale of the host's C library, copied into the"
                + " stand-in base (Debian's libc-bin has it)").isRegularFile();
        Path locale = root.resolve(C_UTF8.toString().substring(1));
        Files.createDirectories(locale.getParent());
        Command.succeed("cp", "-a", C_UTF8.toString(), locale.toString());
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
        List<Path> binaries = new ArrayList<>(HOST_PROGRAMS);
        try (Stream<Path> files = Files.walk(distHome.resolve("runtime"))) {
            files.filter(file -> file.toString().endsWith(".so") || file.endsWith(Path.of("bin/java")))
                    .forEach(binaries::add);
        }
        Set<String> libraries = new TreeSet<>();
        for (Path binary : binaries) {
            Matcher matcher = LIBRARY.matcher(Command.succeed("ldd", binary.toString()));
            while (matcher.find()) {
                if (!Path.of(matcher.group(1)).normalize().startsWith(distHome)) { // the runtime's own: in the image
                    libraries.add(matcher.group(1));
                }
            }
        }
        assertThat(libraries).as("C libraries of the runtime found by ldd").isNotEmpty();
        for (String library : libraries) {
            Path target = root.resolve(library.substring(1));
            Files.createDirectories(target.getParent());
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.copy(Path.of(library), target); // follows links: the file itself, under the linked name
            }
        }
        Path tar = work.resolve("base-rootfs.tar");
        Command.succeed("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", root.toString(), "-cf",
                tar.toString(), ".");
        String name = engine.name("base");
        engine.docker("import", "-c", "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", "-c", "LABEL " + engine.label(),
                tar.toString(), name);
        engine.created(name);
        return name;
    }

    private static boolean isStatic(Path binary) {
        Command.Result ldd = Command.run(List.of("ldd", binary.toString()), null, null, Duration.ofSeconds(30));
        return ldd.exitCode() != 0 || ldd.stdout().contains("not a dynamic executable")
                || ldd.stdout().contains("statically linked") || ldd.stderr().contains("not a dynamic executable");
    }
}
