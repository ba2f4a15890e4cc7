package io.aegis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The subcommands that talk to a running aegis over its HTTP API ({@link ApiClient}): {@code status}, {@code restart},
 * {@code reset}, {@code pause}, {@code resume}, {@code isolate}, {@code silence}, {@code reload}, {@code events}.
 * Exit codes: 0 done, 1 aegis refused (its sentence is printed), 2 bad command line, 3 no aegis answering.
 */
final class ControlCommands {
    private ControlCommands() {
    }

    /** Where the running aegis is: the options every subcommand shares. */
    static final class Target {
        @Option(names = "--server", paramLabel = "<url>",
                description = "The API of the running aegis (default: AEGIS_SERVER, else global.api of --config,"
                        + " else http://127.0.0.1:9098). The token comes from AEGIS_TOKEN, else from --config.")
        String server;

        @Option(names = "--config", paramLabel = "<path>",
                description = "The running aegis' configuration file, to find its API (default: aegis.yaml when it"
                        + " exists).")
        Path config;

        ApiClient client() throws ApiClient.Failure {
            return ApiClient.locate(server, config, System.getenv());
        }
    }

    /** Runs a subcommand's body; a failure prints its sentence and becomes the exit code. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        Target target;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public Integer call() {
            try {
                return run(target.client());
            } catch (ApiClient.Failure failure) {
                spec.commandLine().getErr().println(failure.getMessage());
                return failure.exitCode;
            }
        }

        abstract int run(ApiClient client) throws ApiClient.Failure;
    }

    // ---- status -------------------------------------------------------------------------------------------------

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Shows the services of a running aegis and their state.",
        "A table: state, for how long, last check, latency, recoveries, workload; with a NAME, that service in",
        "detail with its last state transitions."})
    static final class Status extends Base {
        @Parameters(arity = "0..1", paramLabel = "NAME", description = "One service.")
        String name;

        @Option(names = {"-o", "--output"}, paramLabel = "<format>", defaultValue = "table",
                description = "table (default) or json.")
        String output;

        @Override
        int run(ApiClient client) throws ApiClient.Failure {
            if (!output.equals("table") && !output.equals("json")) {
                spec.commandLine().getErr().println("aegis status: --output: expected table or json, found \"" + output
                        + "\"");
                return 2;
            }
            JsonNode answer = client.get(name == null ? "/api/v1/services" : "/api/v1/services/" + path(name));
            if (output.equals("json")) {
                out().println(answer.toPrettyString());
                return 0;
            }
            if (name != null) {
                detail(answer);
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAME", "STATE", "FOR", "LAST CHECK", "LATENCY", "RECOVERIES", "WORKLOAD",
                "MESSAGE"});
            Instant now = Instant.now();
            for (JsonNode service : answer.path("services")) {
                JsonNode check = service.path("lastCheck");
                String state = service.path("state").asText();
                if (service.path("paused").asBoolean(false)) {
                    state += " (paused)";
                }
                rows.add(new String[] {
                    service.path("name").asText(),
                    state,
                    age(service.path("since").asText(null), now),
                    check.isObject() ? (check.path("passing").asBoolean() ? "passed " : "failed ")
                            + age(check.path("at").asText(null), now) + " ago" : "none yet",
                    check.isObject() ? millis(check.path("latencyMs").asDouble()) : "-",
                    service.path("recoveries").asText("0"),
                    service.path("workload").asText("-").equals("null") ? "-" : service.path("workload").asText("-"),
                    check.isObject() ? oneLine(check.path("message").asText(""), 60) : ""});
            }
            printTable(rows);
            int alerts = 0;
            for (JsonNode service : answer.path("services")) {
                alerts += service.path("alerts").size();
            }
            if (alerts > 0) {
                out().println();
                out().println(alerts + (alerts == 1 ? " alert firing" : " alerts firing") + ":");
                for (JsonNode service : answer.path("services")) {
                    for (JsonNode alert : service.path("alerts")) {
                        out().println("  " + service.path("name").asText() + ": " + alert.path("name").asText() + " ("
                                + alert.path("severity").asText() + ") " + alert.path("summary").asText()
                                + (alert.path("silenced").asBoolean() ? " [silenced]" : ""));
                    }
                }
            }
            return 0;
        }

        private void detail(JsonNode service) {
            Instant now = Instant.now();
            PrintWriter out = out();
            out.println("Name:        " + service.path("name").asText());
            out.println("State:       " + service.path("state").asText() + " for " + age(service.path("since")
                    .asText(null), now) + (service.path("paused").asBoolean(false) ? " (paused)" : ""));
            JsonNode check = service.path("check");
            if (check.isObject()) {
                out.println("Check:       " + check.path("type").asText() + " " + check.path("endpoint").asText());
            }
            if (!service.path("workload").isNull() && service.has("workload")) {
                out.println("Workload:    " + service.path("workload").asText());
            }
            if (!service.path("ladderStep").isNull() && service.has("ladderStep")) {
                out.println("Ladder step: " + service.path("ladderStep").asText());
            }
            out.println("Recoveries:  " + service.path("recoveries").asText("0"));
            JsonNode last = service.path("lastCheck");
            if (last.isObject()) {
                out.println("Last check:  " + last.path("status").asText() + " " + age(last.path("at").asText(null),
                        now) + " ago in " + millis(last.path("latencyMs").asDouble()) + ": "
                        + last.path("message").asText());
            }
            if (service.path("transitions").size() > 0) {
                out.println("Transitions:");
                for (JsonNode transition : service.path("transitions")) {
                    out.println("  " + clock(transition.path("at").asText()) + "  " + transition.path("from").asText()
                            + " -> " + transition.path("to").asText() + "  "
                            + oneLine(transition.path("reason").asText(), 200));
                }
            }
            if (service.path("alerts").size() > 0) {
                out.println("Alerts:");
                for (JsonNode alert : service.path("alerts")) {
                    out.println("  " + alert.path("name").asText() + " (" + alert.path("severity").asText() + ") "
                            + alert.path("summary").asText()
                            + (alert.path("silenced").asBoolean() ? " [silenced]" : ""));
                }
            }
        }

        private void printTable(List<String[]> rows) {
            int columns = rows.get(0).length;
            int[] widths = new int[columns];
            for (String[] row : rows) {
                for (int c = 0; c < columns; c++) {
                    widths[c] = Math.max(widths[c], row[c].length());
                }
            }
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int c = 0; c < columns; c++) {
                    line.append(row[c]);
                    if (c < columns - 1) {
                        line.append(" ".repeat(widths[c] - row[c].length() + 3));
                    }
                }
                out().println(line.toString().stripTrailing());
            }
        }
    }

    // ---- actions on a service -------------------------------------------------------------------------------------

    /**
     * restart, reset, pause, resume, isolate: one POST each, the action being the command's own name (each subclass
     * exists only to carry picocli's annotation).
     */
    abstract static class Action extends Base {
        private static final Map<String, String> DONE = Map.of("restart", "restarted", "reset", "reset",
                "pause", "paused", "resume", "resumed", "isolate", "isolated");

