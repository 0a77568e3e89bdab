package io.rqst.transport;

import java.time.Duration;
import java.util.Locale;

/**
 * A snapshot of one connection's transport counters.
 *
 * @param packetsSent     QUIC packets sent
 * @param packetsReceived QUIC packets received
 * @param packetsLost     QUIC packets declared lost
 * @param bytesSent       UDP payload bytes sent
 * @param bytesReceived   UDP payload bytes received
 * @param rtt             smoothed round-trip time of the active path
 * @param cwnd            congestion window of the active path, bytes
 * @param deliveryRate    estimated delivery rate, bytes per second
 */
public record ConnectionStats(long packetsSent, long packetsReceived, long packetsLost, long bytesSent,
                              long bytesReceived, Duration rtt, long cwnd, long deliveryRate) {

    /**
     * {@return the counters a person reads in a log line: "QUIC 1234 packets sent, 5 lost (0.4 %), 1200
     * received, rtt 0.41 ms"} The round-trip time is left out when unknown (zero, e.g. once the connection is
     * gone). Lost packets are QUIC's own count: packets it declared lost and, if they held control-stream data,
     * sent again. A DATAGRAM in a lost packet, an Ethernet frame, is not sent again; the TCP inside does that.
     */
    public String describe() {
        StringBuilder b = new StringBuilder("QUIC ").append(packetsSent).append(" packets sent, ").append(packetsLost).append(" lost");
        if (packetsLost > 0 && packetsSent > 0) {
            b.append(String.format(Locale.ROOT, " (%.1f %%)", 100.0 * packetsLost / packetsSent));
        }
        b.append(", ").append(packetsReceived).append(" received");
        if (rtt.isPositive()) {
            b.append(String.format(Locale.ROOT, ", rtt %.2f ms", rtt.toNanos() / 1e6));
        }
        return b.toString();
    }
}
