package io.rqst.session;

import io.rqst.control.ControlMessage.FrameReport;
import java.util.Locale;
import java.util.Optional;

/**
 * Frames lost inside the tunnel, both ways, from the {@link FrameReport}s the two ends put in their Pings
 * and Pongs. QUIC counts the packets it declared lost, but not the DATAGRAMs a sender's full queue dropped
 * before they were sent (Netty reports those writes as successes), nor what a receiver never read; the
 * ends' frame counts see all of it.
 *
 * <p>Sans-I/O: fed counts and times, it returns the report to send and, now and then, a warning to log.
 * One thread: the connection's event loop. A report from the peer should be read once the frames received
 * with it have been counted (after the read that brought it), so that only frames still on the way count
 * as missing.
 */
final class FrameLoss {
    /** A direction that lost at least this share of its frames between two reports is worth a warning. */
    static final double WARN_SHARE = 0.01;
    /** ... and at least this many: one lost ping among a few idle frames is not. */
    static final long WARN_MIN_FRAMES = 100;
    /** At most one warning per session this often; the closing line has the totals. */
    static final long WARN_EVERY_NANOS = 60_000_000_000L;

    private final String peer;

    // peer → us: the peer's latest report, and what we had not received of it
    private long peerSent;
    private long missedIn;
    // us → peer: our latest report, QUIC's lost packets then, and the peer's word on it
    private long reportedSent;
    private long quicLostAtReport;
    private long sentAtPeerWord;
    private long quicLostAtPeerWord;
    private long missedOut;
    private boolean heard;
    // where the current window began: the previous peer report
    private long windowPeerSent;
    private long windowMissedIn;
    private long windowSent;
    private long windowQuicLost;
    private long windowMissedOut;
    private long windowStart;
    private long lastWarning;
    private boolean warned;

    /**
     * @param peer     what to call the peer in messages: "the client", "the server"
     * @param nanoTime {@link System#nanoTime()} when the connection opened: the counts start from zero then
     */
    FrameLoss(String peer, long nanoTime) {
        this.peer = peer;
        this.windowStart = nanoTime;
    }

    /**
     * The report for our next Ping or Pong.
     *
     * @param sentNow     frames we have handed to QUIC so far on this connection
     * @param quicLostNow QUIC's count of packets it declared lost so far, or -1 if unknown
     */
    FrameReport report(long sentNow, long quicLostNow) {
        reportedSent = sentNow;
        quicLostAtReport = quicLostNow;
        return new FrameReport(sentNow, missedIn);
    }

    /**
     * A report from the peer, read when we had received {@code receivedNow} of its frames.
     *
     * @param nanoTime {@link System#nanoTime()} now
     * @return a warning to log, when a direction lost more than {@link #WARN_SHARE} of its frames since the
     *         previous report (at most one per {@link #WARN_EVERY_NANOS})
     */
    Optional<String> heard(FrameReport r, long receivedNow, long nanoTime) {
        peerSent = r.sent();
        missedIn = Math.max(0, r.sent() - receivedNow);
        missedOut = r.missed();
        sentAtPeerWord = reportedSent; // the peer's word is on our latest report, which it read before writing
        quicLostAtPeerWord = quicLostAtReport;
        heard = true;
        long inSent = peerSent - windowPeerSent;
        long inMissed = missedIn - windowMissedIn;
        long outSent = sentAtPeerWord - windowSent;
        long outMissed = missedOut - windowMissedOut;
        long quicLost = quicLostAtPeerWord >= 0 && windowQuicLost >= 0 ? quicLostAtPeerWord - windowQuicLost : -1;
        double seconds = (nanoTime - windowStart) / 1e9;
        startWindow(nanoTime);
        boolean in = worthWarning(inMissed, inSent);
        boolean out = worthWarning(outMissed, outSent);
        if (!(in || out) || warned && nanoTime - lastWarning < WARN_EVERY_NANOS) {
            return Optional.empty();
        }
        warned = true;
        lastWarning = nanoTime;
        StringBuilder b = new StringBuilder("frames went missing inside the tunnel in the last ")
                .append(String.format(Locale.ROOT, "%.0f s: ", seconds));
        if (out) {
            b.append(share(outMissed, outSent, "to " + peer)).append(cause(outMissed, quicLost));
        }
        if (in) {
            b.append(out ? "; " : "").append(share(inMissed, inSent, "from " + peer)).append(" (").append(peer)
                    .append(" says why in its log)");
        }
        return Optional.of(b.append(" (warned at most once a minute; the totals come when the session ends)").toString());
    }

    private void startWindow(long nanoTime) {
        windowPeerSent = peerSent;
        windowMissedIn = missedIn;
        windowSent = sentAtPeerWord;
        windowMissedOut = missedOut;
        windowQuicLost = quicLostAtPeerWord;
        windowStart = nanoTime;
    }

    private static boolean worthWarning(long missed, long sent) {
        return missed >= WARN_MIN_FRAMES && sent > 0 && missed >= WARN_SHARE * sent;
    }

    /**
     * Why our frames went missing: a lost packet held one full-size frame or a few small ones, so missing
     * frames well beyond QUIC's lost packets never left this end.
     */
    private static String cause(long missed, long quicLost) {
        if (quicLost < 0) {
            return "";
        }
        if (2 * quicLost >= missed) {
            return " (QUIC declared " + quicLost + " packets lost on the way)";
        }
        return " (QUIC declared only " + quicLost + " packets lost on the way: most never left this end, dropped at its"
                + " full DATAGRAM queue because more was offered than the path or the peer took)";
    }

    private static String share(long missed, long sent, String way) {
        return String.format(Locale.ROOT, "%d of %d frames %s (%.1f %%)", missed, sent, way, 100.0 * missed / sent);
    }

    /**
     * For the session's closing line: "frames lost inside the tunnel: 12 of 10000 to the client (0.12 %), 0 of
     * 9000 from it", as of the latest reports; empty if the peer never reported (an older peer, or a short
     * session).
     */
    Optional<String> totals() {
        if (!heard) {
            return Optional.empty();
        }
        return Optional.of("frames lost inside the tunnel by the latest reports: " + total(missedOut, sentAtPeerWord)
                + " to " + peer + ", " + total(missedIn, peerSent) + " from it");
    }

    private static String total(long missed, long sent) {
        return sent == 0 ? missed + " of 0" : String.format(Locale.ROOT, "%d of %d (%.2f %%)", missed, sent, 100.0 * missed / sent);
    }

    /** Of our frames, how many the peer said it had missed, by its latest report (0 before any). */
    long missedOut() {
        return missedOut;
    }

    /** Of the peer's frames, how many we had missed at its latest report. */
    long missedIn() {
        return missedIn;
    }

    /** Whether the peer has reported frame counts at all. */
    boolean heard() {
        return heard;
    }
}
