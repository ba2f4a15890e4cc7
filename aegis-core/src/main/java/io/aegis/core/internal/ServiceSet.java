package io.aegis.core.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Stream;

/**
 * The engine's monitors, one per service: looked up by name from any thread, listed in the order the services
 * were added, and changed one service at a time while the engine runs (the seam hot reload will use). Lookups
 * and iteration never lock; adding and removing are serialized.
 */
public final class ServiceSet implements Iterable<ServiceMonitor> {
    private final ConcurrentMap<String, ServiceMonitor> byName = new ConcurrentHashMap<>();
    /** The monitors in the order they were added; guarded by {@code this}. */
    private final Map<String, ServiceMonitor> ordered = new LinkedHashMap<>();
    /**
     * An immutable copy of {@link #ordered}, so that iteration sees one consistent set; null after a change, and
     * made again by the next reader. Not copied on every change: building an engine of 20,000 services adds them
     * one by one, and a copy per add was quadratic (seconds at 20,000).
     */
    private volatile List<ServiceMonitor> inOrder = List.of();

    /** Adds {@code monitor}; false (and nothing changes) when a service of that name is already there. */
    public synchronized boolean add(ServiceMonitor monitor) {
        if (byName.putIfAbsent(monitor.name(), monitor) != null) {
            return false;
        }
        ordered.put(monitor.name(), monitor);
        inOrder = null;
        return true;
    }

    /** Removes the service called {@code name}, returning its monitor when it was there. */
    public synchronized Optional<ServiceMonitor> remove(String name) {
        ServiceMonitor removed = byName.remove(name);
        if (removed != null) {
            ordered.remove(name);
            inOrder = null;
        }
        return Optional.ofNullable(removed);
    }

    /**
     * Puts {@code monitor} in the place of the monitor of the same name (a hot reload's changed service keeps its
     * place in the order); false (and nothing changes) when there is no such monitor.
     */
    public synchronized boolean replace(ServiceMonitor monitor) {
        if (byName.replace(monitor.name(), monitor) == null) {
            return false;
        }
        ordered.replace(monitor.name(), monitor);
        inOrder = null;
        return true;
    }

    /** The monitor of the service called {@code name}. */
    public Optional<ServiceMonitor> get(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(byName.get(name));
    }

    /** The monitors in the order they were added. */
    public List<ServiceMonitor> list() {
        List<ServiceMonitor> snapshot = inOrder;
        if (snapshot == null) {
            synchronized (this) {
                snapshot = inOrder;
                if (snapshot == null) {
                    snapshot = List.copyOf(ordered.values());
                    inOrder = snapshot;
                }
            }
        }
        return snapshot;
    }

    /** The services' names in the order they were added. */
    public List<String> names() {
        return list().stream().map(ServiceMonitor::name).toList();
    }

    /** How many services there are. */
    public int size() {
        return byName.size();
    }

    /** The monitors in order, as a stream. */
    public Stream<ServiceMonitor> stream() {
        return list().stream();
    }

    @Override
    public Iterator<ServiceMonitor> iterator() {
        return list().iterator();
    }
}