        @Parameters(index = "0", paramLabel = "NAME", description = "The service.")
        String name;

        @Option(names = "--reason", paramLabel = "<text>", description = "Why (logged, and carried by the event).")
        String reason;

        @Override
        int run(ApiClient client) throws ApiClient.Failure {
            String action = spec.name();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("reason", reason != null ? reason : "aegis " + action + " from the command line by "
                    + System.getProperty("user.name", "?"));
            JsonNode answer = client.post("/api/v1/services/" + path(name) + "/" + action, body);
            out().println(name + ": " + (answer.path("done").asBoolean(false) ? DONE.get(action)
                    : action + " under way (aegis events --follow shows how it ends)"));
            return 0;
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true,
            description = "Restarts a service's workload now (outside its ladder and budget).")
    static final class Restart extends Action {
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Starts a FAILED or ISOLATED service over: budget cleared, workload restarted.")
    static final class Reset extends Action {
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Maintenance: no recovery and no alerts for a service; its checks go on.")
    static final class Pause extends Action {
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Ends a service's maintenance: it is judged again at once.")
    static final class Resume extends Action {
    }

    @Command(name = "isolate", mixinStandardHelpOptions = true,
            description = "Takes a service's workload out of traffic, keeps it running, stops its recovery.")
    static final class Isolate extends Action {
    }

