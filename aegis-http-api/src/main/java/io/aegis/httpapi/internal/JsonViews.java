package io.aegis.httpapi.internal;

import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.core.ServiceSnapshot;
import io.aegis.core.alerting.ActiveAlert;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.alerting.Silence;
import io.aegis.core.event.ServiceEvent;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON shapes of the API, as maps and lists for Jackson to write: one place, so the routes, the event stream
 * and the OpenAPI document agree. Times are ISO-8601 strings, latencies milliseconds.
 */
public final class JsonViews {
    private JsonViews() {
    }

    /** A service: its snapshot, what the API remembers of it, and its firing alerts. */
    public static Map<String, Object> service(ServiceSnapshot snapshot, ServiceHistory history,
            List<ActiveAlert> alerts, Instant now) {
        Map<String, Object> json = new LinkedHashMap<>();
        String name = snapshot.name();
        json.put("name", name);
        json.put("state", snapshot.state().name());
        json.put("since", snapshot.since().toString());
        json.put("sinceSeconds", Math.max(0, Duration.between(snapshot.since(), now).toSeconds()));
        putWorkloadAndCheck(snapshot, json);
        json.put("recoveries", snapshot.recoveries());
        Instant lastCheckAt = history.lastCheckAt(name);
        json.put("lastCheck", snapshot.lastResult().map(result -> {
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("at", lastCheckAt == null ? null : lastCheckAt.toString());
            check.putAll(checkResult(result));
            return check;
        }).orElse(null));
        json.put("latencies", history.latencies(name));
        List<Map<String, Object>> transitions = new ArrayList<>();
        for (ServiceHistory.Transition transition : history.transitions(name)) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("at", transition.at().toString());
            one.put("from", transition.from());
            one.put("to", transition.to());
            one.put("reason", transition.reason());
            transitions.add(one);
        }
        json.put("transitions", transitions);
        List<Map<String, Object>> firing = new ArrayList<>();
        for (ActiveAlert active : alerts) {
            Alert alert = active.alert();
            if (name.equals(alert.serviceName())) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("name", alert.name());
                one.put("severity", value(alert.severity()));
                one.put("summary", alert.summary());
                one.put("startsAt", alert.startsAt().toString());
                one.put("silenced", active.silenced());
                firing.add(one);
            }
        }
        json.put("alerts", firing);
        return json;
    }

    /** Paused, ladder step, workload and check of a snapshot. */
    private static void putWorkloadAndCheck(ServiceSnapshot snapshot, Map<String, Object> json) {
        json.put("paused", snapshot.paused());
        json.put("ladderStep", snapshot.ladderStep().orElse(null));
        json.put("workload", snapshot.workload().orElse(null));
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("type", snapshot.checkType());
        check.put("endpoint", snapshot.endpoint());
        json.put("check", check);
    }

    /** A check cycle's verdict, flat: status, passing, latencyMs, reason, message. */
    public static Map<String, Object> checkResult(CheckResult result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("status", result.status().name());
        json.put("passing", result.isPassing());
        json.put("latencyMs", result.latency().toNanos() / 1e6);
        json.put("reason", result.failureReason().map(Enum::name).orElse(null));
        json.put("message", result.message());
        return json;
    }

    /** A firing alert with what mutes it. */
    public static Map<String, Object> alert(ActiveAlert active) {
        Alert alert = active.alert();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", alert.name());
        json.put("service", alert.serviceName());
        json.put("severity", value(alert.severity()));
        json.put("state", value(alert.state()));
        json.put("summary", alert.summary());
        json.put("labels", alert.labels());
        json.put("annotations", alert.annotations());
        json.put("startsAt", alert.startsAt().toString());
        json.put("fingerprint", active.fingerprint());
        json.put("silencedBy", active.silencedBy());
        json.put("inhibitedBy", active.inhibitedBy());
        return json;
    }

    /** A silence; matchers as Alertmanager writes them ({@code service="web"}). */
    public static Map<String, Object> silence(Silence silence, Instant now) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", silence.id());
        json.put("matchers", silence.matchers().stream().map(Matcher::toString).toList());
        json.put("startsAt", silence.startsAt().toString());
        json.put("endsAt", silence.endsAt().toString());
        json.put("createdBy", silence.createdBy());
        json.put("comment", silence.comment());
        json.put("schedule", silence.schedule().orElse(null));
        json.put("configured", silence.configured());
        json.put("active", silence.activeAt(now));
        return json;
    }

    /**
     * An engine event: {@code service} and {@code at}, then its own fields by name (a check result flattened into
     * them). Read from the record's components, so a new kind of event is shown without a change here.
     */
    public static Map<String, Object> event(ServiceEvent event) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("service", event.serviceName());
        json.put("at", event.at().toString());
        RecordComponent[] components = event.getClass().getRecordComponents();
        if (components == null) {
            return json;
        }
        for (RecordComponent component : components) {
            String name = component.getName();
            if (name.equals("serviceName") || name.equals("at")) {
                continue;
            }
            Object value;
            try {
                value = component.getAccessor().invoke(event);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue; // not readable: left out rather than failing the stream
            }
            if (value instanceof CheckResult result) {
                json.putAll(checkResult(result));
            } else {
                json.put(name, value(value));
                if (name.equals("cause")) {
                    json.put("reason", value(value)); // the name the rest of the API uses for why
                }
            }
        }
        return json;
    }

    /** Any value of an event as JSON: enums by name, times as text, durations in milliseconds. */
    static Object value(Object value) {
        if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Enum<?> constant) {
            return constant.name();
        }
        if (value instanceof Instant instant) {
            return instant.toString();
        }
        if (value instanceof Duration duration) {
            return duration.toNanos() / 1e6;
        }
        if (value instanceof Optional<?> optional) {
            return optional.map(JsonViews::value).orElse(null);
        }
        if (value instanceof java.util.OptionalLong optional) {
            return optional.isPresent() ? optional.getAsLong() : null;
        }
        if (value instanceof java.util.OptionalInt optional) {
            return optional.isPresent() ? optional.getAsInt() : null;
        }
        if (value instanceof java.util.OptionalDouble optional) {
            return optional.isPresent() ? optional.getAsDouble() : null;
        }
        if (value instanceof CheckResult result) {
            return checkResult(result);
        }
        if (value instanceof Alert alert) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("name", alert.name());
            json.put("severity", value(alert.severity()));
            json.put("state", value(alert.state()));
            json.put("summary", alert.summary());
            json.put("labels", alert.labels());
            return json;
        }
        if (value instanceof Collection<?> collection) {
            List<Object> list = new ArrayList<>(collection.size());
            collection.forEach(item -> list.add(value(item)));
            return list;
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> json = new LinkedHashMap<>();
            map.forEach((key, item) -> json.put(String.valueOf(key), value(item)));
            return json;
        }
        if (value instanceof Record record) {
            Map<String, Object> json = new LinkedHashMap<>();
            for (RecordComponent component : record.getClass().getRecordComponents()) {
                try {
                    json.put(component.getName(), value(component.getAccessor().invoke(record)));
                } catch (IllegalAccessException | InvocationTargetException e) {
                    // left out
                }
            }
            return json;
        }
        return value.toString();
    }
}
