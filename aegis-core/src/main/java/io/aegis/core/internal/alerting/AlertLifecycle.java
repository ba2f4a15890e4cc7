package io.aegis.core.internal.alerting;

import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.core.alerting.ActiveAlert;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.alerting.Silence;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.Scheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to an alert between {@code Alerts} and the notifiers, with Alertmanager's semantics: alerts are
 * known by fingerprint; silences and inhibition rules (and {@code dependsOn}, as implicit inhibition rules) mute
 * them; the routing tree picks the notifiers; per route, alerts are grouped by the {@code groupBy} labels and a
 * group is notified first after {@code groupWait}, then with its changes at most every {@code groupInterval},
 * and again after {@code repeatInterval} while it fires unchanged. A resolved alert is notified once (only when its
 * firing was) and forgotten. Notifiers with a {@linkplain io.aegis.api.Notifier#resendInterval() resend interval}
 * (Alertmanager, which groups by itself) get every change at once and every firing alert again each interval.
 *
 * <p>What fires, what was notified to which route or notifier, and the silences added at run time are kept in the
 * state directory, so that after a restart the resolve of an alert notified before is still sent.
 *
 * <p>Subscribed losslessly to the event bus; timers run on the engine's {@link Scheduler} (virtual in tests).
 * Notifications go to a {@link NotificationSink}, which returns at once. Thread-safe (one lock; alerts are rare).
 */
public final class AlertLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertLifecycle.class);
    /** How long a resolved alert is re-sent to a resend notifier, as Prometheus does. */
    static final Duration RESOLVED_RESEND_FOR = Duration.ofMinutes(15);
    private static final String RESEND_GROUP_KEY = "{}/resend";

    private final AlertingConfig config;
    private final Set<String> notifiers;
    private final Map<String, Duration> resendIntervals;
    private final NotificationSink sink;
    private final Scheduler scheduler;
    private final Clock clock;
    private final AlertStore store;
    private final List<InhibitRule> inhibitRules;
    private final Map<String, List<InhibitRule>> dependsOnRules;
    private final java.util.function.Predicate<String> standing;

    /** Every firing alert by fingerprint, muted ones included. */
    private final Map<String, Alert> firing = new LinkedHashMap<>();
    private final Map<String, Group> groups = new LinkedHashMap<>();
    private final Map<String, Map<String, ResendEntry>> resend = new LinkedHashMap<>();
    private final List<Scheduler.Task> resendTasks = new ArrayList<>();
    private final Map<String, SilenceRule> runtimeSilences = new LinkedHashMap<>();
    private Scheduler.Task silenceTask;
    private Instant silenceTaskAt;
    private boolean started;
    private boolean closed;

    /**
     * @param config the {@code alerting:} section
     * @param notifiers the notifiers (enabled ones) and their resend intervals: those with one bypass grouping
     * @param dependsOn each service's dependencies, made into implicit inhibition rules
     * @param store where the state is kept; null for none
     * @param standing whether the firing alert with a fingerprint ends only through its fingerprint (kept with it)
     */
    public AlertLifecycle(AlertingConfig config, Map<String, Optional<Duration>> notifiers, Map<String, List<String>> dependsOn,
            NotificationSink sink, Scheduler scheduler, Clock clock, AlertStore store,
            java.util.function.Predicate<String> standing) {
        this.standing = Objects.requireNonNull(standing, "standing");
        this.config = Objects.requireNonNull(config, "config");
        this.notifiers = Set.copyOf(notifiers.keySet());
        Map<String, Duration> intervals = new LinkedHashMap<>();
        notifiers.forEach((name, interval) -> interval.filter(i -> i.toNanos() > 0)
                .ifPresent(i -> intervals.put(name, i)));
        this.resendIntervals = Map.copyOf(intervals);
        this.sink = Objects.requireNonNull(sink, "sink");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.store = store;
        // The implicit rules of dependsOn, by dependent: only the target's own apply (thousands of services would
        // make a rule list checked for every alert quadratic).
        Map<String, List<InhibitRule>> implicit = new LinkedHashMap<>();
        dependsOn.forEach((dependent, dependencies) -> implicit.put(dependent, dependencies.stream()
                .map(dependency -> InhibitRule.dependsOn(dependent, dependency)).toList()));
        this.inhibitRules = List.copyOf(config.inhibitRules());
        this.dependsOnRules = Map.copyOf(implicit);
        this.resendIntervals.keySet().forEach(name -> resend.put(name, new LinkedHashMap<>()));
    }

    // ---- state restored from the last run ----------------------------------------------------------------

    /**
     * Takes back what the last run left in the store: its firing alerts (returned, for {@code Alerts} to
     * resolve), their notified state, the resolves still to send, and the runtime silences. Call once, before
     * {@link #start()}; nothing is sent yet.
     */
    public synchronized List<AlertStore.Record> restore() {
        if (store == null) {
            return List.of();
        }
        AlertStore.State state = store.load();
        Instant now = clock.instant();
        state.silences().forEach(silence -> {
            if (now.isBefore(silence.endsAt())) {
                runtimeSilences.put(silence.id(), SilenceRule.fixed(silence));
            }
        });
        List<AlertStore.Record> restoredFiring = new ArrayList<>();
        for (AlertStore.Record record : state.alerts()) {
            Alert alert = record.alert();
            if (alert.state() == Alert.State.FIRING) {
                firing.put(alert.fingerprint(), alert);
                restoredFiring.add(record);
            }
            for (Route route : config.route().match(alert.labelSet())) {
                boolean notified = record.notified().contains(route.id());
                if (!groupNotifiers(route).isEmpty() && (alert.state() == Alert.State.FIRING || notified)) {
                    Group group = group(route, alert, now);
                    group.entries.put(alert.fingerprint(), new Entry(alert, notified));
                    if (notified) {
                        group.lastSent = now; // the repeat counts from now: when it was sent before is not kept
                    }
                }
                for (String notifier : resendNotifiers(route)) {
                    boolean sent = record.notified().contains("resend:" + notifier);
                    if (alert.state() == Alert.State.FIRING || sent) {
                        resend.get(notifier).put(alert.fingerprint(), new ResendEntry(alert, sent));
                    }
                }
            }
        }
        if (!state.alerts().isEmpty()) {
            log.info("restored {} alert(s) from the last run ({} firing)", state.alerts().size(), restoredFiring.size());
        }
        return restoredFiring;
    }

    /** Starts the timers: groups flush, resend notifiers re-send, silences take effect. */
    public synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        resendIntervals.forEach((name, interval) -> resendTasks.add(scheduler.scheduleAtFixedRate(
                () -> resendTick(name), interval, interval)));
        // What the last run left: resolves still to send go out after groupWait like any change.
        groups.values().forEach(group -> dirty(group, clock.instant()));
        scheduleSilenceChange();
        persist();
    }

    // ---- alerts ------------------------------------------------------------------------------------------

    /** Takes the alert of an {@link AlertFired} or {@link AlertResolved}; ignores other events. */
    public void onEvent(ServiceEvent event) {
        if (event instanceof AlertFired) {
            fired(((AlertFired) event).alert());
        } else if (event instanceof AlertResolved) {
            resolved(((AlertResolved) event).alert());
        }
    }

    synchronized void fired(Alert alert) {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        String fingerprint = alert.fingerprint();
        firing.put(fingerprint, alert);
        Set<String> resendTo = new java.util.LinkedHashSet<>(); // once each, however many routes name it
        for (Route route : config.route().match(alert.labelSet())) {
            if (!groupNotifiers(route).isEmpty()) {
                Group group = group(route, alert, now);
                Entry entry = group.entries.get(fingerprint);
                boolean sameIncident = entry != null && entry.alert.state() == Alert.State.FIRING
                        && entry.alert.startsAt().equals(alert.startsAt());
                // The same incident (new annotations) keeps its notified state and goes with the next message.
                group.entries.put(fingerprint, new Entry(alert, sameIncident && entry.notified));
            }
            resendTo.addAll(resendNotifiers(route));
        }
        boolean muted = !resendTo.isEmpty() && muted(alert, now);
        for (String notifier : resendTo) {
            ResendEntry previous = resend.get(notifier).get(fingerprint);
            boolean sentBefore = previous != null && previous.sent && previous.alert.state() == Alert.State.FIRING
                    && previous.alert.startsAt().equals(alert.startsAt());
            resend.get(notifier).put(fingerprint, new ResendEntry(alert, sentBefore || !muted));
            if (!muted) {
                sink.enqueue(notifier, Notification.of(UUID.randomUUID().toString(), alert, now));
            }
        }
        allDirty(now);
        persist();
    }

    synchronized void resolved(Alert alert) {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        String fingerprint = alert.fingerprint();
        firing.remove(fingerprint);
        for (Group group : groups.values()) {
            Entry entry = group.entries.get(fingerprint);
            if (entry != null) {
                group.entries.put(fingerprint, new Entry(alert, entry.notified));
            }
        }
        resend.forEach((notifier, entries) -> {
            ResendEntry entry = entries.get(fingerprint);
            if (entry == null) {
                return;
            }
            if (entry.sent) {
                entries.put(fingerprint, new ResendEntry(alert, true));
                sink.enqueue(notifier, Notification.of(UUID.randomUUID().toString(), alert, now));
            } else {
                entries.remove(fingerprint); // its firing was never sent: neither is its resolve
            }
        });
        allDirty(now);
        persist();
    }

    // ---- groups ------------------------------------------------------------------------------------------

    private Group group(Route route, Alert alert, Instant now) {
        Map<String, String> labels = route.groupLabels(alert.labelSet());
        String key = route.groupKey(labels);
        // Per route, as Alertmanager keeps them: two routes with the same matchers have the same key but each
        // notifies its own notifiers.
        return groups.computeIfAbsent(route.id() + " " + key, k -> new Group(route, key, labels, now));
    }

    private List<String> groupNotifiers(Route route) {
        // A route may name a notifier that is configured but disabled (enabled: false): nobody gets its share.
        return route.notifiers().stream().filter(name -> notifiers.contains(name) && !resendIntervals.containsKey(name))
                .toList();
    }

    private List<String> resendNotifiers(Route route) {
        return route.notifiers().stream().filter(resendIntervals::containsKey).toList();
    }

    /** Something changed that may concern every group (an alert, an inhibition, a silence). */
    private void allDirty(Instant now) {
        List.copyOf(groups.values()).forEach(group -> dirty(group, now));
    }

    private void dirty(Group group, Instant now) {
        Instant at = group.lastFlush == null ? group.createdAt.plus(group.route.groupWait())
                : group.lastFlush.plus(group.route.groupInterval());
        evaluateAt(group, at.isBefore(now) ? now : at, now);
    }

    private void evaluateAt(Group group, Instant at, Instant now) {
        if (!started || (group.evaluateAt != null && !group.evaluateAt.isAfter(at))) {
            return;
        }
        Scheduler.cancel(group.task);
        group.evaluateAt = at;
        group.task = scheduler.schedule(() -> evaluateWhenDue(group, at), Duration.between(now, at));
    }

    private synchronized void evaluateWhenDue(Group group, Instant at) {
        if (closed || !at.equals(group.evaluateAt) || groups.get(group.id()) != group) {
            return; // replaced by an earlier evaluation, or the group is gone
        }
        group.task = null;
        group.evaluateAt = null;
        evaluate(group, clock.instant());
        persist();
    }

    private void evaluate(Group group, Instant now) {
        List<Alert> alerts = new ArrayList<>();
        boolean changed = false;
        List<Entry> firingSent = new ArrayList<>();
        for (Entry entry : group.entries.values()) {
            if (entry.alert.state() == Alert.State.FIRING) {
                if (!muted(entry.alert, now)) {
                    alerts.add(entry.alert);
                    firingSent.add(entry);
                    changed |= !entry.notified;
                }
            } else if (entry.notified) {
                alerts.add(entry.alert);
                changed = true;
            }
        }
        boolean repeat = !changed && !alerts.isEmpty() && group.lastSent != null
                && !now.isBefore(group.lastSent.plus(group.route.repeatInterval()));
        if (changed || repeat) {
            alerts.sort(Comparator.comparing(Alert::startsAt).thenComparing(Alert::fingerprint));
            for (String notifier : groupNotifiers(group.route)) {
                // One id per notifier: an id names one delivery, acknowledged by one receiver.
                sink.enqueue(notifier, new Notification(UUID.randomUUID().toString(), group.key, group.labels,
                        alerts, repeat, now));
            }
            group.lastSent = now;
            group.lastFlush = now;
            firingSent.forEach(entry -> entry.notified = true);
        } else if (group.lastFlush == null) {
            group.lastFlush = now;
        }
        // A resolved alert is sent once (when its firing was) and forgotten.
        group.entries.values().removeIf(entry -> entry.alert.state() == Alert.State.RESOLVED);
        if (group.entries.isEmpty()) {
            groups.remove(group.id());
            return;
        }
        if (group.lastSent != null && group.entries.values().stream().anyMatch(entry -> entry.notified)) {
            Instant due = group.lastSent.plus(group.route.repeatInterval());
            evaluateAt(group, due.isBefore(now) ? now : due, now);
        }
    }

    // ---- resend notifiers --------------------------------------------------------------------------------

    private synchronized void resendTick(String notifier) {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        Map<String, ResendEntry> entries = resend.get(notifier);
        entries.values().removeIf(entry -> entry.alert.state() == Alert.State.RESOLVED
                && entry.alert.endsAt().orElse(now).plus(RESOLVED_RESEND_FOR).isBefore(now));
        List<Alert> alerts = new ArrayList<>();
        for (ResendEntry entry : entries.values()) {
            if (entry.alert.state() == Alert.State.FIRING ? !muted(entry.alert, now) : entry.sent) {
                alerts.add(entry.alert);
                entry.sent = true;
            }
        }
        if (!alerts.isEmpty()) {
            alerts.sort(Comparator.comparing(Alert::startsAt).thenComparing(Alert::fingerprint));
            sink.enqueue(notifier, new Notification(UUID.randomUUID().toString(), RESEND_GROUP_KEY, Map.of(), alerts,
                    true, now));
        }
        persist();
    }

    // ---- silences and inhibition -------------------------------------------------------------------------

    private boolean muted(Alert alert, Instant now) {
        return !silencedBy(alert, now).isEmpty() || !inhibitedBy(alert).isEmpty();
    }

    private List<String> silencedBy(Alert alert, Instant now) {
        Map<String, String> labels = alert.labelSet();
        List<String> ids = new ArrayList<>();
        for (SilenceRule silence : allSilences()) {
            if (silence.mutes(labels, now)) {
                ids.add(silence.id());
            }
        }
        return ids;
    }

    private List<String> inhibitedBy(Alert alert) {
        Map<String, String> target = alert.labelSet();
        String fingerprint = alert.fingerprint();
        List<InhibitRule> rules = new ArrayList<>(inhibitRules);
        rules.addAll(dependsOnRules.getOrDefault(alert.serviceName(), List.of()));
        if (rules.isEmpty()) {
            return List.of();
        }
        Set<String> sources = new java.util.LinkedHashSet<>();
        for (Alert source : firing.values()) {
            if (source.fingerprint().equals(fingerprint)) {
                continue;
            }
            Map<String, String> labels = source.labelSet();
            for (InhibitRule rule : rules) {
                if (rule.inhibits(labels, target)) {
                    sources.add(source.fingerprint());
                    break;
                }
            }
        }
        return List.copyOf(sources);
    }

    private List<SilenceRule> allSilences() {
        List<SilenceRule> all = new ArrayList<>(config.silences());
        all.addAll(runtimeSilences.values());
        return all;
    }

    /** Wakes up when the next silence starts or ends, so that its alerts are notified or muted on time. */
    private void scheduleSilenceChange() {
        if (!started || closed) {
            return;
        }
        Instant now = clock.instant();
        Optional<Instant> next = allSilences().stream().map(silence -> silence.nextChange(now))
                .flatMap(Optional::stream).min(Comparator.naturalOrder());
        if (next.isEmpty() || next.get().equals(silenceTaskAt)) {
            return;
        }
        Scheduler.cancel(silenceTask);
        Instant at = next.get();
        silenceTaskAt = at;
        silenceTask = scheduler.schedule(() -> silenceChanged(at), Duration.between(now, at));
    }

    private synchronized void silenceChanged(Instant at) {
        if (closed || !at.equals(silenceTaskAt)) {
            return;
        }
        silenceTaskAt = null;
        Instant now = clock.instant();
        if (runtimeSilences.values().removeIf(silence -> silence.over(now))) {
            persist();
        }
        allDirty(now); // resend notifiers learn of it at their next re-send
        scheduleSilenceChange();
    }

    // ---- the API -----------------------------------------------------------------------------------------

    /** The firing alerts, oldest first, each with the silences and alerts that mute it. */
    public synchronized List<ActiveAlert> activeAlerts() {
        Instant now = clock.instant();
        return firing.values().stream().sorted(Comparator.comparing(Alert::startsAt).thenComparing(Alert::fingerprint))
                .map(alert -> new ActiveAlert(alert, silencedBy(alert, now), inhibitedBy(alert))).toList();
    }

    /** The silences of the configuration and those added at run time that have not ended. */
    public synchronized List<Silence> silences() {
        Instant now = clock.instant();
        return allSilences().stream().filter(silence -> !silence.over(now)).map(silence -> silence.view(now))
                .toList();
    }

    /** Adds a silence at run time (kept across restarts until it ends); returns it with its id. */
    public synchronized Silence addSilence(List<Matcher> matchers, Instant startsAt, Instant endsAt, String createdBy,
            String comment) {
        Instant now = clock.instant();
        if (!endsAt.isAfter(startsAt)) {
            throw new IllegalArgumentException("the silence ends (" + endsAt + ") before it starts (" + startsAt
                    + "); give an end after its start");
        }
        if (!endsAt.isAfter(now)) {
            throw new IllegalArgumentException("the silence ends (" + endsAt + ") in the past; give an end after now");
        }
        Silence silence = new Silence(UUID.randomUUID().toString(), matchers, startsAt, endsAt, createdBy, comment,
                Optional.empty());
        runtimeSilences.put(silence.id(), SilenceRule.fixed(silence));
        log.info("silence {} added by {} until {}: {} ({})", silence.id(), createdBy, endsAt, matchers, comment);
        allDirty(now);
        scheduleSilenceChange();
        persist();
        return silence;
    }

    /**
     * Ends a silence added at run time now; its alerts are notified again (at their group's next flush). False
     * when there is no such silence, or it has ended.
     *
     * @throws IllegalArgumentException for a silence of the configuration
     */
    public synchronized boolean expireSilence(String id) {
        if (id != null && id.startsWith("config-") && config.silences().stream().anyMatch(s -> s.id().equals(id))) {
            throw new IllegalArgumentException("silence " + id + " comes from alerting.silences in the configuration;"
                    + " remove it there");
        }
        SilenceRule removed = runtimeSilences.remove(id);
        if (removed == null) {
            return false;
        }
        log.info("silence {} expired", id);
        Instant now = clock.instant();
        allDirty(now);
        scheduleSilenceChange();
        persist();
        return true;
    }

    /** Per firing alert's service, alertname and severity, how many fire (for {@code aegis_alerts_firing}). */
    public synchronized Map<List<String>, Long> firingCounts() {
        Map<List<String>, Long> counts = new TreeMap<>(Comparator.comparing(Object::toString));
        for (Alert alert : firing.values()) {
            counts.merge(List.of(alert.serviceName(), alert.name(), alert.severity().label()), 1L, Long::sum);
        }
        return counts;
    }

    // ---- state -------------------------------------------------------------------------------------------

    private void persist() {
        if (store == null || !started) {
            return; // not started: an engine built only to validate, or one whose start failed (another aegis
                    // may own the state directory): what the last run kept must stay as it is
        }
        Map<String, AlertStore.Record> records = new LinkedHashMap<>();
        for (Alert alert : firing.values()) {
            records.put(alert.fingerprint(), new AlertStore.Record(alert, new HashSet<>(),
                    standing.test(alert.fingerprint())));
        }
        for (Group group : groups.values()) {
            for (Entry entry : group.entries.values()) {
                if (entry.alert.state() == Alert.State.RESOLVED && !entry.notified) {
                    continue;
                }
                AlertStore.Record record = records.computeIfAbsent(entry.alert.fingerprint(),
                        fp -> new AlertStore.Record(entry.alert, new HashSet<>(), false));
                if (entry.notified) {
                    record.notified().add(group.route.id());
                }
            }
        }
        resend.forEach((notifier, entries) -> entries.values().forEach(entry -> {
            if (entry.alert.state() == Alert.State.RESOLVED) {
                return; // already sent once; its re-sends are not worth a restart
            }
            AlertStore.Record record = records.get(entry.alert.fingerprint());
            if (record != null && entry.sent) {
                record.notified().add("resend:" + notifier);
            }
        }));
        store.save(new AlertStore.State(List.copyOf(records.values()),
                runtimeSilences.values().stream().map(SilenceRule::silence).toList()));
    }

    /**
     * Stops the timers. A group whose flush is due now (a {@code groupWait} of 0s) is flushed first; what
     * waits longer stays in the state directory and is sent after the next start.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        for (Group group : List.copyOf(groups.values())) {
            if (group.evaluateAt != null && !group.evaluateAt.isAfter(now)) {
                Scheduler.cancel(group.task);
                group.evaluateAt = null;
                evaluate(group, now);
            }
        }
        persist();
        closed = true;
        groups.values().forEach(group -> Scheduler.cancel(group.task));
        resendTasks.forEach(Scheduler::cancel);
        Scheduler.cancel(silenceTask);
    }

    /** One aggregation group: the alerts of one route with the same groupBy label values. */
    private static final class Group {
        final Route route;
        final String key;
        final Map<String, String> labels;
        final Instant createdAt;
        final Map<String, Entry> entries = new LinkedHashMap<>();
        Instant lastFlush;
        Instant lastSent;
        Instant evaluateAt;
        Scheduler.Task task;

        Group(Route route, String key, Map<String, String> labels, Instant createdAt) {
            this.route = route;
            this.key = key;
            this.labels = labels;
            this.createdAt = createdAt;
        }

        /** Its key in {@code groups}: the route's id and Alertmanager's group key. */
        String id() {
            return route.id() + " " + key;
        }
    }

    /** An alert in a group, and whether its firing was notified. */
    private static final class Entry {
        final Alert alert;
        boolean notified;

        Entry(Alert alert, boolean notified) {
            this.alert = alert;
            this.notified = notified;
        }
    }

    /** An alert known to a resend notifier, and whether its firing was sent there. */
    private static final class ResendEntry {
        final Alert alert;
        boolean sent;

        ResendEntry(Alert alert, boolean sent) {
            this.alert = alert;
            this.sent = sent;
        }
    }
}
