package io.aegis.core.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
    /** Immutable, replaced on every change: iteration sees one consistent set. */
    private volatile List<ServiceMonitor> inOrder = List.of();

    /** Adds {@code monitor}; false (and nothing changes) when a service of that name is already there. */
    public synchronized boolean add(ServiceMonitor monitor) {
        if (byName.putIfAbsent(monitor.name(), monitor) != null) {
            return false;
        }
        List<ServiceMonitor> next = new ArrayList<>(inOrder);
        next.add(monitor);
        inOrder = List.copyOf(next);
        return true;
    }

    /** Removes the service called {@code name}, returning its monitor when it was there. */
    public synchronized Optional<ServiceMonitor> remove(String name) {
        ServiceMonitor removed = byName.remove(name);
        if (removed != null) {
            List<ServiceMonitor> next = new ArrayList<>(inOrder);
            next.remove(removed);
            inOrder = List.copyOf(next);
        }
        return Optional.ofNullable(removed);
    }

    /** The monitor of the service called {@code name}. */
    public Optional<ServiceMonitor> get(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(byName.get(name));
    }

    /** The monitors in the order they were added. */
    public List<ServiceMonitor> list() {
        return inOrder;
    }

    /** The services' names in the order they were added. */
    public List<String> names() {
        return inOrder.stream().map(ServiceMonitor::name).toList();
    }

    /** How many services there are. */
    public int size() {
        return inOrder.size();
    }

    /** The monitors in order, as a stream. */
    public Stream<ServiceMonitor> stream() {
        return inOrder.stream();
    }

    @Override
    public Iterator<ServiceMonitor> iterator() {
        return inOrder.iterator();
    }
}
