package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {
    @TempDir
    Path tempDir;

    @Test
    void createsTheDirectoryAndEachServiceDirectoryOwnerOnly() throws IOException {
        try (StateDirectory state = StateDirectory.open(tempDir.resolve("a/b/state"))) {
            Path service = state.serviceDirectory("api");
            assertThat(service).isEqualTo(tempDir.resolve("a/b/state/services/api"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.path()))).isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(service))).isEqualTo("rwx------");
        }
    }

    @Test
    void tightensTheModeOfAnExistingDirectoryOfItsOwn() throws IOException {
        Path existing = Files.createDirectory(tempDir.resolve("state"));
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rwxrwxrwx"));
        StateDirectory.open(existing).close();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(existing))).isEqualTo("rwx------");
    }

    @Test
    void refusesASymbolicLinkPlantedAtItsPath() throws IOException {
        Path elsewhere = Files.createDirectory(tempDir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(tempDir.resolve("state"), elsewhere);
        assertThatThrownBy(() -> StateDirectory.open(link))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the state directory " + link + " is a symbolic link; aegis does not follow links there"
                        + " (someone could point it anywhere): remove it, or set global.stateDir to a real directory");
    }

    @Test
    void saysWhatWouldStopItsUseWithoutCreatingAnything() throws IOException {
        Path fresh = tempDir.resolve("a/b/state");
        Path file = Files.writeString(tempDir.resolve("file"), "x");
        Path link = Files.createSymbolicLink(tempDir.resolve("link"), Files.createDirectory(tempDir.resolve("real")));
        Path own = StateDirectory.open(tempDir.resolve("own")).path();

        assertThat(StateDirectory.problemWithoutCreating(fresh)).isEmpty();
        assertThat(tempDir.resolve("a")).doesNotExist();
        assertThat(StateDirectory.problemWithoutCreating(file.resolve("state"))).contains("cannot create the state"
                + " directory " + file.resolve("state") + ": " + file + " is not a directory");
        assertThat(StateDirectory.problemWithoutCreating(file)).contains("the state directory " + file
                + " exists and is not a directory");
        assertThat(StateDirectory.problemWithoutCreating(link)).hasValueSatisfying(problem -> assertThat(problem)
                .startsWith("the state directory " + link + " is a symbolic link"));
        assertThat(StateDirectory.problemWithoutCreating(own)).isEmpty();
    }

    @Test
    void refusesASymbolicLinkPlantedAsAServiceDirectory() throws IOException {
        Path elsewhere = Files.createDirectory(tempDir.resolve("elsewhere"));
        try (StateDirectory state = StateDirectory.open(tempDir.resolve("state"))) {
            Files.createDirectories(state.path().resolve("services"));
            Files.createSymbolicLink(state.path().resolve("services/api"), elsewhere);
            assertThatThrownBy(() -> state.serviceDirectory("api")).hasMessageContaining("is a symbolic link");
        }
    }

    @Test
    void refusesAFileWhereTheDirectoryShouldBe() throws IOException {
        Path file = Files.writeString(tempDir.resolve("state"), "x");
        assertThatThrownBy(() -> StateDirectory.open(file))
                .hasMessage("the state directory " + file + " exists and is not a directory");
    }

    @Test
    void secondLockOnTheSameDirectoryNamesTheHolder() {
        try (StateDirectory first = StateDirectory.open(tempDir.resolve("state"));
                StateDirectory second = StateDirectory.open(tempDir.resolve("state"))) {
            first.lock();
            assertThatThrownBy(second::lock).isInstanceOf(IllegalStateException.class)
                    .hasMessage("another aegis (pid " + ProcessHandle.current().pid() + ") is already using the state"
                            + " directory " + tempDir.resolve("state") + "; stop it first, or give this one its own"
                            + " global.stateDir");
        }
    }

    @Test
    void theLockIsFreeAgainAfterClose() {
        StateDirectory first = StateDirectory.open(tempDir.resolve("state"));
        first.lock();
        first.close();
        try (StateDirectory second = StateDirectory.open(tempDir.resolve("state"))) {
            second.lock();
        }
    }

    @Test
    void aTemporaryDirectoryIsDeletedOnClose() throws IOException {
        StateDirectory state = StateDirectory.temporary();
        Path service = state.serviceDirectory("api");
        Files.writeString(service.resolve("output.log"), "hello");
        state.close();
        assertThat(Files.exists(state.path(), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void namesThatCouldEscapeAreEscapedAndNeverCollide() {
        assertThat(StateDirectory.safeFileName("api-gateway.v2_1")).isEqualTo("api-gateway.v2_1");
        assertThat(StateDirectory.safeFileName("..")).doesNotContain("/").isNotEqualTo("..").startsWith("-");
        assertThat(StateDirectory.safeFileName("../../etc")).doesNotContain("/").doesNotStartWith(".");
        assertThat(StateDirectory.safeFileName("a/b")).isNotEqualTo(StateDirectory.safeFileName("a_b"));
    }

    @Test
    void theDefaultIsUnderXdgStateHomeAndStableForOneFile() {
        Map<String, String> env = Map.of("XDG_STATE_HOME", tempDir.toString());
        Path first = StateDirectory.defaultFor(Path.of("/etc/aegis/aegis.yaml"), env);
        assertThat(first.getParent()).isEqualTo(tempDir.resolve("aegis"));
        assertThat(first.getFileName().toString()).matches("aegis\\.yaml-[0-9a-f]{8}");
        assertThat(StateDirectory.defaultFor(Path.of("/etc/aegis/../aegis/aegis.yaml"), env)).isEqualTo(first);
        assertThat(StateDirectory.defaultFor(Path.of("/srv/aegis.yaml"), env)).isNotEqualTo(first);
        assertThat(StateDirectory.defaultFor(Path.of("/etc/aegis/aegis.yaml"), Map.of()).toString())
                .startsWith(System.getProperty("user.home") + "/.local/state/aegis/aegis.yaml-");
    }
}
