package io.aegis.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

/** The tarball the build made ({@code -Daegis.dist.tarball}, set by failsafe), unpacked as a user would. */
final class Tarball {
    private Tarball() {
    }

    /** {@code target/aegis-<version>-linux-x64.tar.gz}. */
    static Path file() {
        Path tarball = Path.of(property("aegis.dist.tarball"));
        assertThat(tarball).as("the distribution tarball (run `mvn verify`, which builds it first)").isRegularFile();
        return tarball;
    }

    /** Unpacks it with {@code tar} into {@code dir} and returns its top folder, {@code dir/aegis-<version>}. */
    static Path unpack(Path dir) {
        Command.succeed("tar", "-xzf", file().toString(), "-C", dir.toString());
        Path home = dir.resolve(property("aegis.dist.name"));
        assertThat(home.resolve("bin/aegis")).as("bin/aegis in the tarball").isExecutable();
        return home;
    }

    static String property(String name) {
        String value = System.getProperty(name);
        assertThat(value).as("system property %s (set by failsafe in aegis-dist/pom.xml)", name).isNotBlank();
        return value;
    }
}
