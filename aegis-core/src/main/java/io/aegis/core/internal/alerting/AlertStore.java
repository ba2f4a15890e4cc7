package io.aegis.core.internal.alerting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.api.Alert;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.alerting.Silence;
import io.aegis.plugin.support.StateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alert lifecycle's memory across restarts, in {@code <stateDir>/alerts/lifecycle.properties}
 * ({@link StateFiles}: owner-only, replaced atomically): one line per alert that fires or whose resolve is still
 * to be sent, with the routes and notifiers its firing was notified to, and one line per silence added at run
 * time. Each value is a JSON record ({@link AlertJson}). A damaged record is skipped with a warning: a bad file
 * must never stop aegis from starting.
 */
public final class AlertStore {
    private static final Logger log = LoggerFactory.getLogger(AlertStore.class);
    static final String FILE = "lifecycle.properties";

    private final Path directory;
    private boolean writeFailureLogged;
    private final java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();

    /** A store in {@code directory} (created when first written). */
    public AlertStore(Path directory) {
        this.directory = directory;
    }

    /**
     * An alert as kept: firing, or resolved with its resolve still to send.
     *
     * @param notified the ids of the routes whose group notified its firing, and {@code resend:<notifier>} for
     *     each resend notifier that got it
     * @param standing whether only its fingerprint's resolve ends it (a threshold rule's), not its service's health
     */
    public record Record(Alert alert, Set<String> notified, boolean standing) {
    }

    /** Everything kept. */
    public record State(List<Record> alerts, List<Silence> silences) {
    }

    /** What the last run kept; empty when nothing (or nothing readable) is there. */
    public State load() {
        Optional<Properties> properties;
        try {
            properties = StateFiles.readProperties(directory, FILE);
        } catch (IOException e) {
            log.warn("could not read the alerts kept by the last run from {}: {}; starting without them",
                    directory.resolve(FILE), e.getMessage());
            return new State(List.of(), List.of());
        }
        List<Record> alerts = new ArrayList<>();
        List<Silence> silences = new ArrayList<>();
        properties.ifPresent(values -> new TreeSet<>(values.stringPropertyNames()).forEach(key -> {
            try {
                JsonNode node = AlertJson.mapper().readTree(values.getProperty(key));
                if (key.startsWith("alert.")) {
                    Set<String> notified = new TreeSet<>();
                    node.path("notified").forEach(id -> notified.add(id.asText()));
                    alerts.add(new Record(AlertJson.alert(node.path("alert")), notified,
                            node.path("standing").asBoolean(false)));
                } else if (key.startsWith("silence.")) {
                    silences.add(silence(node));
                }
            } catch (IOException | RuntimeException e) {
                log.warn("skipping a damaged record {} in {}: {}", key, directory.resolve(FILE), e.getMessage());
            }
        }));
        return new State(alerts, silences);
    }

    /** Replaces what is kept with {@code state}; a failure is logged (once until it works again), never thrown. */
    public void save(State state) {
        writes.incrementAndGet();
        Properties properties = new Properties();
        for (Record record : state.alerts()) {
            ObjectNode node = AlertJson.mapper().createObjectNode();
            node.put("version", AlertJson.VERSION);
            node.set("alert", AlertJson.toJson(record.alert()));
            ArrayNode notified = node.putArray("notified");
            new TreeSet<>(record.notified()).forEach(notified::add);
            node.put("standing", record.standing());
            properties.setProperty("alert." + record.alert().fingerprint(), node.toString());
        }
        for (Silence silence : state.silences()) {
            properties.setProperty("silence." + silence.id(), json(silence).toString());
        }
        try {
            Files.createDirectories(directory);
            StateFiles.writeProperties(directory, FILE, properties, "aegis alert lifecycle: firing alerts,"
                    + " what was notified, silences added at run time");
            writeFailureLogged = false;
        } catch (IOException | UncheckedIOException e) {
            if (!writeFailureLogged) {
                writeFailureLogged = true;
                log.error("could not keep the firing alerts in {}: {}; after a restart their resolves may not be sent",
                        directory.resolve(FILE), e.getMessage());
            }
        }
    }

    /** How many times the state was written (for the tests of the work a change costs). */
    long writes() {
        return writes.get();
    }

    private static ObjectNode json(Silence silence) {
        ObjectNode node = AlertJson.mapper().createObjectNode();
        node.put("version", AlertJson.VERSION);
        node.put("id", silence.id());
        ArrayNode matchers = node.putArray("matchers");
        silence.matchers().forEach(matcher -> matchers.add(matcher.toString()));
        node.put("startsAt", silence.startsAt().toString());
        node.put("endsAt", silence.endsAt().toString());
        node.put("createdBy", silence.createdBy());
        node.put("comment", silence.comment());
        return node;
    }

    private static Silence silence(JsonNode node) {
        List<Matcher> matchers = new ArrayList<>();
        node.path("matchers").forEach(matcher -> matchers.add(Matcher.parse(matcher.asText())));
        return new Silence(node.path("id").asText(), matchers, Instant.parse(node.path("startsAt").asText()),
                Instant.parse(node.path("endsAt").asText()), node.path("createdBy").asText(""),
                node.path("comment").asText(""), Optional.empty());
    }
}
