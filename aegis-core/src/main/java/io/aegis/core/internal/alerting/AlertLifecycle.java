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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to an alert between {@code Alerts} and the notifiers, with Alertmanager's semantics: alerts are
 * known by fingerprint; silences and inhibition rules (and {@code dependsOn}, as implicit inhibition rules) mute
 * them; the routing tree picks the notifiers; per route, alerts are grouped by the {@code groupBy} labels and a
 * group is notified first after {@code groupWait}, then with its changes at most every {@code groupInterval},
 * and again after {@code repeatInterval} while it fires unchanged. A resolved alert is notified once (only when its
 * firing was) and forgotten. Notifiers with a {@linkplain io.aegis.api.Notifier#resendInterval() resend interval}
 * (Alertmanager, which groups by itself) get every change at once and every firing alert again each interval, in
 * notifications of at most 64 alerts.
 *
 * <p>What fires, what was notified to which route or notifier, and the silences added at run time are kept in the
 * state directory, so that after a restart the resolve of an alert notified before is still sent. Changes are
 * written together: one write, at once on the lifecycle's executor, for whatever changed before it runs.
 *
 * <p>The work of a change is proportional to what it touches: an alert's change re-evaluates only its own groups
 * (and, when it resolves, the groups of the alerts it inhibited); a silence's end only the groups with alerts it
 * matched; a group with nothing unsent keeps its timer (a repeat due in hours is not pulled forward).
 *
 * <p>Events arrive from the event bus (a lossless subscriber); timers fire on the engine's {@link Scheduler}
 * (virtual in tests), which only hands their work to the lifecycle's serial executor (never the engine's timer
 * thread). Notifications go to a {@link NotificationSink}. Thread-safe (one lock; alerts are rare).
 */
