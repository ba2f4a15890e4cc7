package io.aegis.checkers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.FailureReason;
import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** How a checker's error becomes a failure reason: the target's trouble fails the check, aegis' own gives no verdict. */
class FailuresTest {
    @Test
    void runningOutOfFileDescriptorsIsNoVerdictNotAFailedConnect() {
        // as Netty's epoll transport says it (a ChannelException around a NativeIoException, an IOException)
        Throwable emfile = new IllegalStateException(new IOException(
                "newSocketStream(..) failed with error(-24): Too many open files"));
        Throwable enfile = new IOException("accept(..) failed: Too many open files in system");

        assertThat(Failures.reasonOf(emfile)).isEqualTo(FailureReason.PLUGIN_ERROR);
        assertThat(Failures.reasonOf(enfile)).isEqualTo(FailureReason.PLUGIN_ERROR);
        assertThat(Failures.reasonOf(new ConnectException("Connection refused"))).isEqualTo(FailureReason.CONNECT);
    }
}
