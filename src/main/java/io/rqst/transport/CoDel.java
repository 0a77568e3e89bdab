package io.rqst.transport;

/**
 * CoDel's drop decision (RFC 8289, "Controlled Delay Active Queue Management"), sans-I/O: the caller
 * dequeues packets, tells it how long they waited, and drops when told to.
 *
 * <p>It tells a good queue (a burst that drains within an interval) from a bad one (a standing queue):
 * only when the sojourn time stayed at or above {@code target} for a whole {@code interval} does it drop,
 * then again after {@code interval / sqrt(count)}, faster while the queue stays, until the sojourn time
 * falls below {@code target}. Each drop is a congestion signal to the sender, which slows down before the
 * queue behind it grows to the socket buffer's size.
 *
 * <p>Not thread-safe: one instance per queue, used from the thread that dequeues.
 */
public final class CoDel {
    /** RFC 8289 section 4.4: re-entering the dropping state this soon after leaving it resumes the count. */
    static final int RFC8289_RESUME_INTERVALS = 16;

    private long targetNanos;
    private long intervalNanos;
    private long firstAboveTime;
    private long dropNext;
    private int count;
    private int lastCount;
    private boolean dropping;
    private long drops;

    /**
     * @param targetNanos   acceptable standing queue delay (RFC 8289: 5 ms on the Internet)
     * @param intervalNanos how long a standing queue may last before the first drop; about a round trip
     */
    public CoDel(long targetNanos, long intervalNanos) {
        retune(targetNanos, intervalNanos);
    }

    /**
     * New target and interval from the next dequeue on, e.g. when the round trip of the flows through the
     * queue turns out longer than assumed (RFC 8289 section 4.2: the interval should be "on the order of the
     * worst-case RTT through the bottleneck"). The state (dropping or not, the count) carries over.
     */
    public void retune(long targetNanos, long intervalNanos) {
        if (targetNanos <= 0 || intervalNanos <= targetNanos) {
            throw new IllegalArgumentException("CoDel needs 0 < target < interval, got " + targetNanos + " / " + intervalNanos + " ns");
        }
        this.targetNanos = targetNanos;
        this.intervalNanos = intervalNanos;
    }

    /** The current target (ns). */
    public long targetNanos() {
        return targetNanos;
    }

    /** The current interval (ns). */
    public long intervalNanos() {
        return intervalNanos;
    }

    /**
     * One dequeue: a packet that waited {@code sojournNanos} leaves the queue at {@code now}.
     *
     * @return true if the caller should drop it (RFC 8289's dodequeue and dequeue combined)
     */
    public boolean dequeue(long now, long sojournNanos) {
        boolean okToDrop = false;
        if (sojournNanos < targetNanos) {
            firstAboveTime = 0;
        } else if (firstAboveTime == 0) {
            firstAboveTime = now + intervalNanos;
            if (firstAboveTime == 0) {
                firstAboveTime = 1;
            }
        } else if (now - firstAboveTime >= 0) {
            okToDrop = true;
        }
        if (dropping) {
            if (!okToDrop) {
                dropping = false;
                return false;
            }
            if (now - dropNext >= 0) {
                count++;
                dropNext = controlLaw(dropNext, count);
                drops++;
                return true;
            }
            return false;
        }
        if (okToDrop) {
            dropping = true;
            int delta = count - lastCount;
            count = delta > 1 && now - dropNext < RFC8289_RESUME_INTERVALS * intervalNanos ? delta : 1;
            dropNext = controlLaw(now, count);
            lastCount = count;
            drops++;
            return true;
        }
        return false;
    }

    private long controlLaw(long t, int n) {
        return t + (long) (intervalNanos / Math.sqrt(n));
    }

    /** Packets it told the caller to drop so far. */
    public long drops() {
        return drops;
    }

    /** Whether it is in the dropping state (the sojourn time has stayed above target for an interval). */
    public boolean dropping() {
        return dropping;
    }
}
