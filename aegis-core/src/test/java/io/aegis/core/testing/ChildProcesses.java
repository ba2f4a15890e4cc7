package io.aegis.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Child processes for the engine's tests: real ones, found through /proc (ports: the kit's LoopbackPorts). */
public final class ChildProcesses {
    private ChildProcesses() {
    }

    /** The command that runs {@code main} in a new JVM with this test's class path. */
    public static List<String> javaCommand(Class<?> main, String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * The {@code runtime:} settings of a process service running {@link DemoServerMain} on {@code port}, its
     * output in {@code logFile}, stopped with a 2 s grace period.
     */
    public static Map<String, Object> demoServerRuntime(int port, Path logFile) {
        return Map.of("command", javaCommand(DemoServerMain.class, String.valueOf(port)), "logFile",
                logFile.toString(), "stopGracePeriod", "2s");
    }

    /** The live child running {@link DemoServerMain} for {@code port} (the newest, if several). */
    public static long demoServerPid(int port) {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> commandLine(p.pid()).contains(DemoServerMain.class.getName() + "\u0000" + port))
                .mapToLong(ProcessHandle::pid).max().orElseThrow();
    }

    /** The NUL-separated command line of {@code pid} ("" when gone): ProcessHandle.Info drops long ones. */
    public static String commandLine(long pid) {
        try {
            return Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline"));
        } catch (IOException e) {
            return "";
        }
    }
}
