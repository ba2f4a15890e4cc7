package io.aegis.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Recovery of a container: {@code kill -9} of the demo service's process in a container to serving again, under
 * the real {@code aegis} (the {@code docker} runtime: the {@code die} event, then the Engine API's restart) and
 * under Docker's own {@code --restart always}, both from the same image in the same run, rounds interleaved.
 * Rounds are at least 11 s apart: Docker doubles its restart delay for a container that ran less than 10 s, and
 * the peer would otherwise be measured on its back-off.
 *
 * <p>The image is made without a registry: busybox (static), a jlinked JRE and the demo jar, {@code docker
 * import}ed (the tarball is cached under {@code benchmarks/target/docker-demo}). Needs a Docker engine at
 * {@code $DOCKER_HOST} and the {@code docker} command; without them the row says so. Runs only when named
 * ({@code benchmarks/run.sh docker}), about 2.5 minutes.
 */
public final class DockerScenario implements Scenario {
    private static final Duration ROUND_SPACING = Duration.ofSeconds(11);
    private static final Pattern LIBRARY = Pattern.compile("(?:=>\\s*)?(/\\S+)\\s+\\(0x[0-9a-f]+\\)");

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public Result run(Options options) throws Exception {
        Result result = new Result();
        String problem = engineProblem();
        if (problem != null) {
            return result.row("docker: kill -9", "-> serving again s", "not run: " + problem, "", "");
        }
        int rounds = options.size(10, 1);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String label = "io.aegis.test=" + run;
        String aegisContainer = "aegis-bench-" + run + "-aegis";
        String peerContainer = "aegis-bench-" + run + "-peer";
        Path tar = rootfsTar(options.repoRoot().resolve("benchmarks/target/docker-demo"), options.demoJar());
        String image = docker("import", "-c", "ENV PATH=/bin:/jre/bin", "-c", "ENTRYPOINT [\"/jre/bin/java\","
                + "\"-Xmx64m\",\"-XX:+UseSerialGC\",\"-XX:TieredStopAtLevel=1\",\"-jar\",\"/app/demo-service.jar\"]",
                "-c", "LABEL " + label, tar.toString(), "aegis-bench-" + run + "-demo:1");
        int aegisPort = Procs.freePort();
        int peerPort = Procs.freePort();
        List<Double> aegisSeconds = new ArrayList<>();
        List<Double> peerSeconds = new ArrayList<>();
        Path config = options.workDir().resolve("docker.yaml");
        Files.writeString(config, """
                global:
                  logLevel: info
                  metricsEnabled: false
                services:
                  - name: demo
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 1s
                    timeout: 500ms
                    startPeriod: 10s
                    actions:
                      onFailure: restart
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                      resetAfter: 500ms
                      budget: {max: 10000, window: 1h}
                      verifyWithin: 30s
                    runtime:
                      type: docker
                      image: "%s"
                      name: %s
                      command: ["--port=%d"]
                      network: host
                      pull: never
                      stopTimeout: 2s
                """.formatted(aegisPort, image, aegisContainer, aegisPort));
        try {
            docker("run", "-d", "--name", peerContainer, "--label", label, "--restart", "always", "--network", "host",
                    image, "--port=" + peerPort);
            Path log = options.workDir().resolve("aegis-docker.log");
            try (AegisProcess aegis = AegisProcess.start(options, config, log)) {
                long peerReady = Procs.awaitStatus(peerPort, "/health", 200, Duration.ofSeconds(60), 5);
                long aegisReady = Procs.awaitStatus(aegisPort, "/health", 200, Duration.ofSeconds(60), 5);
                if (peerReady < 0 || aegisReady < 0) {
                    throw new IllegalStateException("the demo container did not serve within 60 s (aegis: "
                            + (aegisReady > 0) + ", --restart always: " + (peerReady > 0) + "); see the work dir");
                }
                long lastRecovery = Math.max(peerReady, aegisReady);
                for (int i = 0; i < rounds; i++) {
                    if (!options.smoke()) {
                        long wait = lastRecovery + ROUND_SPACING.toNanos() - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                    }
                    double aegisRound = killToServing(aegisContainer, aegisPort);
                    double peerRound = killToServing(peerContainer, peerPort);
                    lastRecovery = System.nanoTime();
                    if (Double.isNaN(aegisRound) || Double.isNaN(peerRound)) {
                        break;
                    }
                    aegisSeconds.add(aegisRound);
                    peerSeconds.add(peerRound);
                }
            }
        } finally {
            tryDocker("rm", "-f", "-v", aegisContainer, peerContainer);
            tryDocker("rmi", "-f", image);
        }
        Stats aegisStats = Stats.of(aegisSeconds);
        Stats peerStats = Stats.of(peerSeconds);
        result.row("docker: kill -9 (container)", "-> serving again s (p95)", aegisStats.summary("s") + " (p95 "
                + Stats.num(aegisStats.percentile(95)) + ")", "", "docker --restart always "
                + peerStats.summary("s") + ", aegis/peer " + Stats.ratio(aegisStats.median(), peerStats.median()));
        result.note("docker: the demo service in a container (busybox + jlinked JRE, --network host) from one image,"
                + " SIGKILL to its process on the host, then GET /health polled every 2ms on new connections until"
                + " 200. aegis: docker runtime (die event -> Engine API restart, stopTimeout 2s); peer: the same"
                + " image under `docker run --restart always`; rounds interleaved, "
                + ROUND_SPACING.toSeconds() + " s apart (Docker's back-off resets after 10 s of running).");
        return result;
    }

    /** Seconds from SIGKILL of the container's process to the first 200 on /health; NaN if it did not recover. */
    private static double killToServing(String container, int port) throws Exception {
        if (Procs.awaitStatus(port, "/health", 200, Duration.ofSeconds(30), 5) < 0) {
            return Double.NaN;
        }
        long pid = Long.parseLong(docker("inspect", "-f", "{{.State.Pid}}", container));
        ProcessHandle victim = ProcessHandle.of(pid).orElse(null);
        if (victim == null) {
            return Double.NaN;
        }
        long t0 = System.nanoTime();
        victim.destroyForcibly();
        victim.onExit().get(5, TimeUnit.SECONDS);
        long t1 = Procs.awaitStatus(port, "/health", 200, Duration.ofSeconds(30), 2);
        return t1 < 0 ? Double.NaN : (t1 - t0) / 1e9;
    }

    /** Why no engine can be used, or null when {@code docker version} answers. */
    private static String engineProblem() {
        String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
        if (Procs.which("docker").isEmpty()) {
            return "no docker command on PATH";
        }
        try {
            CommandResult version = tryDocker("version", "--format", "{{.Server.Version}}");
            return version.exitCode() == 0 ? null : "no Docker engine answers at " + host + " (set DOCKER_HOST)";
        } catch (UncheckedIOException e) {
            return "docker could not be run: " + e.getCause().getMessage();
        }
    }

    private static String docker(String... args) {
        CommandResult result = tryDocker(args);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("docker " + String.join(" ", args) + " failed: " + result.output());
        }
        return result.output().strip();
    }

    private static CommandResult tryDocker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return exec(command);
    }

    private static CommandResult exec(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not finish within 2 minutes");
            }
            return new CommandResult(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    /**
     * The image's root file system as a tarball in {@code cacheDir}: busybox (static) with its applets, a JRE
     * jlinked from this JDK (java.base, jdk.httpserver), the C libraries it needs, and the demo jar; rebuilt when
     * the jar or the JDK changes.
     */
    private static Path rootfsTar(Path cacheDir, Path demoJar) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        if (!Files.isExecutable(busybox) || !Files.isExecutable(jlink)) {
            throw new IllegalStateException("building the demo image needs a static busybox at /bin/busybox (Debian:"
                    + " busybox-static) and a JDK with jlink");
        }
        Files.createDirectories(cacheDir);
        String key = Integer.toHexString((Files.size(demoJar) + ":" + Files.getLastModifiedTime(demoJar) + ":"
                + System.getProperty("java.home") + System.getProperty("java.version")).hashCode());
        Path tar = cacheDir.resolve("demo-rootfs-" + key + ".tar");
        if (Files.isRegularFile(tar)) {
            return tar;
        }
        Path root = Files.createTempDirectory(cacheDir, "rootfs-");
        try {
            for (String dir : List.of("bin", "app", "tmp", "etc")) {
                Files.createDirectories(root.resolve(dir));
            }
            Files.copy(busybox, root.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
            for (String applet : exec(List.of(busybox.toString(), "--list")).output().split("\\s+")) {
                if (!applet.isBlank() && !applet.equals("busybox")) {
                    Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
                }
            }
            Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/:/bin/sh\n");
            Files.copy(demoJar, root.resolve("app/demo-service.jar"));
            Path jre = root.resolve("jre");
            check(exec(List.of(jlink.toString(), "--add-modules", "java.base,jdk.httpserver", "--strip-debug",
                    "--no-header-files", "--no-man-pages", "--compress=2", "--output", jre.toString())), "jlink");
            Set<String> libraries = new TreeSet<>();
            List<Path> binaries;
            try (Stream<Path> files = Files.walk(jre)) {
                binaries = files.filter(f -> f.toString().endsWith(".so") || f.endsWith(Path.of("bin/java"))).toList();
            }
            for (Path binary : binaries) {
                Matcher matcher = LIBRARY.matcher(exec(List.of("ldd", binary.toString())).output());
                while (matcher.find()) {
                    if (!Path.of(matcher.group(1)).normalize().startsWith(root)) {
                        libraries.add(matcher.group(1));
                    }
                }
            }
            for (String library : libraries) {
                Path target = root.resolve(library.substring(1));
                Files.createDirectories(target.getParent());
                if (!Files.exists(target)) {
                    Files.copy(Path.of(library), target);
                }
            }
            Path partial = Files.createTempFile(cacheDir, "demo-rootfs-", ".partial");
            check(exec(List.of("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", root.toString(), "-cf",
                    partial.toString(), ".")), "tar");
            Files.move(partial, tar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return tar;
        } finally {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    private static void check(CommandResult result, String what) {
        if (result.exitCode() != 0) {
            throw new IllegalStateException(what + " failed: " + result.output());
        }
    }

    private record CommandResult(int exitCode, String output) {
    }
}
