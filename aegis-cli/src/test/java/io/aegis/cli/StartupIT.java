package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.cli.AegisProcess.Result;
import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What makes {@code aegis} start fast: no class it does not need for the configuration, and the launcher's
 * class-data-sharing archive (made on the first start, mapped by the next).
 */
@Timeout(240)
class StartupIT {
    /** The line -Xlog:class+load writes for a class mapped from the launcher's (dynamic) archive. */
    private static final String FROM_THE_ARCHIVE = "io.aegis.cli.AegisCommand source: shared objects file (top)";

    @TempDir
    Path dir;

    @Test
    void pluginDiscoveryLoadsNoJacksonDatabindWhenNoServiceNeedsIt() throws IOException {
        TestConfigs.write(dir, "http.yaml", """
                services:
                  - name: web
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    expect:
                      body: UP
                """.formatted(Loopback.freePort()));
        Path classes = dir.resolve("classes.txt");

        Result result = AegisProcess.run(dir, Map.of("JAVA_OPTS", AegisProcess.JAVA_OPTS
                + " -Xlog:class+load:file=" + classes), "--config=http.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isZero();
        String loaded = Files.readString(classes);
        // Every runtime factory class was loaded (Nomad's among them: discovery loads them, constructs only those a
        // service needs) ...
        assertThat(loaded).contains("io.aegis.runtimes.nomad.NomadRuntimeFactory ");
        // ... and none created an ObjectMapper: databind is ~320 classes, ~0.1 s of every start. (The verifier
        // loads the 7 JsonNode types in AlertStore's method signatures: a few classes, no initialisation.)
        assertThat(loaded).doesNotContain(" com.fasterxml.jackson.databind.ObjectMapper ");
        assertThat(loaded.lines().filter(line -> line.contains(" com.fasterxml.jackson.databind."))).hasSizeLessThan(20);
        // An http:// service's checker is made without loading the JVM's trust store (~0.25 s): TLS is built for
        // https:// endpoints only.
        assertThat(loaded).contains("io.aegis.checkers.http.HttpCheckConfig ");
        assertThat(loaded).doesNotContain("sun.security.ssl.SSLContextImpl ");
    }

    @Test
    void theFirstHttpCheckInitialisesNoFlightRecorder() throws IOException {
        try (LoopbackHttpServer server = LoopbackHttpServer.start()) {
            TestConfigs.write(dir, "http.yaml", """
                    global:
                      metricsPort: 0
                    services:
                      - name: web
                        type: http
                        endpoint: http://127.0.0.1:%d/health
                        interval: 1s
                        timeout: 500ms
                    """.formatted(server.port()));
            Path classes = dir.resolve("classes.txt");
            try (AegisProcess aegis = AegisProcess.start(dir, Map.of("JAVA_OPTS", AegisProcess.JAVA_OPTS
                    + " -Xlog:class+load:file=" + classes), "--config=http.yaml")) {
                aegis.patiently().until(() -> aegis.stderr().contains("web: UNKNOWN -> HEALTHY"));
            }
            // Netty's JFR events, on by default, made the first check initialise JFR's metadata: 0.13 s of the start.
            assertThat(Files.readString(classes)).contains("io.aegis.checkers.http.Exchange ")
                    .doesNotContain("jdk.jfr.internal.MetadataLoader ");
        }
    }

    @Test
    void theFirstStartMakesTheArchiveAndTheNextStartMapsIt() throws IOException {
        TestConfigs.tcpOnly(dir, 0);
        Path cds = dir.resolve("cache").resolve("aegis-cds");
        Map<String, String> env = Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", cds.toString());

        // Not niced here: at nice 19 on a machine busy with other builds the training may wait for minutes.
        // The user's overrides are the real start's: the training beside it must neither take its state directory
        // or metrics port nor fail on a service override it has no such service for.
        try (AegisProcess first = AegisProcess.start(dir, Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", cds.toString(),
                "AEGIS_CDS_NICE", "0", "AEGIS_STATE_DIR", dir.resolve("user-state").toString(),
                "AEGIS_METRICS_PORT", Integer.toString(Loopback.freePort()),
                "AEGIS_SERVICE_NOTHING_HERE_INTERVAL", "2s"), "--config=tcp.yaml")) {
            // Made in the background: seconds on a quiet machine, longer on a loaded one.
            first.patiently().atMost(Duration.ofSeconds(180)).until(() -> files(cds, ".jsa").size() == 1
                    && files(cds, ".tmp").isEmpty() && AegisProcess.trainingsInto(cds).isEmpty());
            // Hostile F6: the ended training stayed aegis' <defunct> child (the JVM waits for no child it did not start).
            first.patiently().untilAsserted(() -> assertThat(first.children()).as("children of aegis").isEmpty());
        }
        assertThat(files(cds, ".failed")).isEmpty();
        // The training verified the archive's checksums once, so later starts need not read all of it.
        assertThat(files(cds, ".verified")).hasSize(1);

        Path classes = dir.resolve("classes.txt");
        // In another time zone than the training's: the archive's key read the executable's time as `ls -l` prints it,
        // in local time, so an image whose archive was made at build time missed it when run with -e TZ=...
        Result second = AegisProcess.run(dir, Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", cds.toString(),
                "JAVA_OPTS", AegisProcess.JAVA_OPTS + " -Xlog:class+load:file=" + classes,
                "TZ", "Pacific/Kiritimati"), "--config=tcp.yaml", "--validate");

