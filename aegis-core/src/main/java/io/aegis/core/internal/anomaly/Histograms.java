package io.aegis.core.internal.anomaly;

import java.util.Map;
import java.util.NavigableMap;

/** PromQL's {@code histogram_quantile} on cumulative bucket counts. */
final class Histograms {
    private Histograms() {
    }

    /**
     * The {@code q}-quantile of the observations counted in {@code cumulative} (upper bound {@code le} to the count of
     * observations at most that, {@code +Inf} included), interpolated linearly within its bucket as Prometheus does;
     * the highest finite bound when it falls in the {@code +Inf} bucket; NaN when nothing was observed.
     */
    static double quantile(double q, NavigableMap<Double, Double> cumulative) {
        if (cumulative.isEmpty()) {
            return Double.NaN;
        }
        Map.Entry<Double, Double> last = cumulative.lastEntry();
        if (last.getKey() != Double.POSITIVE_INFINITY) {
            return Double.NaN; // as PromQL: without the +Inf bucket the total is not known
        }
        double total = last.getValue();
        if (!(total > 0)) {
            return Double.NaN;
        }
        double rank = q * total;
        double lowerBound = 0;
        double countBelow = 0;
        for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
            double upperBound = bucket.getKey();
            double count = bucket.getValue();
            if (count >= rank) {
                if (upperBound == Double.POSITIVE_INFINITY) {
                    return lowerBound; // the highest finite bound: nothing is known above it
                }
                if (count == countBelow) {
                    return upperBound;
                }
                double from = lowerBound > upperBound ? upperBound : lowerBound;
                return from + (upperBound - from) * (rank - countBelow) / (count - countBelow);
            }
            lowerBound = upperBound;
            countBelow = count;
        }
        return lowerBound;
    }
}
