package io.aegis.core.internal;

/**
 * The one implementation of an internal interface that a public class of {@code io.aegis.core} registers from its
 * static initializer, for internal code to reach what the public API keeps from embedders (the JDK's
 * {@code SharedSecrets} pattern): the public class has no back door, and this internal package holds the only way in.
 *
 * @param <T> the internal interface
 */
public final class SharedSecret<T> {
    private final Class<?> owner;
    private volatile T implementation;

    /**
     * A slot for what {@code owner} registers.
     *
     * @param owner the public class whose static initializer calls {@link #register}
     */
    public SharedSecret(Class<?> owner) {
        this.owner = owner;
    }

    /**
     * Called once, by the owner's static initializer.
     *
     * @throws IllegalStateException when called again
     */
    public synchronized void register(T access) {
        if (implementation != null) {
            throw new IllegalStateException(owner.getSimpleName() + "'s access is already registered");
        }
        implementation = access;
    }

    /** The implementation the owner registered (initializing the owner first when nothing has yet). */
    public T get() {
        T access = implementation;
        if (access == null) {
            try {
                Class.forName(owner.getName(), true, owner.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            access = implementation;
        }
        return access;
    }
}
