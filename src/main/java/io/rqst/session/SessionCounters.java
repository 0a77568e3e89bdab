package io.rqst.session;

/**
 * Frame counters of one session. Each field has one writer thread, named beside it; other threads
 * may read slightly stale values (for logs and statistics), which is all they need.
 */
final class SessionCounters {
    /** Frames received from the peer (event loop). */
    long framesIn;
    /** Bytes of those frames (event loop). */
    long bytesIn;
    /** Frames sent to the peer (event loop). */
    long framesOut;
    /** Bytes of those frames (event loop). */
    long bytesOut;
    /** Frames too large for the peer's DATAGRAM limit (event loop). */
    long oversize;
    /** Frames from the peer that the hub refused: spoofed or invalid source, isolation (event loop). */
    long refused;
    /** Frames from the peer that came before this end carried any: a client's TAP not yet up (event loop). */
    long early;
    /** Frames dropped because the connection's queue of batches was full (reader thread). */
    volatile long queueDrops;

    String summary() {
        return "in " + framesIn + " frames/" + bytesIn + " B, out " + framesOut + " frames/" + bytesOut + " B"
                + (oversize > 0 ? ", " + oversize + " too large" : "")
                + (refused > 0 ? ", " + refused + " refused by the hub" : "")
                + (early > 0 ? ", " + early + " dropped before the TAP was up" : "")
                + (queueDrops > 0 ? ", " + queueDrops + " dropped (queue full)" : "");
    }
}
