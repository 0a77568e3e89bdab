package io.rqst.hub;

import java.util.Arrays;

/**
 * A port of a {@link Hub}: its uplink, one client session, or one of the sentinels {@link Hub#DROP}
 * and {@link Hub#FLOOD} that {@link Hub#route} returns. Ports are compared by identity.
 *
 * @param <T> what the caller hangs on a session port (e.g. the session that sends its frames)
 */
public final class Port<T> {

    static final int SENTINEL = 0;
    static final int UPLINK = 1;
    static final int SESSION = 2;

    final Hub<T> hub;
    final int kind;
    private final T attachment;
    private final String name;
    /** The table entry shared by every MAC this session owns; null for other ports. */
    final Hub.Entry entry;

    /** Written under hub.lock; true from creation until removed (always false for sentinels). */
    volatile boolean live;
    // Guarded by hub.lock: the MACs this session owns, oldest learned first, and its learning budget.
    final long[] macs;
    int macCount;
    long learnCreditNanos;
    long learnCreditAt;
    boolean learnedBefore;

    Port(Hub<T> hub, int kind, T attachment, String name, int maxMacs) {
        this.hub = hub;
        this.kind = kind;
        this.attachment = attachment;
        this.name = name;
        this.entry = kind == SESSION ? new Hub.Entry(this, false, 0) : null;
        this.macs = new long[maxMacs];
        this.live = kind != SENTINEL;
    }

    /** What the caller attached in {@link Hub#addSession}; {@code null} for the uplink and the sentinels. */
    public T attachment() {
        return attachment;
    }

    /** Whether this is its hub's uplink (the promiscuous port). */
    public boolean isUplink() {
        return kind == UPLINK;
    }

    /** Whether this is a session port (live or removed). */
    public boolean isSession() {
        return kind == SESSION;
    }

    /** Whether this is the uplink or a session port not yet {@linkplain Hub#removeSession removed}. */
    public boolean isLive() {
        return live;
    }

    /** The MACs this session owns right now, oldest learned first; empty for other ports. */
    public long[] macs() {
        if (kind != SESSION) {
            return new long[0];
        }
        hub.lock.lock();
        try {
            return Arrays.copyOf(macs, macCount);
        } finally {
            hub.lock.unlock();
        }
    }

    /** {@code uplink}, {@code session-N}, {@code DROP} or {@code FLOOD}. */
    @Override
    public String toString() {
        return name;
    }

    // --- guarded by hub.lock ---

    void addMac(long mac) {
        macs[macCount++] = mac;
    }

    long removeOldestMac() {
        long oldest = macs[0];
        System.arraycopy(macs, 1, macs, 0, --macCount);
        return oldest;
    }

    void removeMac(long mac) {
        for (int i = 0; i < macCount; i++) {
            if (macs[i] == mac) {
                System.arraycopy(macs, i + 1, macs, i, --macCount - i);
                return;
            }
        }
    }
}
