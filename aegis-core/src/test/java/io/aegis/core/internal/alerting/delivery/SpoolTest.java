package io.aegis.core.internal.alerting.delivery;

import static io.aegis.core.internal.alerting.delivery.NotificationDeliveryTest.firing;
import static io.aegis.core.internal.alerting.delivery.NotificationDeliveryTest.resolved;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.core.testing.LogCapture;
import io.aegis.core.internal.VirtualScheduler;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool on real files, crash-style: an aegis that is killed does not close anything, and may leave half a
 * record at the end of the journal. Each "run" here is a new {@link NotificationDelivery} on the same directory;
 * a killed run is simply never closed before the next one reads the files.
 */
class SpoolTest {
    @TempDir
    Path dir;

    final VirtualScheduler scheduler = new VirtualScheduler(NotificationDeliveryTest.T0);
    final List<NotificationDelivery> runs = new ArrayList<>();

    @AfterEach
    void closeRuns() {
        runs.forEach(NotificationDelivery::close);
    }

    Path journal() {
        return dir.resolve("hook.journal");
    }

    /** Starts a run whose receiver is down (nothing is ever delivered). */
    NotificationDelivery runWithReceiverDown() {
        return run(notification -> CompletableFuture.failedFuture(new IOException("connection refused")));
    }

    NotificationDelivery run(Notifier notifier) {
        NotificationDelivery run = new NotificationDelivery(Map.of("hook", notifier), dir, false, scheduler,
                Runnable::run);
        runs.add(run);
        run.start();
        return run;
    }

    /** Starts a run whose receiver accepts everything, and returns the ids it received. */
    List<String> runWithReceiverUp() {
        List<String> received = new CopyOnWriteArrayList<>();
        run(new Notifier() {
            @Override
            public CompletionStage<Void> deliver(Alert alert) {
                throw new AssertionError("whole notifications expected");
            }

            @Override
            public CompletionStage<Void> deliver(Notification notification) {
                received.add(notification.id() + ":" + notification.status().name().toLowerCase());
                return CompletableFuture.completedFuture(null);
            }
        });
        return received;
    }

    @Test
    void whatWasNotDeliveredWhenAegisWasKilledIsDeliveredAfterTheRestartInOrder() {
        NotificationDelivery killed = runWithReceiverDown();
        killed.enqueue("hook", firing("n1", "api"));
        killed.enqueue("hook", firing("n2", "db"));
        killed.enqueue("hook", resolved("n3", "api"));

        List<String> received = runWithReceiverUp();

        assertThat(received).containsExactly("n1:firing", "n2:firing", "n3:resolved");
    }

    @Test
    void whatWasDeliveredIsNotDeliveredAgainAfterAKill() {
        List<String> first = runWithReceiverUp();
        runs.get(0).enqueue("hook", firing("n1", "api"));
        runs.get(0).enqueue("hook", resolved("n2", "api"));
        assertThat(first).hasSize(2);

        assertThat(runWithReceiverUp()).isEmpty();
    }

    @Test
    void aHalfWrittenRecordAtTheEndIsSkippedWithAWarningAndTheRestIsDelivered() throws IOException {
        NotificationDelivery killed = runWithReceiverDown();
        killed.enqueue("hook", firing("n1", "api"));
        killed.enqueue("hook", resolved("n2", "api"));
        // killed in the middle of writing a third record
        byte[] third = Spool.line(io.aegis.core.internal.alerting.AlertJson.mapper().createObjectNode()
                .put("seq", 3).set("notification", io.aegis.core.internal.alerting.AlertJson.toJson(
                        firing("n3", "api"))));
        Files.write(journal(), java.util.Arrays.copyOf(third, third.length / 2), StandardOpenOption.APPEND);

        List<String> received = new ArrayList<>();
        String log = LogCapture.stderrDuring(() -> received.addAll(runWithReceiverUpAndThenDown()));

        assertThat(received).containsExactly("n1:firing", "n2:resolved");
        assertThat(log).contains("hook: skipped the last record of the notification spool " + journal()
                + ": it is incomplete (aegis stopped while writing it, e.g. killed)");
        // what is written after the damaged tail is read whole by the next run
        assertThat(runWithReceiverUp()).containsExactly("n4:firing");
    }

    /** A run that delivers what is spooled, then loses its receiver and is killed with n4 pending. */
    private List<String> runWithReceiverUpAndThenDown() {
        List<String> received = runWithReceiverUp();
        NotificationDelivery run = runs.get(runs.size() - 1);
        List<String> delivered = List.copyOf(received);
        NotificationDelivery down = new NotificationDelivery(Map.of("hook",
                n -> CompletableFuture.failedFuture(new IOException("down"))), dir, false, scheduler, Runnable::run);
        run.close(); // this run ends cleanly; the next is killed with n4 pending
        runs.add(down);
        down.start();
        down.enqueue("hook", firing("n4", "api"));
        return delivered;
    }

    @Test
    void aDamagedRecordInTheMiddleIsSkippedAndTheOthersAreDelivered() throws IOException {
        NotificationDelivery killed = runWithReceiverDown();
        killed.enqueue("hook", firing("n1", "api"));
        killed.enqueue("hook", firing("n2", "db"));
        killed.enqueue("hook", firing("n3", "web"));
        List<String> lines = new ArrayList<>(Files.readAllLines(journal(), StandardCharsets.UTF_8));
        lines.set(1, lines.get(1).replace("\"db\"", "\"dc\"")); // a flipped bit: the checksum no longer matches
        Files.write(journal(), lines, StandardCharsets.UTF_8);

        List<String> received = new ArrayList<>();
        String log = LogCapture.stderrDuring(() -> received.addAll(runWithReceiverUp()));

        assertThat(received).containsExactly("n1:firing", "n3:firing");
        assertThat(log).contains("hook: skipped record 2 of the notification spool " + journal() + ": it is damaged");
    }

