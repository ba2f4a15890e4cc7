package io.aegis.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The engine's state directory ({@code global.stateDir}): where runtimes record what they started, so that the
 * next run of the same configuration finds what a killed engine left behind, and where services' output goes by
 * default.
 *
 * <p>Created owner-only ({@code 0700}) without following a symbolic link at its own path, and refused when it is
 * a link, not a directory, or owned by another user: a directory planted by someone else must never receive our
 * logs or tell us which processes to kill. One engine at a time uses it: {@link #lock()} takes an exclusive
 * lock on {@code aegis.lock} inside, which the operating system releases when the process dies, however it dies.
 */
public final class StateDirectory implements AutoCloseable {
    static final String LOCK_FILE = "aegis.lock";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path path;
    private final boolean temporary;
    private FileChannel lockChannel;
    private FileLock lock;

    private StateDirectory(Path path, boolean temporary) {
        this.path = path;
        this.temporary = temporary;
    }

    /**
     * Opens (creating it when needed) {@code path}.
     *
     * @throws IllegalStateException with a sentence when the directory cannot be used
     */
    public static StateDirectory open(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        createPrivateDirectory(absolute);
        return new StateDirectory(absolute, false);
    }

    /** A fresh private temporary directory, deleted on {@link #close()}: for engines with no configuration file. */
    public static StateDirectory temporary() {
        try {
            return new StateDirectory(Files.createTempDirectory("aegis-state-"), true);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary state directory: " + e.getMessage(), e);
        }
    }

    /**
     * The default state directory of a configuration file: {@code $XDG_STATE_HOME/aegis/<file name>-<hash>}, or
     * {@code ~/.local/state/aegis/...} without {@code XDG_STATE_HOME}. The hash of the file's absolute path keeps
     * two configurations called {@code aegis.yaml} in different folders apart; the same file always maps to the
     * same directory, so a restarted aegis finds what the previous one left.
     */
    public static Path defaultFor(Path configFile, Map<String, String> env) {
        Path absolute = configFile.toAbsolutePath().normalize();
        String xdg = env.getOrDefault("XDG_STATE_HOME", "");
        Path base = !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        String fileName = String.valueOf(absolute.getFileName()).replaceAll("[^A-Za-z0-9._-]", "_");
        return base.resolve("aegis").resolve(fileName + "-" + sha256(absolute.toString()).substring(0, 8));
    }

    /** The directory. */
    public Path path() {
        return path;
    }

    /**
     * The private directory of one service, {@code services/<name>}, created owner-only. Names are restricted by
     * the configuration; anything else is escaped so that no name can leave the state directory.
     */
    public Path serviceDirectory(String serviceName) {
        Path services = path.resolve("services");
        createPrivateDirectory(services);
        Path directory = services.resolve(safeFileName(serviceName));
        createPrivateDirectory(directory);
        return directory;
    }

    /**
     * The folders of {@code services/} that belong to none of {@code serviceNames}: what an earlier run left for
     * services since renamed or removed. Links and files there are passed over.
     */
    public List<Path> formerServiceDirectories(Collection<String> serviceNames) {
        Path services = path.resolve("services");
        if (!Files.isDirectory(services, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        Set<String> current = serviceNames.stream().map(StateDirectory::safeFileName).collect(Collectors.toSet());
        try (Stream<Path> entries = Files.list(services)) {
            return entries.filter(dir -> Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))
                    .filter(dir -> !current.contains(String.valueOf(dir.getFileName()))).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    /**
     * Takes the directory's lock for this process.
     *
     * @throws IllegalStateException when another process holds it, saying which one when it can tell
     */
    public synchronized void lock() {
        if (lock != null) {
            return;
        }
        Path lockFile = path.resolve(LOCK_FILE);
        try {
            FileChannel channel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            FileLock taken;
            try {
                taken = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                taken = null; // another engine in this very process holds it
            }
            if (taken == null) {
                String holder = readHolder(channel);
                channel.close();
                throw new IllegalStateException("another aegis" + holder + " is already using the state directory "
                        + path + "; stop it first, or give this one its own global.stateDir");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
                    0);
            lockChannel = channel;
            lock = taken;
        } catch (IOException e) {
            throw new IllegalStateException("cannot lock the state directory " + path + ": " + describe(e), e);
        }
    }

    /** Releases the lock; deletes the directory when it is a temporary one. */
    @Override
    public synchronized void close() {
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException ignored) {
            // the lock dies with the channel, and the channel with the process
        }
        lock = null;
        lockChannel = null;
        if (temporary) {
            deleteRecursively(path);
        }
    }

    private static String readHolder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
            return pid.matches("[0-9]+") ? " (pid " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * What would stop {@link #open} from using {@code path}, found without creating or changing anything: for a
     * validation of the configuration, which may run as another user or on another machine than the engine will.
     * Empty when nothing can be seen to stand in the way.
     *
     * @param path the state directory the configuration names
     * @return the sentence {@link #open} would fail with, or what would make it fail
     */
    public static Optional<String> problemWithoutCreating(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        try {
            if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
                String refusal = refusal(absolute);
                if (refusal == null && !Files.isWritable(absolute)) {
                    refusal = "cannot write in the state directory " + absolute + " as user "
                            + System.getProperty("user.name");
                }
                return Optional.ofNullable(refusal);
            }
            Path ancestor = absolute.getParent();
            while (ancestor != null && !Files.exists(ancestor)) {
                ancestor = ancestor.getParent();
            }
            if (ancestor == null) {
                return Optional.empty();
            }
            if (!Files.isDirectory(ancestor)) {
                return Optional.of("cannot create the state directory " + absolute + ": " + ancestor
                        + " is not a directory");
            }
            if (!Files.isWritable(ancestor)) {
                return Optional.of("cannot create the state directory " + absolute + " as user "
                        + System.getProperty("user.name") + ": " + ancestor + " is not writable");
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot use the state directory " + absolute + ": " + describe(e));
        }
    }

    /** Why an existing {@code directory} must not be used (a link, not a directory, another user's), or null. */
    private static String refusal(Path directory) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(directory, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            return "the state directory " + directory + " is a symbolic link; aegis does not follow links there"
                    + " (someone could point it anywhere): remove it, or set global.stateDir to a real directory";
        }
        if (!attributes.isDirectory()) {
            return "the state directory " + directory + " exists and is not a directory";
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            PosixFileAttributes posixAttributes = Files.getFileAttributeView(directory, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).readAttributes();
            UserPrincipal me = directory.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
            if (!posixAttributes.owner().equals(me)) {
                return "the state directory " + directory + " belongs to " + posixAttributes.owner().getName()
                        + ", not to " + me.getName() + "; aegis only uses a directory of its own user: set"
                        + " global.stateDir to one";
            }
        }
        return null;
    }

    static void createPrivateDirectory(Path directory) {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        try {
            if (posix) {
                Files.createDirectories(directory.getParent());
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } else {
                Files.createDirectories(directory);
            }
        } catch (FileAlreadyExistsException e) {
            // checked below: it must be our own real directory
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the state directory " + directory + ": " + describe(e), e);
        }
        try {
            String refusal = refusal(directory);
            if (refusal != null) {
                throw new IllegalStateException(refusal);
            }
            if (posix) {
                PosixFileAttributes posixAttributes = Files.getFileAttributeView(directory,
                        PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
                if (!posixAttributes.permissions().equals(OWNER_ONLY)) {
                    Files.setPosixFilePermissions(directory, OWNER_ONLY);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot use the state directory " + directory + ": " + describe(e), e);
        }
    }

    /** A file name for {@code name}: itself when plain, else escaped with a hash so two names never collide. */
    static String safeFileName(String name) {
        boolean plain = name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}") && !name.equals(".") && !name.equals("..");
        if (plain) {
            return name;
        }
        String escaped = name.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^[._-]+", "");
        if (escaped.length() > 60) {
            escaped = escaped.substring(0, 60);
        }
        return escaped + "-" + sha256(name).substring(0, 8);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        String kind = e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                .toLowerCase(Locale.ROOT);
        return message == null ? kind : kind + " (" + message + ")";
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temporary directory the OS cleans up eventually
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort, as above
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