        assertThat(second.exitCode()).as("%s", second).isZero();
        assertThat(Files.readString(classes)).contains(FROM_THE_ARCHIVE);
        assertThat(files(cds, ".jsa")).as("no second archive").hasSize(1);

        // Damaged inside (hostile F1: the JVM crashed mapping it), then given a modification time between the
        // executable's and the stamp's (hostile F2: a copy restored with cp -p; it was mapped unverified and every
        // start crashed): not mapped, since its time is no longer the verified one.
        Path archive = files(cds, ".jsa").get(0);
        Path stamp = files(cds, ".verified").get(0);
        assertThat(archive.toFile().setWritable(true, true)).isTrue(); // the JVM writes it read-only
        try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(archive,
                java.nio.file.StandardOpenOption.WRITE)) {
            byte[] noise = new byte[4096];
            new java.util.Random(11).nextBytes(noise);
            file.write(java.nio.ByteBuffer.wrap(noise), 100_000);
        }
        FileTime verifiedAt = Files.getLastModifiedTime(stamp);
        Files.setLastModifiedTime(archive, FileTime.fromMillis(verifiedAt.toMillis() - 1_000));
        assertThat(Files.getLastModifiedTime(archive).toMillis())
                .isGreaterThan(Files.getLastModifiedTime(AegisProcess.executable()).toMillis());
        Files.deleteIfExists(classes);
        Result damagedInside = AegisProcess.run(dir, Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", cds.toString(),
                "JAVA_OPTS", AegisProcess.JAVA_OPTS + " -Xlog:class+load:file=" + classes),
                "--config=tcp.yaml", "--validate");
        assertThat(damagedInside.exitCode()).as("%s", damagedInside).isZero();
        assertThat(damagedInside.stdout()).startsWith("config OK: 1 service");
        assertThat(Files.readString(classes)).as("the damaged archive is not mapped").doesNotContain(FROM_THE_ARCHIVE);

        // ... and a plain start makes a new one in the background (hostile F2 (a): it stayed damaged for good).
        try (AegisProcess third = AegisProcess.start(dir, Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", cds.toString(),
                "AEGIS_CDS_NICE", "0"), "--config=tcp.yaml")) {
            third.patiently().atMost(Duration.ofSeconds(180)).until(() -> AegisProcess.trainingsInto(cds).isEmpty()
                    && files(cds, ".tmp").isEmpty()
                    && Files.getLastModifiedTime(archive).equals(Files.getLastModifiedTime(stamp))
                    && !Files.getLastModifiedTime(stamp).equals(verifiedAt));
        }
        Files.deleteIfExists(classes);
        Result remade = AegisProcess.run(dir, Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", cds.toString(),
                "JAVA_OPTS", AegisProcess.JAVA_OPTS + " -Xlog:class+load:file=" + classes),
                "--config=tcp.yaml", "--validate");
        assertThat(remade.exitCode()).as("%s", remade).isZero();
        assertThat(Files.readString(classes)).as("the new archive is mapped").contains(FROM_THE_ARCHIVE);

        // An archive that does not fit (damaged, another JVM's, an older file's) is ignored without a word.
        Files.delete(archive);
        Files.writeString(archive, "not an archive");
        Result damaged = AegisProcess.run(dir, env, "--config=tcp.yaml", "--validate");
        assertThat(damaged.exitCode()).as("%s", damaged).isZero();
        assertThat(damaged.stderr()).as("%s", damaged).doesNotContainIgnoringCase("shar").doesNotContain("cds");
        assertThat(damaged.stdout()).startsWith("config OK: 1 service");
    }

    @Test
    void aTrainingStoppedBySigtermLeavesNoTemporaryDirectory() throws IOException {
        // Hostile F4: SIGTERM to a first start's process group (systemd, kill -- -pgid) stopped the training's JVM
        // through its shutdown hooks alone, and its directory stayed in /tmp.
        Path temp = Files.createDirectories(dir.resolve("tmp"));
        Path cds = dir.resolve("aegis-cds");
        try (AegisProcess training = AegisProcess.start(dir, Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", cds.toString(),
                "JAVA_OPTS", AegisProcess.JAVA_OPTS + " -Djava.io.tmpdir=" + temp), "--cds-train")) {
            training.patiently().atMost(Duration.ofSeconds(60)).until(() -> !trainingDirectories(temp).isEmpty());
            ProcessHandle jvm = training.descendant("--cds-train").orElseThrow();

            jvm.destroy(); // SIGTERM, as the process group gets it
            training.terminate();

            training.awaitExit(60);
            assertThat(jvm.onExit()).succeedsWithin(Duration.ofSeconds(60));
        }
        assertThat(trainingDirectories(temp)).as("what the training left in its temporary directory").isEmpty();
    }

    private static List<Path> trainingDirectories(Path temp) throws IOException {
        try (Stream<Path> entries = Files.list(temp)) {
            return entries.filter(entry -> entry.getFileName().toString().startsWith("aegis-cds-train-")).toList();
        }
    }

    @Test
    void aegisCdsOffMakesNoArchive() {
        TestConfigs.tcpOnly(dir, 0);
        Path cds = dir.resolve("aegis-cds");

        try (AegisProcess aegis = AegisProcess.start(dir, Map.of("AEGIS_CDS", "off", "AEGIS_CDS_DIR",
                cds.toString()), "--config=tcp.yaml")) {
            aegis.patiently().until(() -> aegis.stderr().contains("supervising 1 service"));

            // The launcher starts its training before aegis' JVM: by now it would be running.
            assertThat(AegisProcess.trainingsInto(cds)).isEmpty();
            assertThat(cds).doesNotExist();
        }
    }

    @Test
    void cdsTrainWithAegisCdsOffSaysThatItMakesNoArchive() {
        Path cds = dir.resolve("aegis-cds");

        Result result = AegisProcess.run(dir, Map.of("AEGIS_CDS", "off", "AEGIS_CDS_DIR", cds.toString()),
                "--cds-train");

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stderr()).as("%s", result).contains("AEGIS_CDS=off: no class-data-sharing archive made");
        assertThat(cds).doesNotExist();
    }

    @Test
    void withoutAWritableCacheDirectoryAegisRunsWithoutAnArchive() throws IOException {
        TestConfigs.tcpOnly(dir, 0);
        Path notADirectory = Files.writeString(dir.resolve("file"), "x"); // not writable under, even for root

        for (Map<String, String> env : List.of(
                Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", notADirectory.resolve("cds").toString()),
                Map.of("AEGIS_CDS", "on", "AEGIS_CDS_DIR", AegisProcess.UNSET, "XDG_CACHE_HOME", AegisProcess.UNSET,
                        "HOME", AegisProcess.UNSET))) {
            try (AegisProcess aegis = AegisProcess.start(dir, env, "--config=tcp.yaml")) {
                aegis.patiently().until(() -> aegis.stderr().contains("supervising 1 service"));

                assertThat(aegis.descendant("--cds-train")).as("%s", env).isEmpty();
                assertThat(aegis.stderr()).as("%s", env).doesNotContain("cds", "Error", "Exception");
            }
        }
    }

    @Test
    void aCollectorChosenInJavaOptsReplacesTheLaunchersSerialGc() {
        // The JVM refuses two collectors ("Conflicting collector combinations"): the stub must leave its own out.
        Result result = AegisProcess.run(dir, Map.of("JAVA_OPTS", "-Xmx128m -XX:+UseG1GC -Xlog:gc:stderr"),
                "--version");

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stderr()).as("%s", result).contains("Using G1");
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.getFileName().toString().endsWith(suffix)).toList();
        }
    }
}
