package io.rqst.transport;

import io.rqst.config.Durations;
import java.time.Duration;

/**
 * QUIC parameters shared by server and client.
 *
 * @param alpn            the TLS application protocol; {@link #RQST_ALPN} unless testing a mismatch
 * @param idleTimeout     QUIC max_idle_timeout: a peer silent this long is gone
 * @param maxUdpPayload   max_udp_payload_size sent and accepted, which bounds the largest DATAGRAM; or
 *                        {@link #UDP_PAYLOAD_AUTO}: the server's follows its tunnel MTU ({@link #udpPayloadForFrames}),
 *                        the client's its own {@code --mtu} if given, else a 1500-byte path to the server
 *                        ({@link #udpPayloadOfEthernetPath}) or its route's MTU where that is smaller
 *                        ({@link #clientUdpPayload})
 * @param datagramQueue   frames quiche may queue per direction before it drops
 * @param socketBuffer    SO_SNDBUF/SO_RCVBUF asked for on the UDP socket (the kernel may cap it)
 * @param udpGro          let the kernel coalesce received UDP packets (epoll only)
 * @param gsoSegments     QUIC packets per UDP GSO send (1-64, epoll only)
 * @param congestionControl the outer congestion controller: cubic, reno or bbr
 * @param receiveAqm      CoDel on the UDP socket's receive queue, or null for none (tail drop at the buffer's end)
 */