    @Test
    void theJournalIsCompactedOnceMostOfItIsAcknowledged() throws IOException {
        runWithReceiverUp();
        for (int i = 0; i < 3 * Spool.COMPACT_AFTER; i++) {
            runs.get(0).enqueue("hook", firing("n" + i, "api"));
        }

        assertThat(Files.readAllLines(journal())).as("records left in the journal").hasSizeLessThan(
                2 * Spool.COMPACT_AFTER);
        assertThat(Files.size(journal())).isLessThan(64 * 1024);
    }

    @Test
    void theJournalOfANotifierNoLongerConfiguredIsKeptAndReported() {
        runWithReceiverDown().enqueue("hook", firing("n1", "api"));

        String log = LogCapture.stderrDuring(() -> {
            NotificationDelivery renamed = new NotificationDelivery(Map.of("pager",
                    n -> CompletableFuture.completedFuture(null)), dir, false, scheduler, Runnable::run);
            runs.add(renamed);
            renamed.start();
        });

        assertThat(log).contains("the notification spool " + journal() + " belongs to no configured notifier");
        assertThat(journal()).isNotEmptyFile();
    }

    /** A spool whose journal channels are {@link FailingChannel}s; {@link #failing} is the one open now. */
    Spool spoolWithFailingWrites() {
        return Spool.open(journal(), "hook", (file, options, attributes) -> {
            failing = new FailingChannel(FileChannel.open(file, options, attributes));
            return failing;
        });
    }

    FailingChannel failing;

    /** The notification ids waiting in the journal, as the next start reads it. */
    List<String> waitingAtTheNextStart() {
        try (Spool next = Spool.open(journal(), "hook")) {
            return next.waiting().stream().map(spooled -> spooled.notification().id()).toList();
        }
    }

    @Test
    void aWriteThatFailsHalfwayIsCutOffAndTheNextRecordIsWhole() {
        Spool spool = spoolWithFailingWrites();
        spool.append(firing("n1", "api"));
        failing.failNextWrite = true; // the disk is full halfway through n2
        String log = LogCapture.stderrDuring(() -> spool.append(resolved("n2", "api")));
        spool.append(firing("n3", "db"));
        spool.close();

        assertThat(log).contains("hook: cannot write to the notification spool " + journal()
                + " (java.io.IOException: No space left on device): notifications waiting for delivery are kept in"
                + " memory only");
        // n2 was never delivered: once the disk takes writes again, it is written with the rest of the backlog.
        String next = LogCapture.stderrDuring(() -> assertThat(waitingAtTheNextStart())
                .containsExactly("n1", "n2", "n3"));
        assertThat(next).doesNotContain("damaged").doesNotContain("incomplete");
    }

    @Test
    void whatTheDiskRefusedIsWrittenOnceItTakesWritesAgainSoNothingWaitingIsLostAtTheNextStart() {
        Spool spool = spoolWithFailingWrites();
        spool.append(firing("n1", "api"));
        failing.failNextWrite = true; // the disk is full: n2 is kept in memory only
        String log = LogCapture.stderrDuring(() -> spool.append(resolved("n2", "api")));
        // n1 is delivered meanwhile, from memory, and the disk takes writes again: its acknowledgement is the
        // first write since, and it puts the whole backlog (n2) on disk
        String recovered = LogCapture.stderrDuring(() -> spool.ack(1));
        spool.append(firing("n3", "db"));
        spool.close();

        assertThat(log).contains("cannot write to the notification spool");
        assertThat(recovered).contains("hook: the notification spool " + journal() + " is writable again; the 1"
                + " notification(s) waiting for delivery are on disk again");
        String next = LogCapture.stderrDuring(() -> assertThat(waitingAtTheNextStart()).containsExactly("n2", "n3"));
        assertThat(next).doesNotContain("damaged").doesNotContain("incomplete");
    }

    @Test
    void whenTheFailedWriteCannotBeCutOffTheNextWriteRewritesTheJournalWhole() {
        Spool spool = spoolWithFailingWrites();
        spool.append(firing("n1", "api"));
        failing.failNextWrite = true;
        failing.failTruncate = true;
        LogCapture.stderrDuring(() -> spool.append(resolved("n2", "api")));
        spool.append(firing("n3", "db"));
        spool.close();

        // The next write rewrites the whole backlog (the failed write left the spool behind): no damaged line.
        String next = LogCapture.stderrDuring(() -> assertThat(waitingAtTheNextStart())
                .containsExactly("n1", "n2", "n3"));
        assertThat(next).doesNotContain("damaged");
    }

    @Test
    void theJournalIsReadableByItsOwnerOnly() throws IOException {
        runWithReceiverDown().enqueue("hook", firing("n1", "api"));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(journal()))).isEqualTo("rw-------");
    }

    @Test
    void aRetryInVirtualTimeDoesNotWriteTheNotificationTwice() throws IOException {
        NotificationDelivery run = runWithReceiverDown();
        run.enqueue("hook", firing("n1", "api"));
        scheduler.advance(Duration.ofMinutes(10));

        assertThat(Files.readAllLines(journal())).hasSize(1);
    }
}
