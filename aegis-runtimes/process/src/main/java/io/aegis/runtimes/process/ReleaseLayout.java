package io.aegis.runtimes.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Capistrano-style release layout, {@code rollback.releases: <dir>}: every release in a folder of its own under
 * {@code <dir>/releases/<id>}, and {@code <dir>/current}, a symbolic link to the one that runs. The service runs
 * through {@code current} (its command or working directory is under it), so repointing the link changes what the
 * next start runs. Release ids sort by name (Capistrano's timestamps do), except that ids made of digits only sort
 * as numbers (so that {@code 9} comes before {@code 10}): the previous release is the greatest id below the current
 * one. Deploy tools own the layout; aegis only ever repoints {@code current}, atomically.
 */
final class ReleaseLayout {

    static final String CURRENT = "current";
    static final String RELEASES = "releases";

    private final Path root;

    /** @param root the absolute, normalized folder that holds {@code current} and {@code releases} */
    ReleaseLayout(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /** {@code <root>/current}: the link that names the running release. */
    Path current() {
        return root.resolve(CURRENT);
    }

    /** What is wrong with the layout for a rollback, as the end of a sentence; empty when nothing is. */
    static Optional<String> problem(Path root) {
        if (!Files.isDirectory(root)) {
            return Optional.of("found \"" + root + "\", which is not an existing directory");
        }
        if (!Files.isSymbolicLink(root.resolve(CURRENT))) {
            boolean exists = Files.exists(root.resolve(CURRENT), LinkOption.NOFOLLOW_LINKS);
            return Optional.of("expected " + root.resolve(CURRENT) + " to be a symbolic link to the running release in "
                    + root.resolve(RELEASES) + "/<id>, found " + (exists ? "something else" : "nothing there"));
        }
        try {
            new ReleaseLayout(root).currentId();
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** The id of the release {@code current} points to. */
    String currentId() throws IOException {
        Path link = current();
        Path target = Files.readSymbolicLink(link);
        Path release = root.resolve(target).normalize();
        if (!root.resolve(RELEASES).equals(release.getParent()) || !Files.isDirectory(release)) {
            throw new IOException(link + " points to " + target + ", which is not a release folder in "
                    + root.resolve(RELEASES));
        }
        return release.getFileName().toString();
    }

    /**
     * The order of release ids: by name, but numbers as numbers. Sorting {@code 1 ... 10} by name put {@code 10}
     * right after {@code 1}, and a rollback from release 10 went back to release 1 rather than 9.
     */
    static final Comparator<String> ORDER = (a, b) -> {
        if (isNumber(a) && isNumber(b)) {
            String x = a.replaceFirst("^0+(?=.)", "");
            String y = b.replaceFirst("^0+(?=.)", "");
            int byLength = Integer.compare(x.length(), y.length());
            return byLength != 0 ? byLength : x.compareTo(y);
        }
        return a.compareTo(b);
    };

    private static boolean isNumber(String id) {
        return !id.isEmpty() && id.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** The release ids under {@code releases}, sorted by {@link #ORDER}. */
    List<String> releaseIds() throws IOException {
        try (Stream<Path> entries = Files.list(root.resolve(RELEASES))) {
            return entries.filter(Files::isDirectory).map(path -> path.getFileName().toString())
                    .filter(id -> !id.startsWith(".")).sorted(ORDER).toList();
        }
    }

    /**
     * Repoints {@code current} to the release before the current one, atomically (a new link renamed over the old
     * one, so that {@code current} never is missing), keeping the link relative or absolute as it was; returns the
     * id it now points to.
     *
     * @throws NoOlderRelease when no release is older than the current one
     */
    String repointToPrevious() throws IOException, NoOlderRelease {
        String currentId = currentId();
        Optional<String> previous = releaseIds().stream().filter(id -> ORDER.compare(id, currentId) < 0)
                .reduce((first, second) -> second);
        if (previous.isEmpty()) {
            throw new NoOlderRelease("no release in " + root.resolve(RELEASES) + " is older than " + currentId
                    + ", the one " + current() + " points to");
        }
        Path oldTarget = Files.readSymbolicLink(current());
        Path newTarget = oldTarget.isAbsolute() ? root.resolve(RELEASES).resolve(previous.get())
                : Path.of(RELEASES, previous.get());
        Path temporary = root.resolve("." + CURRENT + ".aegis-" + ProcessHandle.current().pid());
        Files.deleteIfExists(temporary);
        Files.createSymbolicLink(temporary, newTarget);
        try {
            Files.move(temporary, current(), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        return previous.get();
    }

    /** There is nothing to roll back to: the current release is the oldest. */
    static final class NoOlderRelease extends Exception {
        private static final long serialVersionUID = 1L;

        NoOlderRelease(String message) {
            super(message);
        }
    }
}
