package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's training run cleans up after trainings killed by SIGKILL. */
class CdsTrainingTest {
    @TempDir
    Path temp;

    @Test
    void removesTheDirectoriesOfTrainingsThatNoLongerRunAndKeepsTheOthers() throws Exception {
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        Path ofAKilledTraining = directoryWithAFile("aegis-cds-train-" + exited.pid() + "-123");
        Path ofARunningTraining = directoryWithAFile("aegis-cds-train-" + ProcessHandle.current().pid() + "-456");
        Path oldWithoutPid = directoryWithAFile("aegis-cds-train-2803584359145251017");
        Files.setLastModifiedTime(oldWithoutPid, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        Path recentWithoutPid = directoryWithAFile("aegis-cds-train-9996839964947823693");
        Path somethingElse = directoryWithAFile("aegis-runtime-1");

        CdsTraining.removeLeftovers(temp, Instant.now());

        assertThat(ofAKilledTraining).doesNotExist();
        assertThat(oldWithoutPid).doesNotExist();
        assertThat(ofARunningTraining).isDirectory();
        assertThat(recentWithoutPid).isDirectory();
        assertThat(somethingElse).isDirectory();
    }

    private Path directoryWithAFile(String name) throws IOException {
        Path directory = Files.createDirectory(temp.resolve(name));
        Files.writeString(directory.resolve("aegis.yaml"), "services: []\n");
        return directory;
    }
}
