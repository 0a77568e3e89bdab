package io.rqst.transport;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The minimum round trips of the connections that share something (a UDP socket's receive buffer, an event
 * loop's CoDel), each kept until its connection closes, and the longest of them. Not thread-safe: used on one
 * event loop.
 */
final class RoundTrips {
    private final Map<Object, Long> byConnection = new IdentityHashMap<>();

    /** Connection {@code key}'s minimum round trip so far (ns); false if it was not a sample or is unchanged. */
    boolean put(Object key, long nanos) {
        if (nanos <= 0) {
            return false;
        }
        Long old = byConnection.put(key, nanos);
        return old == null || old != nanos;
    }

    /** Connection {@code key} has closed; false if it was not here. */
    boolean remove(Object key) {
        return byConnection.remove(key) != null;
    }

    /** The longest of the round trips (ns), 0 with none. */
    long longest() {
        long longest = 0;
        for (long r : byConnection.values()) {
            longest = Math.max(longest, r);
        }
        return longest;
    }

    /** Connections with a round trip here. */
    int size() {
        return byConnection.size();
    }
}