public final class AlertLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertLifecycle.class);
    /** How long a resolved alert is re-sent to a resend notifier, as Prometheus does. */
    static final Duration RESOLVED_RESEND_FOR = Duration.ofMinutes(15);
    /** At most this many alerts per re-send notification: ten thousand alerts are no one multi-MB request. */
    static final int RESEND_CHUNK = 64;
    private static final String RESEND_GROUP_KEY = "{}/resend";

    private final AlertingConfig config;
    private final Set<String> notifiers;
    private final Map<String, Duration> resendIntervals;
    private final NotificationSink sink;
    private final Scheduler scheduler;
    private final Executor executor;
    private final Clock clock;
    private final AlertStore store;
    /** The configured inhibition rules, each with its firing sources and targets indexed by their equal labels. */
    private final List<RuleIndex> inhibitRules;
    /** dependsOn as implicit inhibition rules: per dependent, per dependency. Services may come and go. */
    private final Map<String, Map<String, InhibitRule>> dependsOnRules = new HashMap<>();
    /** dependsOn the other way: per dependency, its dependents. */
    private final Map<String, Set<String>> dependents = new HashMap<>();
    private final Predicate<String> standing;

    /** Every firing alert by fingerprint, muted ones included. */
    private final Map<String, Alert> firing = new LinkedHashMap<>();
    /** The firing alerts per service (the sources and targets of dependsOn). */
    private final Map<String, Map<String, Alert>> firingByService = new HashMap<>();
    /** The fingerprints of the firing alerts that end only through their fingerprint (threshold rules). */
    private final Set<String> standingFiring = new HashSet<>();
    private final Map<String, Group> groups = new LinkedHashMap<>();
    private final Map<String, Map<String, ResendEntry>> resend = new LinkedHashMap<>();
    private final List<Scheduler.Task> resendTasks = new ArrayList<>();
    private final Map<String, SilenceRule> runtimeSilences = new LinkedHashMap<>();
    /** The ids of the silences active when last looked at: those that end un-mute their alerts. */
    private Set<String> activeSilences = new HashSet<>();
    private Scheduler.Task silenceTask;
    private Instant silenceTaskAt;
    private boolean started;
    private boolean closed;
    /** Something kept in the store changed since the last write. */
    private boolean stateChanged;
    private boolean writeScheduled;
    private long stateVersion;
    private long writtenVersion;
    private long evaluations;

    /**
     * @param config the {@code alerting:} section
     * @param notifiers the notifiers (enabled ones) and their resend intervals: those with one bypass grouping
     * @param dependsOn each service's dependencies, made into implicit inhibition rules
     * @param scheduler for the timers only: their work runs on {@code executor}
     * @param executor a serial executor the timers' work (flushes, re-sends, writes of the state) runs on
     * @param store where the state is kept; null for none
     * @param standing whether the firing alert with a fingerprint ends only through its fingerprint (kept with it);
     *     asked when the alert fires
     */
    public AlertLifecycle(AlertingConfig config, Map<String, Optional<Duration>> notifiers, Map<String, List<String>> dependsOn,
            NotificationSink sink, Scheduler scheduler, Executor executor, Clock clock, AlertStore store,
            Predicate<String> standing) {
        this.standing = Objects.requireNonNull(standing, "standing");
        this.config = Objects.requireNonNull(config, "config");
        this.notifiers = Set.copyOf(notifiers.keySet());
        Map<String, Duration> intervals = new LinkedHashMap<>();
        notifiers.forEach((name, interval) -> interval.filter(i -> i.toNanos() > 0)
                .ifPresent(i -> intervals.put(name, i)));
        this.resendIntervals = Map.copyOf(intervals);
        this.sink = Objects.requireNonNull(sink, "sink");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.store = store;
        this.inhibitRules = config.inhibitRules().stream().map(RuleIndex::new).toList();
        dependsOn.forEach(this::dependenciesOf);
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
                addFiring(alert);
                if (record.standing()) {
                    standingFiring.add(alert.fingerprint());
                }
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
                () -> onExecutor(() -> resendTick(name)), interval, interval)));
        // What the last run left: resolves still to send go out after groupWait like any change; what was
        // notified is repeated after repeatInterval.
        Instant now = clock.instant();
        groups.values().forEach(group -> {
            dirty(group, now);
            scheduleRepeat(group, now);
        });
        activeSilences = activeSilenceIds(now);
        scheduleSilenceChange();
        stateChanged();
    }

    // ---- services ----------------------------------------------------------------------------------------

    /** A service added while the engine runs: its {@code dependsOn} inhibits its alerts as for the others. */
    public synchronized void serviceAdded(String service, List<String> dependsOn) {
        dependenciesOf(service, dependsOn);
    }

    /** A service no longer supervised: its implicit inhibition rules go with it. */
    public synchronized void serviceRemoved(String service) {
        Map<String, InhibitRule> removed = dependsOnRules.remove(service);
        if (removed != null) {
            removed.keySet().forEach(dependency -> {
                Set<String> of = dependents.get(dependency);
                if (of != null && of.remove(service) && of.isEmpty()) {
                    dependents.remove(dependency);
                }
            });
        }
    }

    private void dependenciesOf(String dependent, List<String> dependencies) {
        serviceRemoved(dependent);
        if (dependencies.isEmpty()) {
            return;
        }
        Map<String, InhibitRule> rules = new LinkedHashMap<>();
        for (String dependency : dependencies) {
            rules.put(dependency, InhibitRule.dependsOn(dependent, dependency));
            dependents.computeIfAbsent(dependency, d -> new LinkedHashSet<>()).add(dependent);
        }
        dependsOnRules.put(dependent, rules);
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
        Alert previous = addFiring(alert);
        if (standing.test(fingerprint)) {
            standingFiring.add(fingerprint);
        }
        Set<String> resendTo = new LinkedHashSet<>(); // once each, however many routes name it
        for (Route route : config.route().match(alert.labelSet())) {
            if (!groupNotifiers(route).isEmpty()) {
                Group group = group(route, alert, now);
                Entry entry = group.entries.get(fingerprint);
                boolean sameIncident = entry != null && entry.alert.state() == Alert.State.FIRING
                        && entry.alert.startsAt().equals(alert.startsAt());
                // The same incident (new annotations) keeps its notified state and goes with the next message.
                boolean notified = sameIncident && entry.notified;
                group.entries.put(fingerprint, new Entry(alert, notified));
                if (!notified) {
                    flushSoon(group, now); // without looking for unsent alerts in a large group: this one is
                }
            }
            resendTo.addAll(resendNotifiers(route));
        }
        boolean muted = !resendTo.isEmpty() && muted(alert, now);
        for (String notifier : resendTo) {
            ResendEntry previousEntry = resend.get(notifier).get(fingerprint);
            boolean sentBefore = previousEntry != null && previousEntry.sent
                    && previousEntry.alert.state() == Alert.State.FIRING
                    && previousEntry.alert.startsAt().equals(alert.startsAt());
            resend.get(notifier).put(fingerprint, new ResendEntry(alert, sentBefore || !muted));
            if (!muted) {
                sink.enqueue(notifier, Notification.of(UUID.randomUUID().toString(), alert, now));
            }
        }
        // A new source inhibits: nothing more to send elsewhere (an alert already notified stays notified).
        stateChanged();
    }

    synchronized void resolved(Alert alert) {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        String fingerprint = alert.fingerprint();
        Alert previous = removeFiring(fingerprint);
        standingFiring.remove(fingerprint);
        for (Group group : groupsOf(alert)) {
            Entry entry = group.entries.get(fingerprint);
            if (entry != null) {
                group.entries.put(fingerprint, new Entry(alert, entry.notified));
                dirty(group, now);
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
        if (previous != null) {
            // What it inhibited may be notified now (resend notifiers learn of it at their next re-send).
            for (Alert target : inhibitedBySource(previous)) {
                groupsOf(target).forEach(group -> dirty(group, now));
            }
        }
        stateChanged();
    }

    private Alert addFiring(Alert alert) {
        Alert previous = firing.put(alert.fingerprint(), alert);
        if (previous != null) {
            unindex(previous);
        }
        firingByService.computeIfAbsent(alert.serviceName(), s -> new LinkedHashMap<>()).put(alert.fingerprint(),
                alert);
        inhibitRules.forEach(rule -> rule.add(alert));
        return previous;
    }

    private Alert removeFiring(String fingerprint) {
        Alert previous = firing.remove(fingerprint);
        if (previous != null) {
            unindex(previous);
        }
        return previous;
    }

    private void unindex(Alert alert) {
        Map<String, Alert> ofService = firingByService.get(alert.serviceName());
        if (ofService != null && ofService.remove(alert.fingerprint()) != null && ofService.isEmpty()) {
            firingByService.remove(alert.serviceName());
        }
        inhibitRules.forEach(rule -> rule.remove(alert));
    }

    // ---- groups ------------------------------------------------------------------------------------------

    private Group group(Route route, Alert alert, Instant now) {
        Map<String, String> labels = route.groupLabels(alert.labelSet());
        String key = route.groupKey(labels);
        // Per route, as Alertmanager keeps them: two routes with the same matchers have the same key but each
        // notifies its own notifiers.
        return groups.computeIfAbsent(route.id() + " " + key, k -> new Group(route, key, labels, now));
    }

    /** The existing groups an alert is in (or would be): one per route that takes it. */
    private List<Group> groupsOf(Alert alert) {
        Map<String, String> labels = alert.labelSet();
        List<Group> of = new ArrayList<>();
        for (Route route : config.route().match(labels)) {
            if (!groupNotifiers(route).isEmpty()) {
                Group group = groups.get(route.id() + " " + route.groupKey(route.groupLabels(labels)));
                if (group != null) {
                    of.add(group);
                }
            }
        }
        return of;
    }

    private List<String> groupNotifiers(Route route) {
        // A route may name a notifier that is configured but disabled (enabled: false): nobody gets its share.
        return route.notifiers().stream().filter(name -> notifiers.contains(name) && !resendIntervals.containsKey(name))
                .toList();
    }

    private List<String> resendNotifiers(Route route) {
        return route.notifiers().stream().filter(resendIntervals::containsKey).toList();
    }

    /**
     * Something changed in {@code group}: it is evaluated at its next flush (after groupWait, then groupInterval
     * after the last). A group with nothing unsent keeps its timer: its repeat is not pulled forward.
     */
    private void dirty(Group group, Instant now) {
        if (group.hasUnsent()) {
            flushSoon(group, now);
        }
    }

    private void flushSoon(Group group, Instant now) {
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
        group.task = scheduler.scheduleOn(executor, () -> evaluateWhenDue(group, at), Duration.between(now, at));
    }

    private synchronized void evaluateWhenDue(Group group, Instant at) {
        if (closed || !at.equals(group.evaluateAt) || groups.get(group.id()) != group) {
            return; // replaced by an earlier evaluation, or the group is gone
        }
        group.task = null;
        group.evaluateAt = null;
        if (evaluate(group, clock.instant())) {
            stateChanged();
        }
    }

    /** Flushes {@code group} if it has news or its repeat is due; whether what is kept in the store changed. */
    private boolean evaluate(Group group, Instant now) {
        evaluations++;
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
        boolean forgot = group.entries.values().removeIf(entry -> entry.alert.state() == Alert.State.RESOLVED);
        if (group.entries.isEmpty()) {
            groups.remove(group.id());
            return changed || forgot;
        }
        scheduleRepeat(group, now);
        return changed || forgot;
    }

    /** A group that notified firing alerts is evaluated again when its repeat is due (unless sooner). */
    private void scheduleRepeat(Group group, Instant now) {
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
        boolean newlySent = false;
        for (ResendEntry entry : entries.values()) {
            if (entry.alert.state() == Alert.State.FIRING ? !muted(entry.alert, now) : entry.sent) {
                alerts.add(entry.alert);
                newlySent |= !entry.sent;
                entry.sent = true;
            }
        }
        alerts.sort(Comparator.comparing(Alert::startsAt).thenComparing(Alert::fingerprint));
        // In chunks, each its own group key: the delivery drops a queued repeat only for a newer one of its key,
        // and a newer re-send's chunks together carry every alert again.
        for (int from = 0, chunk = 0; from < alerts.size(); from += RESEND_CHUNK, chunk++) {
            sink.enqueue(notifier, new Notification(UUID.randomUUID().toString(), RESEND_GROUP_KEY + "/" + chunk,
                    Map.of(), alerts.subList(from, Math.min(alerts.size(), from + RESEND_CHUNK)), true, now));
        }
        if (newlySent) {
            stateChanged(); // an alert un-muted since: its resolve must now be sent after a restart too
        }
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

    /** The fingerprints of the firing alerts that inhibit {@code alert}: looked up by rule, not by a scan. */
    private List<String> inhibitedBy(Alert alert) {
        Map<String, String> target = alert.labelSet();
        String fingerprint = alert.fingerprint();
        Set<String> sources = new LinkedHashSet<>();
        dependsOnRules.getOrDefault(alert.serviceName(), Map.of()).forEach((dependency, rule) ->
                firingByService.getOrDefault(dependency, Map.of()).values().forEach(source -> {
                    if (!source.fingerprint().equals(fingerprint) && rule.inhibits(source.labelSet(), target)) {
                        sources.add(source.fingerprint());
                    }
                }));
        for (RuleIndex index : inhibitRules) {
            if (!Matcher.all(index.rule.targetMatchers(), target)) {
                continue;
            }
            for (Alert source : index.sources.getOrDefault(index.equalValues(target), Map.of()).values()) {
                if (!source.fingerprint().equals(fingerprint) && index.rule.inhibits(source.labelSet(), target)) {
                    sources.add(source.fingerprint());
                }
            }
        }
        return List.copyOf(sources);
    }

    /** The firing alerts {@code source} may inhibit (by dependsOn or a rule): those to look at when it resolves. */
    private List<Alert> inhibitedBySource(Alert source) {
        Map<String, String> labels = source.labelSet();
        List<Alert> targets = new ArrayList<>();
        for (String dependent : dependents.getOrDefault(source.serviceName(), Set.of())) {
            targets.addAll(firingByService.getOrDefault(dependent, Map.of()).values());
        }
        for (RuleIndex index : inhibitRules) {
            if (Matcher.all(index.rule.sourceMatchers(), labels)) {
                targets.addAll(index.targets.getOrDefault(index.equalValues(labels), Map.of()).values());
            }
        }
        return targets;
    }

    private List<SilenceRule> allSilences() {
        List<SilenceRule> all = new ArrayList<>(config.silences());
        all.addAll(runtimeSilences.values());
        return all;
    }

    private Set<String> activeSilenceIds(Instant now) {
        Set<String> active = new HashSet<>();
        allSilences().forEach(silence -> {
            if (silence.activeAt(now)) {
                active.add(silence.id());
            }
        });
        return active;
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
        silenceTask = scheduler.scheduleOn(executor, () -> silenceChanged(at), Duration.between(now, at));
    }

    private synchronized void silenceChanged(Instant at) {
        if (closed || !at.equals(silenceTaskAt)) {
            return;
        }
        silenceTaskAt = null;
        Instant now = clock.instant();
        Map<String, SilenceRule> all = new HashMap<>();
        allSilences().forEach(silence -> all.put(silence.id(), silence));
        if (runtimeSilences.values().removeIf(silence -> silence.over(now))) {
            stateChanged();
        }
        Set<String> active = activeSilenceIds(now);
        // Only those that ended un-mute anything; one that starts only mutes (resend notifiers learn of either at
        // their next re-send).
        activeSilences.stream().filter(id -> !active.contains(id)).map(all::get).filter(Objects::nonNull)
                .forEach(ended -> unmuted(ended, now));
        activeSilences = active;
        scheduleSilenceChange();
    }

    /** {@code silence} no longer mutes: the groups with alerts it matched and did not let out are evaluated. */
    private void unmuted(SilenceRule silence, Instant now) {
        for (Group group : List.copyOf(groups.values())) {
            for (Entry entry : group.entries.values()) {
                if (entry.alert.state() == Alert.State.FIRING && !entry.notified
                        && Matcher.all(silence.silence().matchers(), entry.alert.labelSet())) {
                    dirty(group, now);
                    break;
                }
            }
        }
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
        SilenceRule rule = SilenceRule.fixed(silence);
        runtimeSilences.put(silence.id(), rule);
        log.info("silence {} added by {} until {}: {} ({})", silence.id(), createdBy, endsAt, matchers, comment);
        if (rule.activeAt(now)) {
            activeSilences.add(silence.id()); // it only mutes: nothing to evaluate until it ends
        }
        scheduleSilenceChange();
        stateChanged();
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
        activeSilences.remove(id);
        unmuted(removed, now);
        scheduleSilenceChange();
        stateChanged();
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

    /** How many group evaluations ran (for the tests of the work a change costs). */
    synchronized long evaluations() {
        return evaluations;
    }

    // ---- state -------------------------------------------------------------------------------------------

    /** What is kept changed: one write, at once on the executor, for this and whatever changes before it runs. */
    private void stateChanged() {
        if (store == null || !started || closed) {
            return; // not started: an engine built only to validate, or one whose start failed (another aegis
                    // may own the state directory): what the last run kept must stay as it is
        }
        stateChanged = true;
        if (!writeScheduled) {
            writeScheduled = scheduler.scheduleOn(executor, this::write, Duration.ZERO) != null;
        }
    }

    private void write() {
        AlertStore.State state;
        long version;
        synchronized (this) {
            writeScheduled = false;
            if (!stateChanged || closed) {
                return;
            }
            stateChanged = false;
            state = snapshot();
            version = ++stateVersion;
        }
        save(state, version); // out of the lock: alerts are not held up by the disk
    }

    private void save(AlertStore.State state, long version) {
        synchronized (store) {
            if (version > writtenVersion) { // close() may have written a newer state meanwhile
                store.save(state);
                writtenVersion = version;
            }
        }
    }

    private AlertStore.State snapshot() {
        Map<String, AlertStore.Record> records = new LinkedHashMap<>();
        for (Alert alert : firing.values()) {
            records.put(alert.fingerprint(), new AlertStore.Record(alert, new HashSet<>(),
                    standingFiring.contains(alert.fingerprint())));
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
        return new AlertStore.State(List.copyOf(records.values()),
                runtimeSilences.values().stream().map(SilenceRule::silence).toList());
    }

    /** Runs {@code work} on the executor; dropped (with nothing left to do) when the engine shuts it down. */
    private void onExecutor(Runnable work) {
        try {
            executor.execute(work);
        } catch (RejectedExecutionException e) {
            log.debug("alert lifecycle work skipped: the engine is shutting down");
        }
    }

    /**
     * Stops the timers. A group whose flush is due now (a {@code groupWait} of 0s) is flushed first; what
     * waits longer stays in the state directory and is sent after the next start.
     */
    @Override
    public void close() {
        AlertStore.State state = null;
        long version = 0;
        synchronized (this) {
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
            if (store != null && started) {
                state = snapshot();
                version = ++stateVersion;
            }
            closed = true;
            groups.values().forEach(group -> Scheduler.cancel(group.task));
            resendTasks.forEach(Scheduler::cancel);
            Scheduler.cancel(silenceTask);
        }
        if (state != null) {
            save(state, version);
        }
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

        /** Whether a firing was not notified yet, or a resolve is still to send. */
        boolean hasUnsent() {
            for (Entry entry : entries.values()) {
                if ((entry.alert.state() == Alert.State.FIRING) != entry.notified) {
                    return true;
                }
            }
            return false;
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

    /**
     * A configured inhibition rule with its firing sources and targets by the values of its {@code equal} labels:
     * what inhibits an alert, and what a resolving alert inhibited, are lookups.
     */
    private static final class RuleIndex {
        final InhibitRule rule;
        final Map<List<String>, Map<String, Alert>> sources = new HashMap<>();
        final Map<List<String>, Map<String, Alert>> targets = new HashMap<>();

        RuleIndex(InhibitRule rule) {
            this.rule = rule;
        }

        List<String> equalValues(Map<String, String> labels) {
            return rule.equal().stream().map(label -> labels.getOrDefault(label, "")).toList();
        }

        void add(Alert alert) {
            Map<String, String> labels = alert.labelSet();
            if (Matcher.all(rule.sourceMatchers(), labels)) {
                sources.computeIfAbsent(equalValues(labels), k -> new LinkedHashMap<>())
                        .put(alert.fingerprint(), alert);
            }
            if (Matcher.all(rule.targetMatchers(), labels)) {
                targets.computeIfAbsent(equalValues(labels), k -> new LinkedHashMap<>())
                        .put(alert.fingerprint(), alert);
            }
        }

        void remove(Alert alert) {
            List<String> key = equalValues(alert.labelSet());
            for (Map<List<String>, Map<String, Alert>> index : List.of(sources, targets)) {
                Map<String, Alert> bucket = index.get(key);
                if (bucket != null && bucket.remove(alert.fingerprint()) != null && bucket.isEmpty()) {
                    index.remove(key);
                }
            }
        }
    }
}
