package io.aegis.runtimes.process;

/**
 * How the JDK starts the processes of the {@code process} runtime. A class of its own, with no logger and no
 * other state, so that the {@code aegis} command can choose before anything else runs (even before its logging
 * is configured).
 */
public final class LaunchMechanism {
    /** The JDK's property that picks how it starts a process; read once, when the JDK starts its first one. */
    static final String PROPERTY = "jdk.lang.Process.launchMechanism";

    private LaunchMechanism() {
    }

    /**
     * On Linux with JDK 17 to 24, unless the user chose a launch mechanism: {@code VFORK}, in which the JDK's child
     * executes the command directly, instead of the default {@code POSIX_SPAWN}, which executes the JDK's
     * {@code jspawnhelper} first and hands the command over through a pipe. One exec fewer on the way from a crash
     * to the replacement: measured from {@code ProcessBuilder.start()} to the exec of the service (through
     * {@code setsid}) on 2 cores at load 20, median 13-17 ms against 23-49 ms. JDK 25 deprecates VFORK (a warning on
     * stderr) and later JDKs remove it, so those keep their default. Takes effect only if no process was started in
     * this JVM before (the JDK reads the property once).
     *
     * <p>A system property of the whole JVM, so a plugin does not set it by itself: the {@code aegis} command calls
     * this first thing in {@code main}; an application that embeds the engine may call it before it starts any
     * process, if it wants the same.
     *
     * @return whether the property was set
     */
    public static boolean preferVfork() {
        if (System.getProperty(PROPERTY) != null || !"Linux".equals(System.getProperty("os.name"))
                || Runtime.version().feature() >= 25) {
            return false;
        }
        try {
            System.setProperty(PROPERTY, "VFORK");
            return true;
        } catch (SecurityException e) {
            return false;
        }
    }
}