    // ---- reload ---------------------------------------------------------------------------------------------------

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = {"Makes a running aegis re-read its configuration file.",
        "Unchanged services keep running untouched; nothing changes when the new file has a mistake (every",
        "problem is printed, exit 1)."})
    static final class Reload extends Base {
        @Override
        int run(ApiClient client) throws ApiClient.Failure {
            JsonNode answer = client.post("/api/v1/reload", null);
            if (answer.has("problems")) {
                spec.commandLine().getErr().println("aegis: " + answer.path("error").asText());
                for (JsonNode problem : answer.path("problems")) {
                    spec.commandLine().getErr().println(problem.asText());
                }
                return ApiClient.EXIT_REFUSED;
            }
            out().println("reloaded: " + list(answer, "added") + ", " + list(answer, "removed") + ", "
                    + list(answer, "changed") + ", " + answer.path("unchanged").size() + " unchanged");
            for (JsonNode sentence : answer.path("notApplied")) {
                out().println("not applied: " + sentence.asText());
            }
            return 0;
        }

        private static String list(JsonNode answer, String key) {
            List<String> names = new ArrayList<>();
            answer.path(key).forEach(name -> names.add(name.asText()));
            return names.size() + " " + key + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")");
        }
    }

    // ---- silences -------------------------------------------------------------------------------------------------

