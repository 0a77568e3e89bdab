package io.rqst.hostnet;

import java.net.InetAddress;
import java.util.Optional;

/**
 * The host's network configuration, changed only through recorded steps that are undone in
 * reverse order by {@link #close()}.
 *
 * <p>Contract:
 * <ul>
 *   <li>Every mutating call applies one change and records how to undo it <em>before</em> returning.
 *       If a change fails, nothing is recorded for it and a {@link HostNetException} names the
 *       command and the kernel's answer.</li>
 *   <li>The record is also written (atomically) to a state file, so that a process killed before
 *       {@code close()} has its changes undone by the next start ({@link HostNets#open}).</li>
 *   <li>{@code close()} undoes every recorded change, newest first, keeps going when one undo fails
 *       (e.g. the interface is already gone), then deletes the state file. Idempotent.</li>
 *   <li>Calls are made from one thread at a time (set-up and tear-down, never the data path).</li>
 * </ul>
 */
public interface HostNet extends AutoCloseable {

    /** A route as the kernel would use it to reach one destination ({@code ip route get}). */
    record RouteInfo(InetAddress destination, Optional<InetAddress> gateway, String device) {}

    /** Adds {@code cidr} (e.g. {@code 10.8.0.2/24} or {@code fd00::2/64}) to interface {@code dev}. */
    void addAddress(String dev, String cidr) throws HostNetException;

    /**
     * Adds a route to {@code prefix} (e.g. {@code 0.0.0.0/1}, {@code 203.0.113.1/32}) through
     * {@code gateway} (may be empty for an on-link route) on {@code dev}.
     */
    void addRoute(String prefix, Optional<InetAddress> gateway, String dev) throws HostNetException;

    /** Asks the kernel how it currently reaches {@code destination}; empty if it has no route. */
    Optional<RouteInfo> routeTo(InetAddress destination) throws HostNetException;

    /**
     * The host's default route ({@code default}, i.e. {@code 0.0.0.0/0} or {@code ::/0}) of {@code family}'s IP
     * version, the one the kernel prefers; empty if there is none. A full tunnel's {@code 0.0.0.0/1}-style routes
     * are not default routes, so this is the way out of the host under them.
     */
    Optional<RouteInfo> defaultRoute(InetAddress family) throws HostNetException;

    /** Undoes every recorded change, newest first. Never throws; failures are logged. */
    @Override
    void close();
}
