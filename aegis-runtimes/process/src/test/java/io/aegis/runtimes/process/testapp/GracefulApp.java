package io.aegis.runtimes.process.testapp;

import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for a real service, run as a child process by the tests: it prints {@value #READY} once it can
 * handle SIGTERM, prints {@value #SHUTTING_DOWN} from a shutdown hook (which the JVM runs on SIGTERM but not on
 * SIGKILL), and otherwise waits forever.
 */
public final class GracefulApp {

    /** Printed once the shutdown hook is installed. */
    public static final String READY = "graceful app ready";

    /** Printed by the shutdown hook. */
    public static final String SHUTTING_DOWN = "graceful app received SIGTERM, shutting down";

    private GracefulApp() {
    }

    /** Installs the hook, says it is ready and waits until the JVM is told to end. */
    public static void main(String[] args) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println(SHUTTING_DOWN)));
        System.out.println(READY);
        new CountDownLatch(1).await();
    }
}
