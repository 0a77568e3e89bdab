package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How a connection's counters read in the log line that ends a session. */
class ConnectionStatsTest {

    // Promise: sent, lost with its share of those sent, received, and the RTT in milliseconds.
    @Test
    void describesPacketsLossShareAndRtt() {
        ConnectionStats s = new ConnectionStats(2000, 1900, 31, 2_600_000, 2_500_000, Duration.ofNanos(412_345), 60_000, 1_000_000);
        assertEquals("QUIC 2000 packets sent, 31 lost (1.6 %), 1900 received, rtt 0.41 ms", s.describe());
    }

    // Promise: no share when nothing was lost, and no RTT once it is unknown (zero: the connection is gone).
    @Test
    void leavesOutTheShareWithoutLossAndAnUnknownRtt() {
        ConnectionStats s = new ConnectionStats(120, 118, 0, 9000, 8800, Duration.ZERO, 0, 0);
        assertEquals("QUIC 120 packets sent, 0 lost, 118 received", s.describe());
    }

    // Promise: a connection that sent nothing shows no share (no division by zero).
    @Test
    void nothingSentShowsNoShare() {
        assertEquals("QUIC 0 packets sent, 3 lost, 0 received", new ConnectionStats(0, 0, 3, 0, 0, Duration.ZERO, 0, 0).describe());
    }
}
