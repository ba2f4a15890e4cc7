package io.aegis.core.internal.anomaly;

import java.util.Locale;

/**
 * What anomaly detection watches for each service, in the units of the seed's {@code anomaly_detection.thresholds}:
 * latency in milliseconds, error rate as a fraction, throughput in requests per second.
 */
public enum Signal {
    /** Check latency (or the service's own request latency), milliseconds; an anomaly when it rises. */
    LATENCY("latency", "ms", 1e-3, true, false, 1.0),
    /** Failed checks (or failed requests) over all of them, 0 to 1; an anomaly when it rises. */
    ERROR_RATE("error_rate", "", 1.0, true, false, 0.01),
    /** Requests per second; an anomaly when it falls (a threshold), or falls or suddenly rises (a baseline). */
    THROUGHPUT("throughput", "req/s", 1.0, true, true, 0.5);

    private final String key;
    private final String unit;
    private final double toBaseUnit;
    private final boolean upIsAnomalous;
    private final boolean downIsAnomalous;
    private final double minimumSpread;

    Signal(String key, String unit, double toBaseUnit, boolean upIsAnomalous, boolean downIsAnomalous,
            double minimumSpread) {
        this.key = key;
        this.unit = unit;
        this.toBaseUnit = toBaseUnit;
        this.upIsAnomalous = upIsAnomalous;
        this.downIsAnomalous = downIsAnomalous;
        this.minimumSpread = minimumSpread;
    }

    /** Its name in the configuration and in metric labels: {@code latency}, {@code error_rate}, {@code throughput}. */
    public String key() {
        return key;
    }

    /** The factor from its unit to the Prometheus base unit (milliseconds to seconds for latency). */
    public double toBaseUnit() {
        return toBaseUnit;
    }

    /** Whether a learned baseline judges a value above its band an anomaly. */
    public boolean upIsAnomalous() {
        return upIsAnomalous;
    }

    /** Whether a learned baseline judges a value below its band an anomaly. */
    public boolean downIsAnomalous() {
        return downIsAnomalous;
    }

    /**
     * The narrowest half-band a baseline uses, in the signal's unit: a series that hardly moves (a check answered in
     * 1.0 ms every time, no errors at all) would otherwise call a 1.2 ms check or one failure in a hundred an anomaly.
     */
    public double minimumSpread() {
        return minimumSpread;
    }

    /** Whether a value breaks a static threshold of this signal: above it, or for throughput below it. */
    public boolean breaks(double value, double threshold) {
        return this == THROUGHPUT ? value < threshold : value > threshold;
    }

    /** {@code value} with its unit, for messages: {@code 512 ms}, {@code 7.5%}, {@code 0.4 req/s}. */
    public String format(double value) {
        if (this == ERROR_RATE) {
            return trim(value * 100) + "%";
        }
        return trim(value) + " " + unit;
    }

    /** A human name for messages: {@code latency}, {@code error rate}, {@code throughput}. */
    public String label() {
        return key.replace('_', ' ');
    }

    /** The alert name of its anomalies: {@code LatencyAnomaly}, {@code ErrorRateAnomaly}, {@code ThroughputAnomaly}. */
    public String alertName() {
        StringBuilder name = new StringBuilder();
        for (String part : key.split("_")) {
            name.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return name.append("Anomaly").toString();
    }

    /** The signal named {@code key} in the configuration, or null. */
    public static Signal byKey(String key) {
        for (Signal signal : values()) {
            if (signal.key.equals(key.trim().toLowerCase(Locale.ROOT))) {
                return signal;
            }
        }
        return null;
    }

    private static String trim(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return Double.toString(value);
        }
        double rounded = Math.abs(value) >= 100 ? Math.rint(value) : Math.rint(value * 100) / 100;
        return rounded == Math.rint(rounded) ? Long.toString((long) rounded) : Double.toString(rounded);
    }
}
