package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.plugin.support.ProcFs;
import java.io.IOException;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ServiceProcessesTest {
    private final ServiceProcesses processes = new ServiceProcesses("test-marker-" + ProcessHandle.current().pid());
    private Process marked;

    @BeforeEach
    void startAMarkedProcess() throws IOException {
        Assumptions.assumeTrue(ProcFs.available(), "Linux only: reads /proc");
        ProcessBuilder builder = new ProcessBuilder("sleep", "67");
        builder.environment().put(ServiceProcesses.VARIABLE, processes.marker());
        marked = builder.start();
    }

    @AfterEach
    void stopIt() {
        if (marked != null) {
            marked.destroyForcibly();
        }
    }

    @Test
    void findsAProcessByItsMarker() {
        assertThat(processes.find(OptionalLong.empty())).extracting(ProcessHandle::pid).contains(marked.pid());
    }

    @Test
    void readsTheMarkerOnlyOfProcessesThatStartedNoEarlierThanAsked() {
        long started = ProcFs.stat(marked.pid()).orElseThrow().startTicks();

        assertThat(processes.find(OptionalLong.empty(), started)).extracting(ProcessHandle::pid)
                .contains(marked.pid());
        assertThat(processes.find(OptionalLong.empty(), started + 1)).extracting(ProcessHandle::pid)
                .doesNotContain(marked.pid());
    }

    @Test
    void aProcessOfTheSessionIsFoundWhenItStartedEarlierToo() {
        long session = ProcFs.stat(marked.pid()).orElseThrow().session();

        assertThat(processes.find(OptionalLong.of(session), Long.MAX_VALUE)).extracting(ProcessHandle::pid)
                .contains(marked.pid());
    }
}