public record QuicSettings(String alpn, Duration idleTimeout, int maxUdpPayload, int datagramQueue, int socketBuffer,
                           boolean udpGro, int gsoSegments, String congestionControl, Aqm receiveAqm) {

    /**
     * CoDel's two parameters (RFC 8289).
     *
     * @param target   a standing queue may hold packets this long
     * @param interval how long a queue may stand above target before the first drop
     */
    public record Aqm(Duration target, Duration interval) {
        public Aqm {
            if (target.isNegative() || target.isZero() || interval.compareTo(target) <= 0) {
                throw new IllegalArgumentException("CoDel needs 0 < target < interval, got " + Durations.format(target) + " / "
                        + Durations.format(interval));
            }
        }
    }

    /**
     * CoDel parameters of {@code --rx-aqm on}: 500 us target, 5 ms interval; a
     * ping under one TCP stream measured 1.6 ms p50 with these, 2.3 with 1/10 ms, 3.5 with 2/20 ms (RFC 8289's
     * 5/100 ms suit Internet routers, not a queue whose bottleneck is this host's CPU). A floor: on a path
     * with a longer round trip, the interval grows to it and the target with it ({@link ReceiveQueueAqm}).
     */
    public static final Aqm SUGGESTED_RECEIVE_AQM = new Aqm(Duration.ofNanos(500_000), Duration.ofMillis(5));

    /** The ALPN token of RQST ({@code src/bin/vpn-server.rs}: {@code b"\x03vpn"}). */
    public static final String RQST_ALPN = "vpn";
    /**
     * RQST's max_recv/send_udp_payload_size. With a 20-byte connection ID it leaves 1306 bytes per
     * DATAGRAM: a 1280-byte MTU frame (1294 bytes, 1298 with a VLAN tag) fits.
     */
    public static final int RQST_MAX_UDP_PAYLOAD = 1350;
    /** {@link #maxUdpPayload} that follows the tunnel: see the record's parameters. */
    public static final int UDP_PAYLOAD_AUTO = 0;
    /**
     * What a DATAGRAM frame costs in a 1-RTT packet beyond its data: the short header's first byte, a
     * 20-byte destination connection ID (Netty's and RQST's) and a packet number of up to 4 bytes (RFC 9000
     * section 17.3.1), the AEAD tag of 16 bytes (RFC 9001 section 5.3), the frame's type and 2-byte length
     * (RFC 9221 section 4). {@link #RQST_MAX_UDP_PAYLOAD} less this is 1306, what quiche reports.
     */
    public static final int DATAGRAM_PACKET_OVERHEAD = 1 + 20 + 4 + 16 + 1 + 2;
    /** The IPv4 header without options (RFC 791), the IPv6 header (RFC 8200) and the UDP header (RFC 768), bytes. */
    static final int IPV4_HEADER = 20, IPV6_HEADER = 40, UDP_HEADER = 8;
    /** Ethernet's MTU: the packets a path of Ethernet links carries. */
    static final int ETHERNET_MTU = 1500;
    /** The largest UDP payload on a path of 1500-byte packets (Ethernet's MTU): less a 20-byte IPv4 header. */
    public static final int ETHERNET_PATH_UDP_PAYLOAD_IPV4 = ETHERNET_MTU - IPV4_HEADER - UDP_HEADER;
    /** The same with a 40-byte IPv6 header. */
    public static final int ETHERNET_PATH_UDP_PAYLOAD_IPV6 = ETHERNET_MTU - IPV6_HEADER - UDP_HEADER;
    /** The most one UDP GSO send carries: an IPv4 datagram's 65535 bytes less its IP and UDP headers. */
    public static final int MAX_GSO_SEND = 65535 - IPV4_HEADER - UDP_HEADER;
    /** The smallest UDP payload QUIC works with: every path must carry 1200-byte datagrams (RFC 9000 section 14). */
    public static final int MIN_UDP_PAYLOAD = 1200;
    /** quiche's ceiling on max_udp_payload_size (RFC 9000 section 18.2: 65527). */
    public static final int MAX_UDP_PAYLOAD = 65527;

    /**
     * The UDP payload for frames of up to {@code frameBytes}: the smallest that carries one in a DATAGRAM,
     * RQST's {@link #RQST_MAX_UDP_PAYLOAD} at least, so that RQST's peers see what they expect.
     */
    public static int udpPayloadForFrames(int frameBytes) {
        return Math.min(MAX_UDP_PAYLOAD, Math.max(RQST_MAX_UDP_PAYLOAD, frameBytes + DATAGRAM_PACKET_OVERHEAD));
    }

    /**
     * The client's UDP payload when it does not know the server's tunnel MTU yet: the largest that a path of
     * 1500-byte packets carries to {@code server} (an IPv4-mapped address counts as IPv4). Only a limit: each
     * end sends at most what the other accepts (RFC 9000 section 18.2), so against a server of RQST's
     * parameters the packets stay at 1350 bytes.
     */
    public static int udpPayloadOfEthernetPath(java.net.InetAddress server) {
        return udpPayloadOfMtu(server, ETHERNET_MTU);
    }

    /**
     * Frames quiche may queue per direction. When the send queue is full quiche refuses a DATAGRAM and
     * Netty drops the rest of that flush without a word (the peers' frame reports count them,
     * {@code session.FrameLoss}). 256 frames overflowed under one TCP stream over a 40 ms round trip:
     * 51-229 frames lost per 15 s, 324-491 Mbit/s s2c against 508-542 with 1024, which lost about one
     * (bench/wan.sh). On a LAN 1024 measured the same loaded ping (p99 3.65 / 4.20 ms against 4.28 /
     * 3.72) and no less throughput (bench/compare.sh, 2026-11-23). The queue only fills when more is
     * offered than the path takes: a full 2048-frame queue held 20 ms at 1.4 Gbit/s.
     */
    public static final int DEFAULT_DATAGRAM_QUEUE = 1024;
    /**
     * SO_RCVBUF/SO_SNDBUF of the UDP socket. The kernel's default (208 KiB) drops bursts
     * (UdpRcvbufErrors, seen with the anchors); 4 MiB absorbed everything but held 30 ms of a TCP
     * stream in front of a ping under load; 512 KiB measured p50 4 ms / p99 7-10 ms instead of 17/30.
     * That is a LAN's size: the receive buffer grows with the connections' round trip ({@link ReceiveBuffer}).
     */
    public static final int DEFAULT_SOCKET_BUFFER = 512 << 10;
    /** Bounds of the configured socket buffer (bytes); the receive buffer may grow to 8 times it. */
    public static final int MIN_SOCKET_BUFFER = 4096;
    public static final int MAX_SOCKET_BUFFER = 64 << 20;
    /** Upper bound of the frames quiche may queue per direction. */
    public static final int MAX_DATAGRAM_QUEUE = 65536;
    /**
     * The outer congestion controllers quiche offers, by the name {@code --cc} takes. cubic is the default:
     * quiche's bbr (BBRv2) keeps the DATAGRAM send queue full under a TCP stream inside, so a ping under load
     * waited 15 ms at p99 on a LAN against 3-4 with cubic (bench/RESULTS.md 2026-11-24 03:00).
     */
    public static final java.util.List<String> CONGESTION_CONTROLLERS = java.util.List.of("cubic", "reno", "bbr");
    /**
     * QUIC packets per UDP GSO send. One stream through the tunnel (fcbc6d3, 2026-11-22): 16 gave 630-900 /
     * 900-1050 Mbit/s c2s / s2c, 32 gave 850-1050 / 960-1100, 64 collapsed to about 400. The CLI's
     * {@code --gso-segments} defaults to it, so in-JVM endpoints and tests run what the program runs (they ran 16).
     */
    public static final int DEFAULT_GSO_SEGMENTS = 32;
    /** Our default idle timeout (RQST has none, so it never notices a dead peer). */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    public QuicSettings {
        if (gsoSegments < 1 || gsoSegments > 64) {
            throw new IllegalArgumentException("GSO segments " + gsoSegments + " out of range 1-64");
        }
        if (idleTimeout.toMillis() < 1000) {
            throw new IllegalArgumentException("idle timeout " + idleTimeout.toMillis() + "ms is below the 1s minimum");
        }
        if (socketBuffer < MIN_SOCKET_BUFFER || socketBuffer > MAX_SOCKET_BUFFER) {
            throw new IllegalArgumentException("socket buffer " + socketBuffer + " bytes is out of range " + MIN_SOCKET_BUFFER + "-" + MAX_SOCKET_BUFFER);
        }
        if (datagramQueue < 1 || datagramQueue > MAX_DATAGRAM_QUEUE) {
            throw new IllegalArgumentException("datagram queue " + datagramQueue + " is out of range 1-" + MAX_DATAGRAM_QUEUE);
        }
        if (!CONGESTION_CONTROLLERS.contains(congestionControl)) {
            throw new IllegalArgumentException("congestion control '" + congestionControl + "' is not one of " + CONGESTION_CONTROLLERS);
        }
        if (maxUdpPayload != UDP_PAYLOAD_AUTO && (maxUdpPayload < MIN_UDP_PAYLOAD || maxUdpPayload > MAX_UDP_PAYLOAD)) {
            throw new IllegalArgumentException("max UDP payload " + maxUdpPayload + " is out of range " + MIN_UDP_PAYLOAD + "-" + MAX_UDP_PAYLOAD
                    + " (QUIC needs " + MIN_UDP_PAYLOAD + ")");
        }
    }

    /** The defaults: RQST's wire parameters (the UDP payload following the tunnel) plus a 30 s idle timeout. */
    public static QuicSettings defaults() {
        return new QuicSettings(RQST_ALPN, DEFAULT_IDLE_TIMEOUT, UDP_PAYLOAD_AUTO, DEFAULT_DATAGRAM_QUEUE, DEFAULT_SOCKET_BUFFER, true, DEFAULT_GSO_SEGMENTS, "cubic", null);
    }

    public QuicSettings withIdleTimeout(Duration d) {
        return new QuicSettings(alpn, d, maxUdpPayload, datagramQueue, socketBuffer, udpGro, gsoSegments, congestionControl, receiveAqm);
    }

    public QuicSettings withAlpn(String a) {
        return new QuicSettings(a, idleTimeout, maxUdpPayload, datagramQueue, socketBuffer, udpGro, gsoSegments, congestionControl, receiveAqm);
    }

    public QuicSettings withUdpGro(boolean gro) {
        return new QuicSettings(alpn, idleTimeout, maxUdpPayload, datagramQueue, socketBuffer, gro, gsoSegments, congestionControl, receiveAqm);
    }

    public QuicSettings withGso(int segments, String cc) {
        return new QuicSettings(alpn, idleTimeout, maxUdpPayload, datagramQueue, socketBuffer, udpGro, segments, cc, receiveAqm);
    }

    public QuicSettings withSocketBuffer(int bytes) {
        return new QuicSettings(alpn, idleTimeout, maxUdpPayload, datagramQueue, bytes, udpGro, gsoSegments, congestionControl, receiveAqm);
    }

    public QuicSettings withReceiveAqm(Aqm aqm) {
        return new QuicSettings(alpn, idleTimeout, maxUdpPayload, datagramQueue, socketBuffer, udpGro, gsoSegments, congestionControl, aqm);
    }

    /** With max_udp_payload_size {@code bytes}, or {@link #UDP_PAYLOAD_AUTO}. */
    public QuicSettings withMaxUdpPayload(int bytes) {
        return new QuicSettings(alpn, idleTimeout, bytes, datagramQueue, socketBuffer, udpGro, gsoSegments, congestionControl, receiveAqm);
    }

    /**
     * GSO segments per send for packets of up to {@code udpPayload} bytes: {@link #gsoSegments}, or fewer where
     * they would not fit in one send (jumbo packets), which the kernel refuses whole.
     */
    public int gsoSegmentsFor(int udpPayload) {
        return Math.max(1, Math.min(gsoSegments, MAX_GSO_SEND / udpPayload));
    }

    /** The server's UDP payload: the one set, or what carries {@code frameBytes}-byte frames. */
    public int serverUdpPayload(int frameBytes) {
        return maxUdpPayload != UDP_PAYLOAD_AUTO ? maxUdpPayload : udpPayloadForFrames(frameBytes);
    }

    /**
     * The client's UDP payload towards {@code server}: the one set; else a 1500-byte path's, or less where the
     * kernel's route there carries smaller packets ({@code routeMtu}, see {@link RouteMtu}), never below QUIC's
     * {@link #MIN_UDP_PAYLOAD}. A wider route (a jumbo LAN, loopback) does not widen it: the path beyond may not be.
     */
    public int clientUdpPayload(java.net.InetAddress server, java.util.OptionalInt routeMtu) {
        if (maxUdpPayload != UDP_PAYLOAD_AUTO) {
            return maxUdpPayload;
        }
        int ethernet = udpPayloadOfEthernetPath(server);
        return routeMtu.isEmpty() ? ethernet : Math.max(MIN_UDP_PAYLOAD, Math.min(ethernet, udpPayloadOfMtu(server, routeMtu.getAsInt())));
    }

    /** The UDP payload of an {@code mtu}-byte packet to {@code server}: less its IP header (20 or 40 bytes) and UDP's 8. */
    public static int udpPayloadOfMtu(java.net.InetAddress server, int mtu) {
        return mtu - (server instanceof java.net.Inet6Address ? IPV6_HEADER : IPV4_HEADER) - UDP_HEADER;
    }

    public QuicSettings withDatagramQueue(int frames) {
        return new QuicSettings(alpn, idleTimeout, maxUdpPayload, frames, socketBuffer, udpGro, gsoSegments, congestionControl, receiveAqm);
    }

    /** The congestion controller for Netty's builders. */
    io.netty.handler.codec.quic.QuicCongestionControlAlgorithm ccAlgorithm() {
        return switch (congestionControl) {
            case "reno" -> io.netty.handler.codec.quic.QuicCongestionControlAlgorithm.RENO;
            case "bbr" -> io.netty.handler.codec.quic.QuicCongestionControlAlgorithm.BBR;
            case "cubic" -> io.netty.handler.codec.quic.QuicCongestionControlAlgorithm.CUBIC;
            default -> throw new IllegalStateException("unchecked congestion control " + congestionControl);
        };
    }

    /** How often to send a keepalive so that an idle but healthy connection never times out. */
    public Duration keepaliveInterval() {
        return idleTimeout.dividedBy(3);
    }
}
