package io.aegis.benchmarks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Medians and percentiles of small samples, formatted for the table. */
public final class Stats {
    private final double[] sorted;

    private Stats(double[] values) {
        // a window without data reports NaN: leave it out rather than let it pose as a maximum
        this.sorted = java.util.Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
        Arrays.sort(sorted);
    }

    public static Stats of(List<Double> values) {
        return new Stats(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public static Stats of(double... values) {
        return new Stats(values);
    }

    public boolean isEmpty() {
        return sorted.length == 0;
    }

    public int count() {
        return sorted.length;
    }

    /** Nearest-rank percentile, {@code p} in [0, 100]. */
    public double percentile(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public double median() {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public double min() {
        return sorted.length == 0 ? Double.NaN : sorted[0];
    }

    public double max() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }

    /** {@code median [min-max] unit (n=count)}. */
    public String summary(String unit) {
        if (sorted.length == 0) {
            return "no data";
        }
        return num(median()) + " [" + num(min()) + "-" + num(max()) + "]" + (unit.isEmpty() ? "" : " " + unit)
                + " n=" + sorted.length;
    }

    /** A number with about three significant digits. */
    public static String num(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "-";
        }
        double abs = Math.abs(value);
        if (abs >= 100) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (abs >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (abs >= 1) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3f", value);
    }

    /** {@code a/b = x.xx}, or "-" when either is missing. */
    public static String ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2fx", a / b);
    }
}
