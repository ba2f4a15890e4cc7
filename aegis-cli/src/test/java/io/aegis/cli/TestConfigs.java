package io.aegis.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Configuration files the end-to-end tests run aegis on. */
final class TestConfigs {
    private TestConfigs() {
    }

    /**
     * Supervises the demo service on {@code demoPort}: started through the process runtime, checked over HTTP
     * every 500ms, restarted when it fails; metrics on {@code metricsPort}; state in {@code dir/state}, so that
     * two aegis runs on this file share it and no test shares another's.
     */
    static Path supervisedDemo(Path dir, int demoPort, int metricsPort) {
        return write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: true
                  metricsPort: %d
                  stateDir: state
                services:
                  - name: demo
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 500ms
                    timeout: 1s
                    startPeriod: 3s
                    actions:
                      onFailure: restart
                      backoff:
                        initial: 100ms
                    runtime:
                      type: process
                      command: [%s, -Xmx64m, -XX:+UseSerialGC, -XX:TieredStopAtLevel=1, -jar, %s, --port=%d]
                      stopGracePeriod: 5s
                      logFile: %s
                """.formatted(metricsPort, demoPort, quote(AegisProcess.java().toString()),
                quote(AegisProcess.demoJar().toString()), demoPort, quote(dir.resolve("demo.log").toString())));
    }

    /** One TCP check of a port nothing listens on (it only notifies), with metrics on {@code metricsPort}. */
    static Path tcpOnly(Path dir, int metricsPort) {
        return write(dir, "tcp.yaml", """
                global:
                  metricsEnabled: true
                  metricsPort: %d
                  stateDir: state
                services:
                  - name: nothing-here
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 1s
                    timeout: 500ms
                    actions:
                      onFailure: notify
                """.formatted(metricsPort, Loopback.freePort()));
    }

    /**
     * The demo service's command as the items of a YAML flow sequence ({@code command: [<this>, --port=...]}): the
     * test JVM's java running the demo jar, small and quick to start.
     */
    static String demoCommand() {
        return "%s, -Xmx64m, -XX:+UseSerialGC, -XX:TieredStopAtLevel=1, -Xshare:auto, -jar, %s".formatted(
                quote(AegisProcess.java().toString()), quote(AegisProcess.demoJar().toString()));
    }

    static Path write(Path dir, String name, String yaml) {
        try {
            return Files.writeString(dir.resolve(name), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A YAML double-quoted scalar. */
    static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
