package io.aegis.archetype;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code mvn} of the build running the tests, run as a child process the way a user runs it, but with a local
 * repository and settings of the test's own: {@code it-repo}, which holds this build's archetype, aegis-api and
 * aegis-testkit (maven-invoker-plugin's install goal put them there), and a mirror of every remote repository to the
 * main build's local repository, so that the plugins and libraries a generated project needs come from there, with
 * no network. The user's own {@code ~/.m2/settings.xml} is not read.
 */
final class Maven {
    private final Path mvn;
    private final Path repository;
    private final Path settings;

    private Maven(Path mvn, Path repository, Path settings) {
        this.mvn = mvn;
        this.repository = repository;
        this.settings = settings;
    }

    /** Set up from the system properties failsafe passes ({@code maven.home}, {@code aegis.it.*}). */
    static Maven fromBuild(Path work) {
        Path mvn = Path.of(required("maven.home"), "bin", "mvn");
        assertThat(mvn).as("the mvn of the build running this test").isExecutable();
        Path repository = Path.of(required("aegis.it.repository")).toAbsolutePath();
        assertThat(repository.resolve("io/aegis/aegis-plugin-archetype")).as("the archetype, installed in the ITs'"
                + " repository by maven-invoker-plugin:install (run the tests with `mvn verify`)").isDirectory();
        Path mirror = Path.of(required("aegis.it.mirror")).toAbsolutePath();
        Path settings = work.resolve("settings.xml");
        write(settings, """
                <settings>
                  <!-- every remote repository is the main build's local repository: no network -->
                  <mirrors>
                    <mirror>
                      <id>main-build</id>
                      <mirrorOf>*</mirrorOf>
                      <url>%1$s</url>
                    </mirror>
                  </mirrors>
                  <profiles>
                    <profile>
                      <id>main-build</id>
                      <!-- Central as the mirror sees it: releases only (aegis' snapshots must come from the ITs' own
                           repository, never from an older build's), and no checksums to check (a local repository
                           keeps none) -->
                      <repositories>
                        <repository>
                          <id>central</id>
                          <url>%1$s</url>
                          <releases><checksumPolicy>ignore</checksumPolicy></releases>
                          <snapshots><enabled>false</enabled></snapshots>
                        </repository>
                      </repositories>
                      <pluginRepositories>
                        <pluginRepository>
                          <id>central</id>
                          <url>%1$s</url>
                          <releases><checksumPolicy>ignore</checksumPolicy></releases>
                          <snapshots><enabled>false</enabled></snapshots>
                        </pluginRepository>
                      </pluginRepositories>
                    </profile>
                  </profiles>
                  <activeProfiles>
                    <activeProfile>main-build</activeProfile>
                  </activeProfiles>
                </settings>
                """.formatted(mirror.toUri()));
        return new Maven(mvn, repository, settings);
    }

    /** Runs {@code mvn args} in {@code dir} to its end; its output goes to {@code log}. */
    Run run(Path dir, Path log, String... args) {
        List<String> command = new ArrayList<>(List.of(mvn.toString(), "-B", "--no-transfer-progress",
                "-s", settings.toString(), "-Dmaven.repo.local=" + repository));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // Maven's own JVM starts faster this way; the generated project's tests run in a fork of their own.
        builder.environment().put("MAVEN_OPTS", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        long start = System.nanoTime();
        try {
            Process process = builder.start();
            try {
                boolean exited = process.waitFor(5, TimeUnit.MINUTES);
                assertThat(exited).as("%s ended within 5 minutes; its output so far:%n%s", command, read(log))
                        .isTrue();
            } finally {
                process.destroyForcibly();
            }
            return new Run(command, process.exitValue(), read(log), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + command, e);
        }
    }

    private static String required(String name) {
        String value = System.getProperty(name);
        assertThat(value).as("system property %s (set by maven-failsafe-plugin in aegis-plugin-archetype/pom.xml)",
                name).isNotBlank();
        return value;
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read " + file + ": " + e + ")";
        }
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How one run of mvn ended. */
    record Run(List<String> command, int exitCode, String output, long millis) {
        @Override
        public String toString() {
            return String.join(" ", command) + "\nexit code " + exitCode + " after " + millis + " ms\n" + output;
        }
    }
}
