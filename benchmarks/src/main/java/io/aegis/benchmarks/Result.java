package io.aegis.benchmarks;

import java.util.ArrayList;
import java.util.List;

/** The rows one scenario adds to the table. */
public final class Result {
    /**
     * One line of the table.
     *
     * @param scenario e.g. {@code fleet 10000 http keep-alive}
     * @param metric what was measured, with its unit
     * @param aegis aegis' figure: median [min-max] over the runs or windows
     * @param reference a ratio to a reference measured in the same run ("" when none)
     * @param peers aegis/peer ratios or "not installed" / "n/a"
     */
    public record Row(String scenario, String metric, String aegis, String reference, String peers) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    /** Adds a row. */
    public Result row(String scenario, String metric, String aegis, String reference, String peers) {
        rows.add(new Row(scenario, metric, aegis, reference == null ? "" : reference, peers == null ? "" : peers));
        return this;
    }

    /** Adds a footnote printed under the table. */
    public Result note(String note) {
        notes.add(note);
        return this;
    }

    public List<Row> rows() {
        return rows;
    }

    public List<String> notes() {
        return notes;
    }
}
