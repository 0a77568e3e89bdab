package io.rqst.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.control.ControlMessage.FrameReport;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FrameLossTest {
    static final long S = 1_000_000_000L;

    /** A server's ledger at time 0, as a ServerSession keeps one. */
    private final FrameLoss server = new FrameLoss("the client", 0);

    @Test
    void noLossGivesNoWarningAndZeroTotals() {
        assertEquals(Optional.empty(), server.totals(), "nothing before the peer reports");
        assertFalse(server.heard());
        assertEquals(new FrameReport(0, 0), server.report(0, 0));
        assertEquals(Optional.empty(), server.heard(new FrameReport(5000, 0), 5000, 10 * S));
        assertEquals(new FrameReport(8000, 0), server.report(8000, 0));
        assertEquals(Optional.empty(), server.heard(new FrameReport(9000, 0), 9000, 20 * S));
        assertEquals(Optional.of("frames lost inside the tunnel by the latest reports: 0 of 8000 (0.00 %) to the client,"
                + " 0 of 9000 (0.00 %) from it"), server.totals());
    }

    @Test
    void framesMissingFromThePeerAreToldToItInTheNextReport() {
        Optional<String> w = server.heard(new FrameReport(1000, 0), 900, 10 * S);
        assertEquals(Optional.of("frames went missing inside the tunnel in the last 10 s: 100 of 1000 frames from the client"
                + " (10.0 %) (the client says why in its log) (warned at most once a minute; the totals come when the session ends)"), w);
        assertEquals(100, server.missedIn());
        assertEquals(new FrameReport(4000, 100), server.report(4000, 0));
    }

    @Test
    void ourFramesTheQueueDroppedAreToldFromQuicsLostPackets() {
        server.report(10_000, 3); // QUIC had declared 3 packets lost by then
        Optional<String> w = server.heard(new FrameReport(50, 2000), 50, 10 * S);
        assertTrue(w.orElseThrow().contains("2000 of 10000 frames to the client (20.0 %) (QUIC declared only 3 packets lost on"
                + " the way: most never left this end, dropped at its full DATAGRAM queue"), w.get());
        assertFalse(w.get().contains("from the client"), w.get());
        assertEquals(2000, server.missedOut());
    }

    @Test
    void ourFramesLostInPacketsQuicDeclaredLostAreToldSo() {
        server.report(10_000, 180);
        Optional<String> w = server.heard(new FrameReport(50, 200), 50, 10 * S);
        assertTrue(w.orElseThrow().contains("200 of 10000 frames to the client (2.0 %) (QUIC declared 180 packets lost on the way)"),
                w.get());
    }

    @Test
    void unknownQuicCountsGiveNoCause() {
        server.report(10_000, -1);
        String w = server.heard(new FrameReport(50, 500), 50, 10 * S).orElseThrow();
        assertTrue(w.contains("500 of 10000 frames to the client (5.0 %) (warned"), w);
        assertFalse(w.contains("QUIC"), w);
    }

    @Test
    void smallOrRareLossIsNotWorthAWarning() {
        assertEquals(Optional.empty(), server.heard(new FrameReport(1000, 0), 901, 10 * S), "99 frames: fewer than 100");
        assertEquals(Optional.empty(), server.heard(new FrameReport(100_000, 0), 99_801, 20 * S),
                "100 more missing of 99 000 more sent: 0.1 %");
        assertEquals(199, server.missedIn());
    }

    @Test
    void eachWarningCoversTheWindowSinceThePreviousReportAndComesAtMostOnceAMinute() {
        assertTrue(server.heard(new FrameReport(10_000, 0), 9_000, 10 * S).isPresent());
        // 1000 more missing of 10 000 more, 10 s later: suppressed
        assertEquals(Optional.empty(), server.heard(new FrameReport(20_000, 0), 18_000, 20 * S));
        // no new loss in the next window: nothing to say even when allowed again
        assertEquals(Optional.empty(), server.heard(new FrameReport(30_000, 0), 28_000, 75 * S));
        // new loss a minute after the first warning: told, for its own window only
        String w = server.heard(new FrameReport(40_000, 0), 37_000, 80 * S).orElseThrow();
        assertTrue(w.startsWith("frames went missing inside the tunnel in the last 5 s: 1000 of 10000 frames from the client (10.0 %)"), w);
        assertEquals(Optional.of("frames lost inside the tunnel by the latest reports: 0 of 0 to the client, 3000 of 40000 (7.50 %) from it"),
                server.totals());
    }

    @Test
    void framesStillOnTheWayCountAsMissingOnlyUntilTheNextReport() {
        server.heard(new FrameReport(1000, 0), 990, 10 * S); // 10 still on the way
        assertEquals(10, server.missedIn());
        assertEquals(Optional.empty(), server.heard(new FrameReport(2000, 0), 2000, 20 * S));
        assertEquals(0, server.missedIn(), "they arrived");
        assertEquals(Optional.empty(), server.heard(new FrameReport(2000, 0), 2005, 30 * S));
        assertEquals(0, server.missedIn(), "more received than reported sent (frames sent after the report) is no loss");
    }
}
