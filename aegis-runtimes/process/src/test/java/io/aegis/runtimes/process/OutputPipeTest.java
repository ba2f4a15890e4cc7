package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputPipeTest {
    @TempDir
    Path dir;

    @Test
    void aPipeWhoseNameCannotBeRemovedIsStillHandedOverAndCarriesTheOutput() throws IOException, InterruptedException {
        OutputPipe pipe = OutputPipe.create(dir);
        Process writer = new ProcessBuilder("sh", "-c", "echo hello").redirectErrorStream(true)
                .redirectOutput(pipe.redirect()).start();
        // What a state directory gone read-only does to the removal of the name (root may write anywhere): it fails.
        Path name = dir.resolve(OutputPipe.NAME);
        Files.delete(name);
        Files.createDirectories(name.resolve("x"));

        // Giving the pipe up closed its reading end, and a process that wrote died of SIGPIPE.
        try (FileChannel source = pipe.handOver()) {
            ByteBuffer read = ByteBuffer.allocate(64);
            while (source.read(read) >= 0) {
                // until the writer closed it
            }
            assertThat(new String(read.array(), 0, read.position(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        }
        assertThat(writer.waitFor()).isZero();
    }
}