    @Command(name = "silence", mixinStandardHelpOptions = true,
            description = "Adds, lists or expires silences of alerts.",
            subcommands = {SilenceAdd.class, SilenceList.class, SilenceExpire.class})
    static final class Silence implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getErr());
            return 2;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Silences the alerts matching every MATCHER for a while.",
        "Matchers as Alertmanager's amtool writes them: service=web, severity=~\"warn|info\"."})
    static final class SilenceAdd extends Base {
        @Parameters(arity = "1..*", paramLabel = "MATCHER", description = "label=value, label!=value, label=~regex,"
                + " label!~regex.")
        List<String> matchers;

        @Option(names = {"-d", "--duration"}, paramLabel = "<duration>", defaultValue = "1h",
                description = "How long, such as 30m or 2h (default: ${DEFAULT-VALUE}).")
        String duration;

        @Option(names = {"-c", "--comment"}, paramLabel = "<text>", required = true, description = "Why.")
        String comment;

        @Option(names = {"-a", "--author"}, paramLabel = "<name>", description = "Who (default: your user name).")
        String author;

        @Override
        int run(ApiClient client) throws ApiClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("matchers", matchers);
            body.put("duration", duration);
            body.put("comment", comment);
            body.put("createdBy", author != null ? author : System.getProperty("user.name", "cli"));
            JsonNode silence = client.post("/api/v1/silences", body);
            out().println(silence.path("id").asText());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the silences that have not ended.")
    static final class SilenceList extends Base {
        @Override
        int run(ApiClient client) throws ApiClient.Failure {
            JsonNode answer = client.get("/api/v1/silences");
            if (answer.path("silences").isEmpty()) {
                out().println("no silences");
                return 0;
            }
            for (JsonNode silence : answer.path("silences")) {
                List<String> matchers = new ArrayList<>();
                silence.path("matchers").forEach(m -> matchers.add(m.asText()));
                out().println(silence.path("id").asText() + "  " + String.join(",", matchers) + "  until "
                        + silence.path("endsAt").asText() + (silence.path("active").asBoolean() ? "" : " (pending)")
                        + "  by " + silence.path("createdBy").asText() + ": " + silence.path("comment").asText());
            }
            return 0;
        }
    }

    @Command(name = "expire", mixinStandardHelpOptions = true,
            description = "Ends silences now.")
    static final class SilenceExpire extends Base {
        @Parameters(arity = "1..*", paramLabel = "ID")
        List<String> ids;

        @Override
        int run(ApiClient client) throws ApiClient.Failure {
            for (String id : ids) {
                client.delete("/api/v1/silences/" + path(id));
                out().println("expired " + id);
            }
            return 0;
        }
    }

    // ---- events ---------------------------------------------------------------------------------------------------

    @Command(name = "events", mixinStandardHelpOptions = true,
            description = {"Prints the recent events of a running aegis.",
        "State changes, recoveries, alerts, actions and reloads; with --follow, keeps printing them as they come."})
    static final class Events extends Base {
        @Option(names = {"-f", "--follow"}, description = "Keep printing new events until interrupted.")
        boolean follow;

        @Option(names = "--checks", description = "Also every check result (many).")
        boolean checks;

        @Option(names = {"-o", "--output"}, paramLabel = "<format>", defaultValue = "text",
                description = "text (default) or json (one object per line).")
        String output;

        @Override
        int run(ApiClient client) throws ApiClient.Failure {
            StringBuilder query = new StringBuilder("/api/v1/events?lastEventId=0");
            if (!follow) {
                query.append("&follow=false");
            }
            try (InputStream body = client.stream(query.toString());
                    BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String type = null;
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("event: ")) {
                        type = line.substring(7);
                    } else if (line.startsWith("data: ") && type != null) {
                        if (!checks && type.equals("CheckCompleted")) {
                            continue;
                        }
                        print(client, type, line.substring(6));
                    }
                }
            } catch (IOException e) {
                spec.commandLine().getErr().println("aegis: the event stream from " + client.server + " ended: "
                        + e.getMessage());
                return ApiClient.EXIT_UNREACHABLE;
            }
            return 0;
        }

        private void print(ApiClient client, String type, String data) {
            if (output.equals("json")) {
                out().println(data);
                out().flush();
                return;
            }
            JsonNode event;
            try {
                event = client.json.readTree(data);
            } catch (IOException e) {
                return;
            }
            StringBuilder line = new StringBuilder(clock(event.path("at").asText())).append("  ")
                    .append(event.path("service").asText().isEmpty() ? "(aegis)" : event.path("service").asText())
                    .append("  ").append(type);
            switch (type) {
                case "StateChanged" -> line.append("  ").append(event.path("from").asText()).append(" -> ")
                        .append(event.path("to").asText()).append("  ")
                        .append(oneLine(event.path("cause").asText(), 200));
                case "CheckCompleted" -> line.append("  ").append(event.path("status").asText()).append(" in ")
                        .append(millis(event.path("latencyMs").asDouble())).append("  ")
                        .append(oneLine(event.path("message").asText(), 80));
                default -> event.fields().forEachRemaining(field -> {
                    if (!field.getKey().equals("service") && !field.getKey().equals("at")) {
                        line.append("  ").append(field.getKey()).append('=').append(field.getValue().isTextual()
                                ? oneLine(field.getValue().asText(), 80) : field.getValue().toString());
                    }
                });
            }
            out().println(line);
            out().flush();
        }
    }

    // ---- formatting -----------------------------------------------------------------------------------------------

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    static String path(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String clock(String iso) {
        try {
            return CLOCK.format(Instant.parse(iso));
        } catch (RuntimeException e) {
            return iso;
        }
    }

    /** 5s, 3m12s, 2h5m, 3d4h: as kubectl shows ages. */
    static String age(String iso, Instant now) {
        if (iso == null) {
            return "-";
        }
        Duration age;
        try {
            age = Duration.between(Instant.parse(iso), now);
        } catch (RuntimeException e) {
            return "-";
        }
        long seconds = Math.max(0, age.toSeconds());
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m" + (seconds % 60 == 0 ? "" : seconds % 60 + "s");
        }
        if (seconds < 86_400) {
            return seconds / 3600 + "h" + (seconds % 3600 / 60 == 0 ? "" : seconds % 3600 / 60 + "m");
        }
        return seconds / 86_400 + "d" + (seconds % 86_400 / 3600 == 0 ? "" : seconds % 86_400 / 3600 + "h");
    }

    static String millis(double ms) {
        return ms < 10 ? String.format(Locale.ROOT, "%.1fms", ms) : Math.round(ms) + "ms";
    }

    /** One line for a terminal: control characters (newlines, escape sequences) become spaces; cut at max. */
    static String oneLine(String text, int max) {
        String line = text.replaceAll("[\\p{Cntrl}\\u2028\\u2029\\u0085]", " ");
        return line.length() <= max ? line : line.substring(0, max - 1) + "…";
    }
}
