package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.embedder.EmbeddedActionFactory;
import io.aegis.core.testing.CountingCheckerFactory;
import io.aegis.core.testing.ImpostorHttpCheckerFactory;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginRegistryTest {
    @TempDir
    Path pluginDir;

    private ClassLoader loaderWithExtraProviders(String... providerLines) throws IOException {
        Path services = pluginDir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve("io.aegis.api.HealthCheckerFactory"), String.join("\n", providerLines) + "\n");
        return new URLClassLoader(new URL[] {pluginDir.toUri().toURL()}, getClass().getClassLoader());
    }

    @Test
    void findsTheBundledPluginsOfEveryKind() {
        try (PluginRegistry registry = PluginRegistry.discover(getClass().getClassLoader())) {
            assertThat(registry.checkerTypes()).contains("http", "tcp");
            assertThat(registry.runtimeTypes()).contains("process");
            assertThat(registry.actionNames()).contains("restart", "notify", "ignore");
            assertThat(registry.problems()).isEmpty();
        }
    }

    @Test
    void constructsOnlyTheBundledFactoriesUpToTheTypeAskedFor() {
        int before = CountingCheckerFactory.CONSTRUCTED.get();

        try (PluginRegistry registry = PluginRegistry.discover(getClass().getClassLoader())) {
            assertThat(registry.checker("test-pass")).isPresent();
            assertThat(registry.runtime("process")).isPresent();
            assertThat(CountingCheckerFactory.CONSTRUCTED.get()).as("constructed before its type was needed")
                    .isEqualTo(before);

            // An unknown type: every factory is constructed, so that the error can list every type.
            assertThat(registry.checker("no-such-type")).isEmpty();
            assertThat(CountingCheckerFactory.CONSTRUCTED.get()).isEqualTo(before + 1);
            assertThat(registry.checkerTypes()).contains("test-counted", "test-pass", "http");
            assertThat(registry.checker("test-counted")).get().isInstanceOf(CountingCheckerFactory.class);
            assertThat(CountingCheckerFactory.CONSTRUCTED.get()).isEqualTo(before + 1);
        }
    }

    @Test
    void constructsAnEmbeddersOwnProviderOnAegisClassPathAtDiscovery() {
        // Review S3: an application embedding aegis has its plugins on aegis' class path; constructed lazily, a
        // duplicate or broken one of theirs was never reported (nobody asks for the list of types at a start).
        int before = EmbeddedActionFactory.CONSTRUCTED.get();

        try (PluginRegistry registry = PluginRegistry.discover(getClass().getClassLoader())) {
            assertThat(EmbeddedActionFactory.CONSTRUCTED.get()).as("constructed at discovery").isEqualTo(before + 1);
            assertThat(registry.actionNames()).contains("test-embedded", "restart");
            assertThat(EmbeddedActionFactory.CONSTRUCTED.get()).isEqualTo(before + 1);
        }
    }

    @Test
    void constructsEveryFactoryOfAKindAtDiscoveryWhenOneComesFromAPluginJar() throws IOException {
        ClassLoader loader = loaderWithExtraProviders(ImpostorHttpCheckerFactory.Broken.class.getName());
        int before = CountingCheckerFactory.CONSTRUCTED.get();

        try (PluginRegistry registry = PluginRegistry.discover(loader)) {
            assertThat(CountingCheckerFactory.CONSTRUCTED.get()).isEqualTo(before + 1);
        }
    }

    @Test
    void reportsABrokenProviderWithItsLocationAndKeepsTheOthers() throws IOException {
        ClassLoader loader = loaderWithExtraProviders(ImpostorHttpCheckerFactory.Broken.class.getName());

        try (PluginRegistry registry = PluginRegistry.discover(loader)) {
            assertThat(registry.checkerTypes()).contains("http", "tcp").doesNotContain("broken");
            assertThat(registry.problems()).singleElement().asString()
                    .startsWith("skipping HealthCheckerFactory " + ImpostorHttpCheckerFactory.Broken.class.getName() + " from ")
                    .contains("test-classes")
                    .contains("missing native library");
        }
    }

    @Test
    void reportsAProviderClassThatDoesNotExist() throws IOException {
        ClassLoader loader = loaderWithExtraProviders("com.example.NoSuchChecker");

        try (PluginRegistry registry = PluginRegistry.discover(loader)) {
            assertThat(registry.checkerTypes()).contains("http");
            assertThat(registry.problems()).singleElement().asString()
                    .startsWith("cannot load a HealthCheckerFactory provider: ")
                    .contains("com.example.NoSuchChecker");
        }
    }

    @Test
    void keepsTheFirstOfTwoProvidersForOneTypeAndNamesBoth() throws IOException {
        ClassLoader loader = loaderWithExtraProviders(ImpostorHttpCheckerFactory.class.getName());

        try (PluginRegistry registry = PluginRegistry.discover(loader)) {
            assertThat(registry.checker("http")).get().isNotInstanceOf(ImpostorHttpCheckerFactory.class);
            assertThat(registry.problems()).singleElement().asString()
                    .startsWith("two HealthCheckerFactory providers for type \"http\": using io.aegis.checkers.http.")
                    .contains("aegis-checkers")
                    .contains("ignoring " + ImpostorHttpCheckerFactory.class.getName() + " from ");
        }
    }
}
