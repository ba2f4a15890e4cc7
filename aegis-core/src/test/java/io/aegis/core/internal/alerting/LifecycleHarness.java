package io.aegis.core.internal.alerting;

import io.aegis.api.Alert;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Notification;
import io.aegis.api.Severity;
import io.aegis.core.AegisConfig;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.internal.VirtualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** An AlertLifecycle on virtual time with a recording sink: what each notifier was handed, in order. */
final class LifecycleHarness {
    final VirtualScheduler scheduler;
    final List<Sent> sent = new CopyOnWriteArrayList<>();
    final AlertLifecycle lifecycle;
    final AlertingConfig config;
    final AlertStore store;

    record Sent(String notifier, Notification notification, Instant at) {
        List<String> alerts() {
            return notification.alerts().stream().map(a -> a.name() + "/" + a.serviceName() + ":"
                    + a.state().name().toLowerCase(java.util.Locale.ROOT)).toList();
        }
    }

    LifecycleHarness(Instant start, String alertingYaml, Map<String, Optional<Duration>> notifiers,
            Map<String, List<String>> dependsOn, Path stateDirectory) {
        this(new VirtualScheduler(start), alertingYaml, notifiers, dependsOn, stateDirectory);
    }

    LifecycleHarness(VirtualScheduler scheduler, String alertingYaml, Map<String, Optional<Duration>> notifiers,
            Map<String, List<String>> dependsOn, Path stateDirectory) {
        this(scheduler, alertingYaml, notifiers, dependsOn, stateDirectory, fp -> false);
    }

    LifecycleHarness(VirtualScheduler scheduler, String alertingYaml, Map<String, Optional<Duration>> notifiers,
            Map<String, List<String>> dependsOn, Path stateDirectory, java.util.function.Predicate<String> standing) {
        this.scheduler = scheduler;
        List<ConfigProblem> problems = new ArrayList<>();
        this.config = AlertingConfig.parse(alerting(alertingYaml), List.copyOf(notifiers.keySet()), problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        this.store = stateDirectory == null ? null : new AlertStore(stateDirectory);
        // A direct executor: the timers' work runs when virtual time reaches it, on the test's thread.
        this.lifecycle = new AlertLifecycle(config, notifiers, dependsOn,
                (name, notification) -> sent.add(new Sent(name, notification, scheduler.now())), scheduler,
                Runnable::run, scheduler.clock(), store, standing);
    }

    static io.aegis.api.Settings alerting(String alertingYaml) {
        String yaml = "services: []\n" + (alertingYaml.isBlank() ? "" : "alerting:\n" + alertingYaml.stripIndent()
                .lines().map(line -> "  " + line).reduce("", (a, b) -> a + b + "\n"));
        return AegisConfig.parse(yaml, "aegis.yaml", Map.of()).alerting();
    }

    static List<ConfigProblem> problems(String alertingYaml, List<String> notifiers) {
        List<ConfigProblem> problems = new ArrayList<>();
        AlertingConfig.parse(alerting(alertingYaml), notifiers, problems);
        return problems;
    }

    static Map<String, Optional<Duration>> notifiers(String... names) {
        Map<String, Optional<Duration>> map = new LinkedHashMap<>();
        for (String name : names) {
            map.put(name, Optional.empty());
        }
        return map;
    }

    Alert alert(String name, String service, Severity severity) {
        return Alert.builder(name, service).severity(severity).summary(service + ": " + name)
                .startsAt(scheduler.now()).build();
    }

    Alert fire(Alert alert) {
        lifecycle.onEvent(AlertFired.of(alert));
        return alert;
    }

    Alert resolve(Alert alert) {
        Alert resolved = alert.resolve(scheduler.now());
        lifecycle.onEvent(AlertResolved.of(resolved));
        return resolved;
    }

    void advance(Duration duration) {
        scheduler.advance(duration);
    }

    List<Sent> sentTo(String notifier) {
        return sent.stream().filter(s -> s.notifier().equals(notifier)).toList();
    }
}
