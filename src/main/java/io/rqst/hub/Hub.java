package io.rqst.hub;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Decides where each Ethernet frame goes: the one switching decision of rqst, sans-I/O.
 *
 * <p><b>Isolated mode</b> (private-VLAN semantics, RFC 5517): the uplink (the server's TAP) is the
 * promiscuous port, every client session an isolated port. Sessions talk to the uplink only, never to
 * each other.
 * <ul>
 *   <li><b>From a session S.</b> A multicast or zero source MAC is dropped ({@code invalidSource}). A source
 *       MAC owned by another session, or seen on the uplink in the last {@link #UPLINK_MAC_AGE_NANOS},
 *       is dropped ({@code spoofed}). Any other source MAC is, or becomes, S's; S owns at most
 *       {@code maxMacsPerSession}, learning one more forgets S's oldest-learned one. A session learns at
 *       most {@link #LEARN_BURST} new MACs at once and {@link #LEARNS_PER_SECOND} per second after that
 *       ({@code learnLimited}), so a client spraying source MACs cannot keep the hub copying its table.
 *       Then: a destination owned by another session is dropped ({@code isolation}); everything else,
 *       broadcast, multicast and unknown unicast included, goes to the uplink only.</li>
 *   <li><b>From the uplink.</b> The source MAC is learned, or refreshed, as an uplink MAC; if a session
 *       owned it, the uplink takes it back (the uplink is trusted, sessions are not;
 *       {@code reclaimedByUplink}). A multicast or zero source is dropped ({@code invalidSource}).
 *       Broadcast and multicast destinations are {@link #FLOOD}ed to every session; a destination owned
 *       by a session goes to that session; anything else is dropped ({@code unknownDestination}): it is
 *       for nobody we serve and is never flooded to clients.</li>
 *   <li>A session's MACs never age while it lives; {@link #removeSession} frees them at once. Uplink MACs
 *       age out {@link #UPLINK_MAC_AGE_NANOS} after last seen (refreshed at most every
 *       {@link #UPLINK_REFRESH_NANOS}, so up to that much later); at most {@code maxUplinkMacs} are kept,
 *       expired ones first and then the least recently seen making room. {@link #pinUplinkMac} adds one
 *       that never ages and is not counted in that bound (the TAP's own MAC, so no client can claim it before the TAP has spoken).</li>
 * </ul>
 * A switch mode (sessions reach each other) would differ only in {@code toward(...)}.
 *
 * <p><b>Threads.</b> All methods are thread-safe. {@link #route} allocates nothing and takes no lock
 * when the source MAC is already known (the common case): the MAC table is an immutable
 * {@link Long2ObjectHashMap} published through a volatile field and replaced, under a lock, only when a
 * MAC is learned, taken, evicted or freed. Uplink MAC timestamps are written without the lock (opaque
 * writes; a stale read only shifts an expiry by a moment).
 *
 * @param <T> what the caller attaches to a session port
 */
public final class Hub<T> {

    /** How long a MAC seen as source on the uplink stays reserved for the uplink: 300 s, the IEEE 802.1D default ageing time. */
    public static final long UPLINK_MAC_AGE_NANOS = TimeUnit.SECONDS.toNanos(300);
    /** The uplink MAC timestamp is rewritten only when older than this, to keep the common path write-free. */
    public static final long UPLINK_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Default bound on the uplink MACs remembered. */
    public static final int DEFAULT_MAX_UPLINK_MACS = 8192;
    /** New MACs a session may learn at once. */
    public static final int LEARN_BURST = 64;
    /** New MACs a session may learn per second, after its burst. */
    public static final int LEARNS_PER_SECOND = 16;

    private static final long LEARN_COST_NANOS = TimeUnit.SECONDS.toNanos(1) / LEARNS_PER_SECOND;
    private static final long LEARN_CREDIT_MAX_NANOS = LEARN_BURST * LEARN_COST_NANOS;

    /** {@link #route} result: drop the frame. */
    public static final Port<?> DROP = new Port<>(null, Port.SENTINEL, null, "DROP", 0);
    /** {@link #route} result (from the uplink only): send the frame to every session in {@link #sessions()}. */
    public static final Port<?> FLOOD = new Port<>(null, Port.SENTINEL, null, "FLOOD", 0);

    /**
     * Counters since the hub was created: frames dropped, by reason, and MACs the uplink took back.
     *
     * @param invalidSource      source MAC multicast or zero
     * @param spoofed            from a session, source MAC owned by another session or by the uplink
     * @param isolation          from a session, destination owned by another session
     * @param unknownDestination from the uplink, unicast destination no session owns
     * @param learnLimited       from a session, a new source MAC over its learning rate
     * @param reclaimedByUplink  MACs a session owned that then appeared as source on the uplink (not a drop)
     */
    public record Counters(long invalidSource, long spoofed, long isolation, long unknownDestination,
                           long learnLimited, long reclaimedByUplink) {}

    /** One MAC table value: who owns the MAC and, for uplink MACs, when it was last seen. */
    static final class Entry {
        private static final VarHandle SEEN;

        static {
            try {
                SEEN = MethodHandles.lookup().findVarHandle(Entry.class, "seen", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Port<?> owner;
        final boolean pinned;
        @SuppressWarnings("unused") // through SEEN
        private long seen;

        Entry(Port<?> owner, boolean pinned, long seen) {
            this.owner = owner;
            this.pinned = pinned;
            this.seen = seen;
        }

        long seen() {
            return (long) SEEN.getOpaque(this);
        }

        /** Whether this uplink MAC still counts as the uplink's at {@code now}. */
        boolean fresh(long now) {
            return pinned || now - seen() <= UPLINK_MAC_AGE_NANOS;
        }

        void refresh(long now) {
            if (!pinned && now - seen() > UPLINK_REFRESH_NANOS) {
                SEEN.setOpaque(this, now);
            }
        }
    }

    private final int maxMacsPerSession;
    private final int maxUplinkMacs;
    private final Port<T> uplink;
    final ReentrantLock lock = new ReentrantLock();

    private volatile Long2ObjectHashMap<Entry> table = new Long2ObjectHashMap<>();
    private volatile List<Port<T>> sessions = List.of();
    private int uplinkMacs;   // unpinned entries owned by the uplink in table; guarded by lock
    private int nextSessionId = 1; // guarded by lock

    private final LongAdder invalidSource = new LongAdder();
    private final LongAdder spoofed = new LongAdder();
    private final LongAdder isolation = new LongAdder();
    private final LongAdder unknownDestination = new LongAdder();
    private final LongAdder learnLimited = new LongAdder();
    private final LongAdder reclaimedByUplink = new LongAdder();

    /** A hub whose sessions own at most {@code maxMacsPerSession} MACs each, remembering {@link #DEFAULT_MAX_UPLINK_MACS} uplink MACs. */
    public Hub(int maxMacsPerSession) {
        this(maxMacsPerSession, DEFAULT_MAX_UPLINK_MACS);
    }

    /** A hub whose sessions own at most {@code maxMacsPerSession} MACs each, remembering at most {@code maxUplinkMacs} uplink MACs. */
    public Hub(int maxMacsPerSession, int maxUplinkMacs) {
        if (maxMacsPerSession < 1) {
            throw new IllegalArgumentException("maxMacsPerSession must be at least 1, not " + maxMacsPerSession);
        }
        if (maxUplinkMacs < 1) {
            throw new IllegalArgumentException("maxUplinkMacs must be at least 1, not " + maxUplinkMacs);
        }
        this.maxMacsPerSession = maxMacsPerSession;
        this.maxUplinkMacs = maxUplinkMacs;
        this.uplink = new Port<>(this, Port.UPLINK, null, "uplink", 0);
    }

    /** The uplink: the server's TAP, the promiscuous port. Its attachment is {@code null}. */
    public Port<T> uplink() {
        return uplink;
    }

    /** Adds an isolated port for a new client session. */
    public Port<T> addSession(T attachment) {
        if (attachment == null) {
            throw new NullPointerException("attachment");
        }
        lock.lock();
        try {
            Port<T> port = new Port<>(this, Port.SESSION, attachment, "session-" + nextSessionId++, maxMacsPerSession);
            List<Port<T>> next = new ArrayList<>(sessions.size() + 1);
            next.addAll(sessions);
            next.add(port);
            sessions = List.copyOf(next);
            return port;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes a session port and frees its MACs at once. Idempotent. Frames routed concurrently may
     * still name the port as target for a moment; sending to a closed session must be harmless.
     */
    public void removeSession(Port<T> port) {
        if (port.hub != this || port.kind != Port.SESSION) {
            throw new IllegalArgumentException(port + " is not a session port of this hub");
        }
        lock.lock();
        try {
            if (!port.live) {
                return;
            }
            port.live = false;
            Long2ObjectHashMap<Entry> next = new Long2ObjectHashMap<>(table);
            for (int i = 0; i < port.macCount; i++) {
                next.remove(port.macs[i]);
            }
            port.macCount = 0;
            table = next;
            List<Port<T>> rest = new ArrayList<>(sessions);
            rest.remove(port);
            sessions = List.copyOf(rest);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The live session ports, for a {@link #FLOOD}: an immutable snapshot, the same object until a
     * session is added or removed (no allocation per call; iterate by index).
     */
    public List<Port<T>> sessions() {
        return sessions;
    }

    /** Reserves {@code mac} for the uplink for good (e.g. the TAP's own MAC); a session that owned it loses it. */
    public void pinUplinkMac(long mac) {
        if (mac == 0 || Mac.isMulticast(mac)) {
            throw new IllegalArgumentException("cannot pin " + Mac.toString(mac) + ": not a unicast MAC");
        }
        learnUplink(mac, 0, true);
    }

    /**
     * Where a frame goes.
     *
     * @param from     the port it came in on: the uplink or a session of this hub
     * @param dstMac   its destination MAC ({@link Mac#dst})
     * @param srcMac   its source MAC ({@link Mac#src})
     * @param nowNanos the current {@link System#nanoTime()}
     * @return the port to send it to (the uplink or a session), {@link #DROP}, or {@link #FLOOD}
     *         (every port in {@link #sessions()})
     */
    public Port<T> route(Port<T> from, long dstMac, long srcMac, long nowNanos) {
        if (from.hub != this) {
            throw new IllegalArgumentException(from + " is not a port of this hub");
        }
        return from == uplink ? fromUplink(dstMac, srcMac, nowNanos) : fromSession(from, dstMac, srcMac, nowNanos);
    }

    private Port<T> fromSession(Port<T> from, long dst, long src, long now) {
        Long2ObjectHashMap<Entry> t = table;
        Entry e = t.get(src);
        if (e == null || e.owner != from) {
            if (src == 0 || Mac.isMulticast(src)) {
                invalidSource.increment();
                return drop();
            }
            if (e != null && (e.owner != uplink || e.fresh(now))) {
                spoofed.increment(); // checked before the lock too, so a spoofing client never takes it
                return drop();
            }
            if (!learnSession(from, src, now)) {
                return drop();
            }
            t = table;
        }
        return toward(from, t.get(dst));
    }

    /** Isolated mode's decision for a frame from session {@code from} (the place a switch mode would differ). */
    private Port<T> toward(Port<T> from, Entry dst) {
        if (dst != null && dst.owner != from && dst.owner != uplink) {
            isolation.increment();
            return drop();
        }
        return uplink;
    }

    @SuppressWarnings("unchecked")
    private Port<T> fromUplink(long dst, long src, long now) {
        Long2ObjectHashMap<Entry> t = table;
        Entry e = t.get(src);
        if (e != null && e.owner == uplink) {
            e.refresh(now);
        } else {
            if (src == 0 || Mac.isMulticast(src)) {
                invalidSource.increment();
                return drop();
            }
            learnUplink(src, now, false);
            t = table;
        }
        if (Mac.isMulticast(dst)) {
            return (Port<T>) FLOOD;
        }
        Entry d = t.get(dst);
        if (d != null && d.owner != uplink) {
            return (Port<T>) d.owner;
        }
        unknownDestination.increment();
        return drop();
    }

    /** Gives {@code src} to session {@code from} if allowed; false (counted) if not. */
    private boolean learnSession(Port<T> from, long src, long now) {
        lock.lock();
        try {
            if (!from.live) {
                return false; // a frame racing removeSession: dropped, not counted
            }
            Long2ObjectHashMap<Entry> t = table;
            Entry e = t.get(src);
            if (e != null) {
                if (e.owner == from) {
                    return true;
                }
                if (e.owner != uplink || e.fresh(now)) {
                    spoofed.increment();
                    return false;
                }
            }
            if (!takeLearnCredit(from, now)) {
                learnLimited.increment();
                return false;
            }
            Long2ObjectHashMap<Entry> next = new Long2ObjectHashMap<>(t);
            if (e != null) {
                uplinkMacs--; // an expired uplink MAC
            }
            if (from.macCount == maxMacsPerSession) {
                next.remove(from.removeOldestMac());
            }
            from.addMac(src);
            next.put(src, from.entry);
            table = next;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Token bucket per session, in nanoseconds of credit; guarded by lock. */
    private static boolean takeLearnCredit(Port<?> port, long now) {
        if (!port.learnedBefore) {
            port.learnedBefore = true;
            port.learnCreditNanos = LEARN_CREDIT_MAX_NANOS;
        } else {
            long elapsed = Math.max(0, now - port.learnCreditAt);
            port.learnCreditNanos = Math.min(LEARN_CREDIT_MAX_NANOS, port.learnCreditNanos + Math.min(elapsed, LEARN_CREDIT_MAX_NANOS));
        }
        port.learnCreditAt = now;
        if (port.learnCreditNanos < LEARN_COST_NANOS) {
            return false;
        }
        port.learnCreditNanos -= LEARN_COST_NANOS;
        return true;
    }

    /** Makes {@code src} an uplink MAC seen at {@code now}, taking it from a session if one owns it. */
    private void learnUplink(long src, long now, boolean pinned) {
        lock.lock();
        try {
            Long2ObjectHashMap<Entry> t = table;
            Entry e = t.get(src);
            if (e != null && e.owner == uplink && (!pinned || e.pinned)) {
                e.refresh(now);
                return;
            }
            Long2ObjectHashMap<Entry> next = new Long2ObjectHashMap<>(t);
            if (e != null && e.owner == uplink) {
                uplinkMacs--; // an unpinned entry, replaced by a pinned one below
            } else if (e != null) {
                e.owner.removeMac(src);
                reclaimedByUplink.increment();
            }
            if (!pinned && uplinkMacs >= maxUplinkMacs && !makeUplinkRoom(next, now)) {
                if (e != null) {
                    next.remove(src);
                    table = next; // the session lost it all the same
                }
                return;
            }
            next.put(src, new Entry(uplink, pinned, now));
            if (!pinned) {
                uplinkMacs++;
            }
            table = next;
        } finally {
            lock.unlock();
        }
    }

    /** Frees uplink entries in {@code next}: all expired ones, else the least recently seen; false if all are pinned. */
    private boolean makeUplinkRoom(Long2ObjectHashMap<Entry> next, long now) {
        long[] expired = new long[uplinkMacs];
        int[] count = {0};
        long[] oldest = {0, 0};
        boolean[] found = {false};
        next.forEachLong((mac, entry) -> {
            if (entry.owner != uplink || entry.pinned) {
                return;
            }
            if (!entry.fresh(now)) {
                expired[count[0]++] = mac;
            } else if (!found[0] || entry.seen() - oldest[1] < 0) {
                found[0] = true;
                oldest[0] = mac;
                oldest[1] = entry.seen();
            }
        });
        for (int i = 0; i < count[0]; i++) {
            next.remove(expired[i]);
        }
        uplinkMacs -= count[0];
        if (count[0] > 0) {
            return true;
        }
        if (!found[0]) {
            return false;
        }
        next.remove(oldest[0]);
        uplinkMacs--;
        return true;
    }

    /**
     * Who owns {@code mac} at {@code nowNanos}: a session, the uplink (seen within
     * {@link #UPLINK_MAC_AGE_NANOS}, or pinned), or {@code null}.
     */
    @SuppressWarnings("unchecked")
    public Port<T> ownerOf(long mac, long nowNanos) {
        Entry e = table.get(mac);
        if (e == null || (e.owner == uplink && !e.fresh(nowNanos))) {
            return null;
        }
        return (Port<T>) e.owner;
    }

    /** A snapshot of the counters. */
    public Counters counters() {
        return new Counters(invalidSource.sum(), spoofed.sum(), isolation.sum(), unknownDestination.sum(),
                learnLimited.sum(), reclaimedByUplink.sum());
    }

    @SuppressWarnings("unchecked")
    private static <T> Port<T> drop() {
        return (Port<T>) DROP;
    }

    /** Checks the hub's internal consistency under the lock; for tests. */
    void checkInvariants() {
        lock.lock();
        try {
            Long2ObjectHashMap<Entry> t = table;
            int[] sessionMacs = {0};
            int[] uplinkCount = {0};
            t.forEachLong((mac, e) -> {
                if (e.owner == uplink) {
                    uplinkCount[0] += e.pinned ? 0 : 1;
                    return;
                }
                Port<?> p = e.owner;
                if (p.hub != this || p.kind != Port.SESSION || !p.live || p.entry != e) {
                    throw new AssertionError(Mac.toString(mac) + " owned by " + p + " (live " + p.live + ")");
                }
                boolean listed = false;
                for (int i = 0; i < p.macCount; i++) {
                    listed |= p.macs[i] == mac;
                }
                if (!listed) {
                    throw new AssertionError(Mac.toString(mac) + " in the table for " + p + " but not in its list");
                }
                sessionMacs[0]++;
            });
            if (uplinkCount[0] != uplinkMacs || uplinkMacs > maxUplinkMacs) {
                throw new AssertionError("uplink MACs " + uplinkCount[0] + ", counted " + uplinkMacs);
            }
            int listed = 0;
            for (Port<T> p : sessions) {
                if (!p.live) {
                    throw new AssertionError(p + " listed but removed");
                }
                listed += p.macCount;
                for (int i = 0; i < p.macCount; i++) {
                    if (t.get(p.macs[i]) != p.entry) {
                        throw new AssertionError(Mac.toString(p.macs[i]) + " listed by " + p + " but not its own in the table");
                    }
                }
            }
            if (listed != sessionMacs[0]) {
                throw new AssertionError("session MACs: " + listed + " listed, " + sessionMacs[0] + " in the table");
            }
        } finally {
            lock.unlock();
        }
    }
}
