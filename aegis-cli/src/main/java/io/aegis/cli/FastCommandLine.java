package io.aegis.cli;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Path;

/**
 * The command line of a plain {@code aegis} start ({@code --config}, {@code --log-level}, {@code --metrics-port},
 * {@code --plugin-dir}, as {@code --opt=value} or {@code --opt value}), read without picocli.
 *
 * <p>Why: building picocli's model of {@link AegisCommand} takes ~0.1-0.15 s of a ~1 s start, and it cannot come
 * from a class-data-sharing archive (picocli's class files are Java 5's, which CDS does not archive). So only what
 * is certainly valid is read here, exactly as picocli would read it; anything else ({@code --help},
 * {@code --version}, {@code --validate}, an unknown or repeated option, a missing or odd value, a log level or
 * port picocli would reject, an {@code @file}) returns null and goes to picocli, so every message and exit code
 * stays picocli's. {@code FastCommandLineTest} checks the two agree, option by option.
 */
final class FastCommandLine {
    private FastCommandLine() {
    }

    /** {@code args} as picocli would set them on a new {@link AegisCommand}, or null to let picocli do it. */
    static AegisCommand parse(String... args) {
        if (System.getProperty("picocli.trace") != null) {
            return null; // the user wants picocli's trace of the parse
        }
        AegisCommand command = new AegisCommand();
        command.configFile = Path.of("aegis.yaml"); // the option's defaultValue
        boolean config = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return null; // a missing value: picocli's error
            }
            if (!plain(value)) {
                return null;
            }
            switch (name) {
                case "--config" -> {
                    if (config) {
                        return null; // given twice: picocli's error
                    }
                    config = true;
                    command.configFile = Path.of(value);
                }
                case "--log-level" -> {
                    if (command.logLevel != null || LogLevel.parse(value).isEmpty()) {
                        return null;
                    }
                    command.logLevel = value;
                }
                case "--metrics-port" -> {
                    if (command.metricsPort != null || !port(value)) {
                        return null;
                    }
                    command.metricsPort = Integer.parseInt(value);
                }
                case "--plugin-dir" -> command.pluginDirs.add(Path.of(value));
                default -> {
                    return null;
                }
            }
        }
        return command;
    }

    /**
     * A value picocli takes as it is: not empty, not option-like (picocli may read "-x" as an option), not an
     * {@code @file} to expand, not quoted.
     */
    private static boolean plain(String value) {
        if (value.isEmpty()) {
            return false;
        }
        char first = value.charAt(0);
        return first != '-' && first != '@' && first != '"' && first != '\'';
    }

    /** 0 to 65535 in plain decimal (picocli reads "010" and "0x10" otherwise, and rejects what is out of range). */
    private static boolean port(String value) {
        if (value.length() > 5 || (value.length() > 1 && value.charAt(0) == '0')) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(value) <= 65535;
    }

    /** Standard error as picocli's {@code CommandLine.getErr()} would write it (same encoding, autoflush). */
    static PrintWriter standardError() {
        String name = System.getProperty("sun.stderr.encoding");
        Charset charset = Charset.defaultCharset();
        if (name != null) {
            try {
                charset = Charset.forName(name.equalsIgnoreCase("cp65001") ? "UTF-8" : name);
            } catch (RuntimeException e) {
                // picocli falls back to the default too
            }
        }
        return new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.err, charset)), true);
    }
}
