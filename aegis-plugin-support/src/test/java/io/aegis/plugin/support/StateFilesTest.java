package io.aegis.plugin.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFilesTest {
    @TempDir
    Path dir;

    @Test
    void aRecordIsWrittenWholeOwnerOnlyReplacesTheOldOneAndReadsBack() throws IOException {
        Properties first = new Properties();
        first.setProperty("revision", "1");
        StateFiles.writeProperties(dir, "record.properties", first, "test");
        Properties second = new Properties();
        second.setProperty("revision", "2");
        StateFiles.writeProperties(dir, "record.properties", second, "test");

        assertThat(StateFiles.readProperties(dir, "record.properties")).hasValueSatisfying(read ->
                assertThat(read).containsExactly(java.util.Map.entry("revision", "2")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("record.properties"))))
                .isEqualTo("rw-------");
        assertThat(dir.resolve("record.properties.tmp")).doesNotExist();
    }

    @Test
    void noFileIsEmptyAndAFileThatIsNoPropertiesFileSaysSo() throws IOException {
        assertThat(StateFiles.readProperties(dir, "none.properties")).isEmpty();

        Files.writeString(dir.resolve("bad.properties"), "revision=\\uZZZZ\n");
        assertThatThrownBy(() -> StateFiles.readProperties(dir, "bad.properties")).isInstanceOf(IOException.class)
                .hasMessageStartingWith("it is not a properties file (");
    }
}
