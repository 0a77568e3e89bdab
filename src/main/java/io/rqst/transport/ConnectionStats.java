package io.rqst.transport;

import java.time.Duration;

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
                              long bytesReceived, Duration rtt, long cwnd, long deliveryRate) {}
