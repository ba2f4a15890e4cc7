package io.aegis.archetype;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.testkit.HealthCheckerContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The archetype as a new plugin author meets it: {@code mvn archetype:generate} with this build's archetype, then
 * {@code mvn verify} in the generated project (its unit test and every rule of aegis-testkit's HealthCheckerContract),
 * then the jar it built loaded by the real {@code aegis} command with {@code --plugin-dir}. Both Maven runs happen
 * once, before the tests, which then look at what they left.
 */
@Timeout(300)
class ArchetypeIT {
    private static final Path WORK = Path.of("target", "archetype-it").toAbsolutePath();
    private static final String VERSION = System.getProperty("aegis.version");
    private static final String PACKAGE = "com.example.aegis.port";
    private static final String TYPE = "port-open";

    private static Maven.Run generate;
    private static Maven.Run verify;
    private static Path project;

    @BeforeAll
    static void generateAndBuildAProject() throws IOException {
        deleteRecursively(WORK);
        Files.createDirectories(WORK);
        Maven maven = Maven.fromBuild(WORK);

        generate = maven.run(WORK, WORK.resolve("generate.log"),
                "org.apache.maven.plugins:maven-archetype-plugin:" + System.getProperty("aegis.it.archetypePlugin")
                        + ":generate",
                "-DarchetypeGroupId=io.aegis", "-DarchetypeArtifactId=aegis-plugin-archetype",
                "-DarchetypeVersion=" + VERSION, "-DgroupId=com.example", "-DartifactId=port-plugin",
                "-Dversion=1.0.0-SNAPSHOT", "-Dpackage=" + PACKAGE, "-DcheckerType=" + TYPE,
                "-DinteractiveMode=false");
        assertThat(generate.exitCode()).as("%s", generate).isZero();
        project = WORK.resolve("port-plugin");

        verify = maven.run(project, WORK.resolve("verify.log"), "verify");
    }

    @Test
    void generatedProjectBuildsAndPassesItsUnitTestsAndEveryContractRule() throws IOException {
        assertThat(verify.exitCode()).as("%s", verify).isZero();
        // Every rule of the kit ran (none skipped as not applying: the template's checker is a network one) and passed.
        long rules = Arrays.stream(HealthCheckerContract.class.getDeclaredMethods())
                .filter(method -> method.isAnnotationPresent(Test.class)).count();
        assertThat(rules).isGreaterThanOrEqualTo(9);
        assertThat(testCounts("PortCheckerContractTest")).as("%s", verify)
                .isEqualTo(new TestCounts((int) rules, 0, 0, 0));
        assertThat(testCounts("PortCheckerInEngineTest")).as("%s", verify).isEqualTo(new TestCounts(1, 0, 0, 0));
        TestCounts unit = testCounts("PortCheckerTest");
        assertThat(unit.tests()).isPositive();
        assertThat(unit).isEqualTo(new TestCounts(unit.tests(), 0, 0, 0));
        System.out.printf("archetype:generate took %d ms, verify of the generated project %d ms%n", generate.millis(),
                verify.millis());
    }

    @Test
    void generatedProjectStandsAloneAgainstThisVersionOfAegis() throws IOException {
        String pom = Files.readString(project.resolve("pom.xml"));

        assertThat(pom).as("an outside author's project: no aegis parent").doesNotContain("<parent>");
        assertThat(pom).contains("<aegis.version>" + VERSION + "</aegis.version>", "<scope>provided</scope>",
                "<artifactId>aegis-testkit</artifactId>");
        assertThat(project.resolve("src/main/java/com/example/aegis/port/PortCheckerFactory.java"))
                .content().contains("public static final String TYPE = \"" + TYPE + "\";");
        assertThat(project.resolve("aegis.yaml")).content().contains("type: " + TYPE);
        assertThat(project.resolve("README.md")).content().contains("--plugin-dir=target", "type: " + TYPE);
        assertThat(project.resolve(".gitignore")).content().contains("target/");
    }

    /**
     * The generated build takes its plugins and JUnit from where this build's are (in CI, a machine's first build
     * downloads nothing else), and an author gets the versions aegis is tested with: a version changed in the parent
     * must be changed in the template too.
     */
    @Test
    void generatedProjectPinsThePluginAndJUnitVersionsOfThisBuild() throws Exception {
        Map<String, String> ours = pluginVersions(Path.of(System.getProperty("aegis.parent.pom")));
        Map<String, String> generated = pluginVersions(project.resolve("pom.xml"));

        assertThat(generated).isNotEmpty();
        generated.forEach((plugin, version) -> assertThat(version)
                .as("%s in the template's pom.xml, against aegis-parent's pluginManagement", plugin)
                .isEqualTo(ours.get(plugin)));
        assertThat(Files.readString(project.resolve("pom.xml")))
                .contains("<junit.version>" + junitBomVersion(Path.of(System.getProperty("aegis.parent.pom")))
                        + "</junit.version>");
    }

    @Test
    void builtJarIsAPluginJar() throws IOException {
        assertThat(verify.exitCode()).as("%s", verify).isZero();
        try (JarFile jar = new JarFile(pluginJar().toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name")).isEqualTo(PACKAGE);
            assertThat(new String(jar.getInputStream(jar.getEntry("META-INF/services/io.aegis.api.HealthCheckerFactory"))
                    .readAllBytes()).strip()).isEqualTo(PACKAGE + ".PortCheckerFactory");
            assertThat(jar.stream().map(entry -> entry.getName()))
                    .as("aegis-api is provided by aegis, not shipped").noneMatch(name -> name.startsWith("io/aegis/"));
        }
    }

    @Test
    void aegisLoadsTheBuiltJarWithPluginDirAndItsCheckPasses() throws IOException {
        assertThat(verify.exitCode()).as("%s", verify).isZero();
        try (ServerSocket service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // The sample configuration as generated, pointed at a port that listens.
            String sample = Files.readString(project.resolve("aegis.yaml"));
            assertThat(sample).contains("endpoint: 127.0.0.1:8080");
            Files.writeString(project.resolve("it-aegis.yaml"),
                    sample.replace("127.0.0.1:8080", "127.0.0.1:" + service.getLocalPort()));
            Path log = WORK.resolve("aegis.log");

            Process aegis = startAegis(log, "--config=it-aegis.yaml", "--plugin-dir=target");
            try {
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                        .failFast(() -> assertThat(aegis.isAlive()).as(() -> "aegis runs; it exited:\n" + Maven.read(log))
                                .isTrue())
                        .untilAsserted(() -> assertThat(Maven.read(log)).contains("my-service: UNKNOWN -> HEALTHY"
                                + " (first passing check: connected to 127.0.0.1:" + service.getLocalPort() + " in "));
            } finally {
                stop(aegis);
            }
        }
    }

    @Test
    void aegisReportsATypoInThePluginsSettingWithDidYouMean() throws IOException {
        assertThat(verify.exitCode()).as("%s", verify).isZero();
        Files.writeString(project.resolve("it-typo.yaml"), Files.readString(project.resolve("aegis.yaml"))
                .replace("slowAfter:", "slowAftr:"));
        Path log = WORK.resolve("aegis-validate.log");

        Process aegis = startAegis(log, "--config=it-typo.yaml", "--plugin-dir=target", "--validate");
        int exitCode;
        try {
            assertThat(aegis.waitFor(60, TimeUnit.SECONDS)).as("aegis --validate ended").isTrue();
            exitCode = aegis.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            stop(aegis);
        }

        assertThat(exitCode).as(Maven.read(log)).isEqualTo(2);
        assertThat(Maven.read(log)).contains("services[0].slowAftr: unknown key \"slowAftr\"; did you mean \"slowAfter\"?");
    }

    /** artifactId to version of each plugin in {@code pom}'s build/pluginManagement. */
    private static Map<String, String> pluginVersions(Path pom) throws Exception {
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        NodeList plugins = (NodeList) XPathFactory.newInstance().newXPath()
                .evaluate("/project/build/pluginManagement/plugins/plugin", document, XPathConstants.NODESET);
        Map<String, String> versions = new TreeMap<>();
        for (int i = 0; i < plugins.getLength(); i++) {
            Element plugin = (Element) plugins.item(i);
            versions.put(child(plugin, "artifactId"), child(plugin, "version"));
        }
        return versions;
    }

    private static String junitBomVersion(Path pom) throws Exception {
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        return XPathFactory.newInstance().newXPath().evaluate(
                "/project/dependencyManagement/dependencies/dependency[artifactId='junit-bom']/version", document);
    }

    private static String child(Element element, String name) {
        NodeList children = element.getElementsByTagName(name);
        return children.getLength() == 0 ? null : children.item(0).getTextContent().strip();
    }

    private static Path pluginJar() {
        return project.resolve("target/port-plugin-1.0.0-SNAPSHOT.jar");
    }

    /** {@code aegis args} in the generated project's folder, as its README says; output (both streams) to {@code log}. */
    private static Process startAegis(Path log, String... args) throws IOException {
        Path executable = Path.of(System.getProperty("aegis.executable"));
        assertThat(executable).as("the aegis executable, built by aegis-cli").isExecutable();
        ProcessBuilder builder = new ProcessBuilder(Stream.concat(Stream.of(executable.toString()), Stream.of(args))
                .toList())
                .directory(project.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().keySet().removeIf(name -> name.startsWith("AEGIS_"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        // no class-data-sharing archive written into the real ~/.cache by a test
        builder.environment().put("AEGIS_CDS", "off");
        builder.environment().put("XDG_STATE_HOME", WORK.resolve("xdg-state").toString());
        return builder.start();
    }

    private static void stop(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The counts of the surefire report of test class {@code simpleName} in the generated project. */
    private static TestCounts testCounts(String simpleName) throws IOException {
        Path report = project.resolve("target/surefire-reports/TEST-" + PACKAGE + "." + simpleName + ".xml");
        assertThat(report).as("%s", verify).isRegularFile();
        String xml = Files.readString(report);
        Matcher suite = Pattern.compile("<testsuite [^>]*").matcher(xml);
        assertThat(suite.find()).as(xml).isTrue();
        return new TestCounts(attribute(suite.group(), "tests"), attribute(suite.group(), "failures"),
                attribute(suite.group(), "errors"), attribute(suite.group(), "skipped"));
    }

    private static int attribute(String element, String name) {
        Matcher value = Pattern.compile(" " + name + "=\"(\\d+)\"").matcher(element);
        assertThat(value.find()).as("%s in %s", name, element).isTrue();
        return Integer.parseInt(value.group(1));
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    record TestCounts(int tests, int failures, int errors, int skipped) {
    }
}
