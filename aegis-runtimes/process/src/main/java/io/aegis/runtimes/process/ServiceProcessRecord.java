package io.aegis.runtimes.process;

import io.aegis.plugin.support.StateFiles;
import io.aegis.plugin.support.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * What a process runtime started, written to {@value #FILE_NAME} in the service's state directory while it runs,
 * so that the next aegis on the same state directory finds what a killed one left behind.
 *
 * @param pid the process aegis started
 * @param startTicks its start time from {@code /proc/<pid>/stat} (clock ticks since boot), which tells it apart
 *     from a later process that got the same pid; empty where there is no {@code /proc}
 * @param startInstant its start time as the JDK reports it, the portable (coarser) form of the same
 * @param session the session it leads when it was started with {@code setsid}
 * @param command what it runs, for the log line that tells what is replaced
 * @param aegisPid the aegis that started it
 * @param marker the value of {@value ServiceProcesses#VARIABLE} its processes carry
 */
record ServiceProcessRecord(long pid, OptionalLong startTicks, Optional<Instant> startInstant, OptionalLong session,
        String command, long aegisPid, String marker) {

    /** The record's file name inside the service's state directory. */
    static final String FILE_NAME = "process.properties";

    /** The record of {@code process}, just started by this JVM. */
    static ServiceProcessRecord of(ProcessHandle process, OptionalLong session, List<String> command, String marker) {
        OptionalLong ticks = ProcFs.stat(process.pid()).map(stat -> OptionalLong.of(stat.startTicks()))
                .orElse(OptionalLong.empty());
        return new ServiceProcessRecord(process.pid(), ticks, process.info().startInstant(), session,
                String.join(" ", command), ProcessHandle.current().pid(), marker);
    }

    /** Whether {@code process} is the very process this record describes, not a later one with the same pid. */
    boolean describes(ProcessHandle process) {
        if (process.pid() != pid) {
            return false;
        }
        if (startTicks.isPresent()) {
            return ProcFs.stat(pid).map(stat -> stat.startTicks() == startTicks.getAsLong()).orElse(false);
        }
        return startInstant.isPresent() && process.info().startInstant().equals(startInstant);
    }

    /**
     * Writes the record atomically (a complete file or none) and owner-only, replacing any earlier one.
     *
     * @throws IOException when the state directory cannot be written
     */
    void write(Path directory) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("pid", Long.toString(pid));
        startTicks.ifPresent(ticks -> properties.setProperty("startTicks", Long.toString(ticks)));
        startInstant.ifPresent(instant -> properties.setProperty("startInstant", instant.toString()));
        session.ifPresent(id -> properties.setProperty("session", Long.toString(id)));
        properties.setProperty("command", command);
        properties.setProperty("aegisPid", Long.toString(aegisPid));
        properties.setProperty("marker", marker);
        StateFiles.writeProperties(directory, FILE_NAME, properties,
                "written by aegis: what runs for this service; do not edit");
    }

    /**
     * Reads the record in {@code directory}; empty when there is none.
     *
     * @throws IOException when it cannot be read or makes no sense (with a sentence)
     */
    static Optional<ServiceProcessRecord> read(Path directory) throws IOException {
        Optional<Properties> read = StateFiles.readProperties(directory, FILE_NAME);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Properties properties = read.get();
        try {
            return Optional.of(new ServiceProcessRecord(
                    Long.parseLong(required(properties, "pid")),
                    optionalLong(properties, "startTicks"),
                    Optional.ofNullable(properties.getProperty("startInstant")).map(Instant::parse),
                    optionalLong(properties, "session"),
                    properties.getProperty("command", "?"),
                    Long.parseLong(properties.getProperty("aegisPid", "0")),
                    required(properties, "marker")));
        } catch (RuntimeException e) {
            throw new IOException("the process record " + directory.resolve(FILE_NAME) + " is damaged (" + e.getMessage() + ")", e);
        }
    }

    /** Deletes the record in {@code directory} if it describes {@code pid}: a newer run's record stays. */
    static void deleteIfFor(Path directory, long pid) throws IOException {
        Optional<ServiceProcessRecord> record;
        try {
            record = read(directory);
        } catch (IOException e) {
            record = Optional.empty();
            Files.deleteIfExists(directory.resolve(FILE_NAME));
        }
        if (record.isPresent() && record.get().pid() == pid) {
            Files.deleteIfExists(directory.resolve(FILE_NAME));
        }
    }

    private static String required(Properties properties, String key) {
        String value = properties.getProperty(key);
        if (value == null) {
            throw new IllegalArgumentException("no " + key);
        }
        return value;
    }

    private static OptionalLong optionalLong(Properties properties, String key) {
        String value = properties.getProperty(key);
        return value == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(value));
    }
}
