package io.aegis.core.internal.alerting;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.alerting.Silence;
import io.aegis.core.internal.config.TrackingSettings;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The {@code alerting:} section as the lifecycle uses it: {@code metadataLabels}, the {@code route} tree,
 * {@code silences} and {@code inhibitRules}. {@code rules} and {@code evaluationInterval} are known keys read by
 * the threshold rules. Every mistake is reported with its key path, all at once. Immutable.
 */
public record AlertingConfig(List<String> metadataLabels, Route route, List<SilenceRule> silences,
        List<InhibitRule> inhibitRules) {

    /** Alertmanager's defaults, except groupBy (see {@link #DEFAULT_GROUP_BY}). */
    public static final Duration DEFAULT_GROUP_WAIT = Duration.ofSeconds(30);
    /** Alertmanager's default. */
    public static final Duration DEFAULT_GROUP_INTERVAL = Duration.ofMinutes(5);
    /** Alertmanager's default. */
    public static final Duration DEFAULT_REPEAT_INTERVAL = Duration.ofHours(4);
    /**
     * One group per alert name and service: Alertmanager's own default (one group for everything) would put
     * unrelated services' alerts into one message.
     */
    public static final List<String> DEFAULT_GROUP_BY = List.of("alertname", "service");
    private static final Set<String> RESERVED_LABELS = Set.of("alertname", "service", "severity");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** The defaults, for an engine without an {@code alerting:} section: every notifier gets every alert. */
    public static AlertingConfig defaults(List<String> notifiers) {
        return new AlertingConfig(List.of(), new Route("0", "{}", List.of(), notifiers, DEFAULT_GROUP_BY,
                DEFAULT_GROUP_WAIT, DEFAULT_GROUP_INTERVAL, DEFAULT_REPEAT_INTERVAL, false, List.of()), List.of(),
                List.of());
    }

    /**
     * Reads {@code section} (the {@code alerting:} block); {@code notifiers} are the configured notifiers' names.
     * Problems, unknown keys included, go to {@code problems}; the result is then only good for reporting.
     */
    public static AlertingConfig parse(Settings section, List<String> notifiers, List<ConfigProblem> problems) {
        // Left to the threshold rules, which read them from the same section.
        section.raw("rules");
        section.raw("evaluationInterval");
        List<String> metadataLabels = metadataLabels(section, problems);
        Route root = attempt(problems, () -> section.section("route")).flatMap(s -> s)
                .map(settings -> route(settings, "0", "{}", null, notifiers, problems))
                .orElseGet(() -> defaults(notifiers).route());
        List<SilenceRule> silences = new ArrayList<>();
        List<Settings> silenceBlocks = sections(section, "silences", problems);
        for (int i = 0; i < silenceBlocks.size(); i++) {
            int index = i;
            attempt(problems, () -> silence(silenceBlocks.get(index), index, problems)).ifPresent(silences::add);
        }
        List<InhibitRule> inhibitRules = new ArrayList<>();
        for (Settings rule : sections(section, "inhibitRules", problems)) {
            List<Matcher> source = matchers(rule, "sourceMatchers", true, problems);
            List<Matcher> target = matchers(rule, "targetMatchers", true, problems);
            List<String> equal = attempt(problems, () -> rule.stringList("equal")).orElse(List.of());
            inhibitRules.add(new InhibitRule(rule.path(), source, target, equal));
        }
        if (section instanceof TrackingSettings tracked) {
            // Unknown keys of this section's own blocks; those under rules: are the threshold rules' to report.
            problems.addAll(tracked.unknownKeysHere());
            attempt(problems, () -> tracked.raw("route").filter(java.util.Map.class::isInstance)
                    .flatMap(route -> tracked.trackedSection("route")))
                    .flatMap(route -> route).ifPresent(route -> problems.addAll(route.unknownKeys()));
            for (String key : List.of("silences", "inhibitRules")) {
                tracked.trackedSections(key, problem -> { }).forEach(block -> problems.addAll(block.unknownKeys()));
            }
        }
        return new AlertingConfig(metadataLabels, root, silences, inhibitRules);
    }

    private static List<String> metadataLabels(Settings section, List<ConfigProblem> problems) {
        List<String> labels = attempt(problems, () -> section.stringList("metadataLabels")).orElse(List.of());
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            String path = section.keyPath("metadataLabels") + "[" + i + "]";
            if (!LABEL_NAME.matcher(label).matches()) {
                problems.add(new ConfigProblem(path, "\"" + label + "\" cannot be a label name (letters, digits and"
                        + " _, not starting with a digit); name a metadata key that can"));
            } else if (RESERVED_LABELS.contains(label)) {
                problems.add(new ConfigProblem(path, "\"" + label + "\" is set by aegis on every alert and cannot come"
                        + " from metadata; remove it from the list"));
            }
        }
        return labels;
    }

    private static Route route(Settings settings, String id, String key, Route parent, List<String> notifiers,
            List<ConfigProblem> problems) {
        List<Matcher> matchers = parent == null ? List.of() : matchers(settings, "matchers", false, problems);
        if (parent == null && settings.has("matchers")) {
            problems.add(new ConfigProblem(settings.keyPath("matchers"), "the root route takes every alert and has no"
                    + " matchers; put them on a route under routes:"));
        }
        List<String> routeNotifiers = attempt(problems, () -> settings.stringList("notifiers")).orElse(List.of());
        for (int i = 0; i < routeNotifiers.size(); i++) {
            if (!notifiers.contains(routeNotifiers.get(i))) {
                problems.add(new ConfigProblem(settings.keyPath("notifiers") + "[" + i + "]", "no notifier named \""
                        + routeNotifiers.get(i) + "\" is configured under notifications: ("
                        + (notifiers.isEmpty() ? "none is" : "configured: " + String.join(", ", notifiers)) + ")"));
            }
        }
        if (!settings.has("notifiers")) {
            routeNotifiers = parent == null ? notifiers : parent.notifiers();
        }
        List<String> groupBy = settings.has("groupBy")
                ? attempt(problems, () -> settings.stringList("groupBy")).orElse(DEFAULT_GROUP_BY)
                : parent == null ? DEFAULT_GROUP_BY : parent.groupBy();
        for (int i = 0; settings.has("groupBy") && i < groupBy.size(); i++) {
            String label = groupBy.get(i);
            if (!label.equals("...") && !LABEL_NAME.matcher(label).matches()) {
                problems.add(new ConfigProblem(settings.keyPath("groupBy") + "[" + i + "]", "expected a label name"
                        + " such as service or alertname (letters, digits and _, not starting with a digit), or ..."
                        + " for every label, found \"" + label + "\""));
            }
        }
        Duration groupWait = duration(settings, "groupWait", parent == null ? DEFAULT_GROUP_WAIT : parent.groupWait(),
                Duration.ZERO, problems);
        Duration groupInterval = duration(settings, "groupInterval",
                parent == null ? DEFAULT_GROUP_INTERVAL : parent.groupInterval(), Duration.ZERO, problems);
        Duration repeatInterval = duration(settings, "repeatInterval",
                parent == null ? DEFAULT_REPEAT_INTERVAL : parent.repeatInterval(), Duration.ofSeconds(1), problems);
        boolean continueMatching = attempt(problems, () -> settings.bool("continue", false)).orElse(false);
        if (parent == null && settings.has("continue")) {
            problems.add(new ConfigProblem(settings.keyPath("continue"), "continue means nothing on the root route;"
                    + " put it on a route under routes:"));
        }
        String routeKey = parent == null ? key : key + "/{" + String.join(",", matchers.stream()
                .map(Matcher::toString).toList()) + "}";
        Route self = new Route(id, routeKey, matchers, routeNotifiers, groupBy, groupWait, groupInterval,
                repeatInterval, continueMatching, List.of());
        List<Route> children = new ArrayList<>();
        List<Settings> childBlocks = sections(settings, "routes", problems);
        for (int i = 0; i < childBlocks.size(); i++) {
            children.add(route(childBlocks.get(i), id + "." + i, routeKey, self, notifiers, problems));
        }
        return new Route(id, routeKey, matchers, routeNotifiers, groupBy, groupWait, groupInterval, repeatInterval,
                continueMatching, children);
    }

    private static SilenceRule silence(Settings settings, int index, List<ConfigProblem> problems) {
        List<Matcher> matchers = matchers(settings, "matchers", true, problems);
        String comment = settings.string("comment", "");
        boolean scheduled = settings.has("schedule");
        Optional<Instant> startsAt = instant(settings, "startsAt", problems);
        Optional<Instant> endsAt = instant(settings, "endsAt", problems);
        Optional<WeeklySchedule> schedule = Optional.empty();
        if (scheduled) {
            if (settings.has("startsAt") || settings.has("endsAt")) {
                problems.add(new ConfigProblem(settings.keyPath("schedule"), "a silence has either a schedule or"
                        + " startsAt/endsAt, not both; split it into two silences"));
            }
            schedule = attempt(problems, () -> settings.section("schedule")).flatMap(s -> s)
                    .map(block -> schedule(block, problems));
        } else if (endsAt.isEmpty() && !settings.has("endsAt")) {
            problems.add(new ConfigProblem(settings.keyPath("endsAt"), "missing: a silence needs endsAt (an instant"
                    + " such as 2026-12-01T23:00:00Z) or a weekly schedule: {weekdays, times, timeZone}"));
        } else if (startsAt.isPresent() && endsAt.isPresent() && !endsAt.get().isAfter(startsAt.get())) {
            problems.add(new ConfigProblem(settings.keyPath("endsAt"), "endsAt " + endsAt.get() + " is not after"
                    + " startsAt " + startsAt.get() + "; the window would be empty"));
        }
        if (matchers.isEmpty()) {
            return null;
        }
        Silence silence = new Silence("config-" + index, matchers, startsAt.orElse(Instant.EPOCH),
                endsAt.orElse(startsAt.orElse(Instant.EPOCH).plusSeconds(1)), "configuration", comment,
                schedule.map(WeeklySchedule::toString));
        return new SilenceRule(silence, schedule);
    }

    private static WeeklySchedule schedule(Settings block, List<ConfigProblem> problems) {
        Set<DayOfWeek> weekdays = EnumSet.noneOf(DayOfWeek.class);
        List<String> days = attempt(problems, () -> block.stringList("weekdays")).orElse(List.of());
        for (int i = 0; i < days.size(); i++) {
            String day = days.get(i).strip().toLowerCase(Locale.ROOT);
            String[] range = day.split(":", 2);
            try {
                DayOfWeek from = DayOfWeek.valueOf(range[0].toUpperCase(Locale.ROOT));
                DayOfWeek to = range.length == 2 ? DayOfWeek.valueOf(range[1].toUpperCase(Locale.ROOT)) : from;
                for (DayOfWeek d = from; ; d = d.plus(1)) {
                    weekdays.add(d);
                    if (d == to) {
                        break;
                    }
                }
            } catch (IllegalArgumentException e) {
                problems.add(new ConfigProblem(block.keyPath("weekdays") + "[" + i + "]", "\"" + days.get(i)
                        + "\" is no weekday; write monday ... sunday, or a range such as monday:friday"));
            }
        }
        List<WeeklySchedule.TimeRange> times = new ArrayList<>();
        List<Settings> ranges = sections(block, "times", problems);
        for (Settings range : ranges) {
            Optional<LocalTime> start = time(range, "start", problems);
            Optional<LocalTime> end = time(range, "end", problems);
            if (start.isPresent() && end.isPresent()) {
                if (!end.get().equals(LocalTime.MIDNIGHT) && !end.get().isAfter(start.get())) {
                    problems.add(new ConfigProblem(range.keyPath("end"), "end " + end.get() + " is not after start "
                            + start.get() + "; a window that crosses midnight is two ranges (22:00-24:00 and"
                            + " 00:00-02:00 on the next day)"));
                } else {
                    times.add(new WeeklySchedule.TimeRange(start.get(), end.get()));
                }
            }
        }
        if (ranges.isEmpty() && !block.has("times")) {
            problems.add(new ConfigProblem(block.keyPath("times"), "missing: the daily time ranges of the window,"
                    + " for example times: [{start: \"02:00\", end: \"04:00\"}]"));
        }
        ZoneId zone = ZoneOffset.UTC;
        Optional<String> zoneName = attempt(problems, () -> block.string("timeZone")).flatMap(z -> z);
        if (zoneName.isPresent()) {
            try {
                zone = ZoneId.of(zoneName.get());
            } catch (DateTimeException e) {
                problems.add(new ConfigProblem(block.keyPath("timeZone"), "\"" + zoneName.get() + "\" is no time zone;"
                        + " use an IANA name such as Europe/Berlin or UTC"));
            }
        }
        return new WeeklySchedule(weekdays, times, zone);
    }

    private static Optional<LocalTime> time(Settings range, String key, List<ConfigProblem> problems) {
        Optional<String> text = attempt(problems, () -> range.string(key)).flatMap(t -> t);
        if (text.isEmpty()) {
            problems.add(new ConfigProblem(range.keyPath(key), "missing: a local time such as \"02:00\""));
            return Optional.empty();
        }
        if (text.get().equals("24:00") && key.equals("end")) {
            return Optional.of(LocalTime.MIDNIGHT);
        }
        try {
            return Optional.of(LocalTime.parse(text.get().length() == 4 ? "0" + text.get() : text.get()));
        } catch (DateTimeParseException e) {
            problems.add(new ConfigProblem(range.keyPath(key), "\"" + text.get() + "\" is no time of day; write HH:MM"
                    + " in quotes, such as \"02:00\" (end may be \"24:00\")"));
            return Optional.empty();
        }
    }

    private static Optional<Instant> instant(Settings settings, String key, List<ConfigProblem> problems) {
        Optional<Object> raw = attempt(problems, () -> settings.raw(key)).flatMap(r -> r);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        Object value = raw.get();
        if (value instanceof java.util.Date) {
            return Optional.of(((java.util.Date) value).toInstant());
        }
        try {
            return Optional.of(java.time.OffsetDateTime.parse(value.toString()).toInstant());
        } catch (DateTimeParseException e) {
            problems.add(new ConfigProblem(settings.keyPath(key), "expected an instant with its offset such as"
                    + " 2026-12-01T22:00:00Z or 2026-12-01T23:00:00+01:00, found " + Settings.describe(value)));
            return Optional.empty();
        }
    }

    private static Duration duration(Settings settings, String key, Duration defaultValue, Duration min,
            List<ConfigProblem> problems) {
        Duration value = attempt(problems, () -> settings.duration(key, defaultValue)).orElse(defaultValue);
        if (value.compareTo(min) < 0) {
            problems.add(new ConfigProblem(settings.keyPath(key), "must be at least " + (min.isZero() ? "0s"
                    : min.toSeconds() + "s") + ", found " + settings.string(key, "")));
            return defaultValue;
        }
        return value;
    }

    private static List<Matcher> matchers(Settings settings, String key, boolean required,
            List<ConfigProblem> problems) {
        List<String> texts = attempt(problems, () -> settings.stringList(key)).orElse(List.of());
        if (texts.isEmpty() && required && problems.stream().noneMatch(p -> p.keyPath().startsWith(
                settings.keyPath(key)))) {
            problems.add(new ConfigProblem(settings.keyPath(key), "missing: at least one label matcher such as"
                    + " service=\"db\" or severity=~\"critical|warning\""));
        }
        List<Matcher> matchers = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            try {
                matchers.add(Matcher.parse(texts.get(i)));
            } catch (IllegalArgumentException e) {
                problems.add(new ConfigProblem(settings.keyPath(key) + "[" + i + "]", e.getMessage()));
            }
        }
        return matchers;
    }

    private static List<Settings> sections(Settings settings, String key, List<ConfigProblem> problems) {
        if (settings instanceof TrackingSettings) {
            return List.copyOf(((TrackingSettings) settings).trackedSections(key, problems::add));
        }
        return attempt(problems, () -> settings.sections(key)).orElse(List.of());
    }

    private static <T> Optional<T> attempt(List<ConfigProblem> problems, Supplier<T> read) {
        try {
            return Optional.ofNullable(read.get());
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            return Optional.empty();
        }
    }
}
