package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.quic.QuicCongestionControlAlgorithm;
import java.net.InetAddress;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * {@link QuicSettings}: the congestion controller a name gives Netty's builders, and names it refuses; the UDP
 * payload each end uses.
 */
class QuicSettingsTest {
    @Test
    void eachNamedCongestionControllerReachesTheBuildersAsItself() {
        QuicSettings s = QuicSettings.defaults();
        assertEquals("cubic", s.congestionControl());
        assertEquals(QuicCongestionControlAlgorithm.CUBIC, s.ccAlgorithm());
        assertEquals(QuicCongestionControlAlgorithm.BBR, s.withGso(s.gsoSegments(), "bbr").ccAlgorithm());
        assertEquals(QuicCongestionControlAlgorithm.RENO, s.withGso(s.gsoSegments(), "reno").ccAlgorithm());
        for (String cc : QuicSettings.CONGESTION_CONTROLLERS) {
            assertEquals(cc.toUpperCase(), s.withGso(s.gsoSegments(), cc).ccAlgorithm().name());
        }
    }

    @Test
    void anUnknownCongestionControllerIsRefusedByName() {
        QuicSettings s = QuicSettings.defaults();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.withGso(s.gsoSegments(), "vegas"));
        assertTrue(e.getMessage().contains("'vegas'"), e.getMessage());
    }

    /**
     * Promise: a server's packets carry its tunnel's largest frame in one DATAGRAM and never shrink below RQST's
     * 1350 bytes; a client offers what a path of 1500-byte packets carries, by the server's IP version.
     */
    @Test
    void theUdpPayloadFollowsTheTunnelMtuAndThePath() throws Exception {
        // RQST's parameters: 1350 bytes leave quiche 1306 per DATAGRAM
        assertEquals(1306, QuicSettings.RQST_MAX_UDP_PAYLOAD - QuicSettings.DATAGRAM_PACKET_OVERHEAD);
        assertEquals(1350, QuicSettings.udpPayloadForFrames(1280 + 18), "MTU 1280 with a VLAN tag: RQST's payload");
        assertEquals(1350, QuicSettings.udpPayloadForFrames(0));
        assertEquals(1462, QuicSettings.udpPayloadForFrames(1400 + 18));
        assertEquals(1472, QuicSettings.udpPayloadForFrames(1410 + 18), "MTU 1410: a full 1500-byte IPv4 packet");
        assertEquals(9062, QuicSettings.udpPayloadForFrames(9000 + 18));
        assertEquals(65527, QuicSettings.udpPayloadForFrames(70_000));

        InetAddress v4 = InetAddress.ofLiteral("192.0.2.1");
        InetAddress v6 = InetAddress.ofLiteral("2001:db8::1");
        InetAddress mapped = InetAddress.ofLiteral("::ffff:192.0.2.1");
        assertEquals(1472, QuicSettings.udpPayloadOfEthernetPath(v4));
        assertEquals(1452, QuicSettings.udpPayloadOfEthernetPath(v6));
        assertEquals(1472, QuicSettings.udpPayloadOfEthernetPath(mapped), "an IPv4-mapped address travels as IPv4");

        QuicSettings auto = QuicSettings.defaults();
        assertEquals(QuicSettings.UDP_PAYLOAD_AUTO, auto.maxUdpPayload());
        assertEquals(1462, auto.serverUdpPayload(1418));
        assertEquals(1452, auto.clientUdpPayload(v6, OptionalInt.empty()));
        assertEquals(1472, auto.clientUdpPayload(v4, OptionalInt.of(1500)));
        assertEquals(1464, auto.clientUdpPayload(v4, OptionalInt.of(1492)), "PPPoE: 1492 - 20 - 8");
        assertEquals(1372, auto.clientUdpPayload(v6, OptionalInt.of(1420)), "a WireGuard link: 1420 - 40 - 8");
        assertEquals(1472, auto.clientUdpPayload(v4, OptionalInt.of(65536)), "loopback's MTU does not widen it");
        assertEquals(1472, auto.clientUdpPayload(v4, OptionalInt.of(9000)), "nor a jumbo LAN's: the path beyond may be narrower");
        assertEquals(1200, auto.clientUdpPayload(v4, OptionalInt.of(1200)), "QUIC's floor: 1200 - 28 would be too few");
        assertEquals(1232, auto.clientUdpPayload(v6, OptionalInt.of(1280)), "IPv6's minimum link");
        QuicSettings set = auto.withMaxUdpPayload(1300);
        assertEquals(1300, set.serverUdpPayload(1418), "a payload set by hand wins");
        assertEquals(1300, set.clientUdpPayload(v4, OptionalInt.of(1280)), "also over a narrower route");
        assertThrows(IllegalArgumentException.class, () -> auto.withMaxUdpPayload(1199));
        assertThrows(IllegalArgumentException.class, () -> auto.withMaxUdpPayload(65528));
    }

    /** Promise: one GSO send never exceeds what the kernel takes in one datagram, whatever the packets' size. */
    @Test
    void gsoSendsOfJumboPacketsCarryFewerSegments() {
        QuicSettings s = QuicSettings.defaults();
        assertEquals(32, s.gsoSegments());
        assertEquals(32, s.gsoSegmentsFor(1350));
        assertEquals(32, s.gsoSegmentsFor(1472));
        assertEquals(8, s.gsoSegmentsFor(8062), "8 x 8062 = 64496 bytes");
        assertEquals(1, s.gsoSegmentsFor(65527));
        for (int payload = 1200; payload <= QuicSettings.MAX_GSO_SEND; payload += 97) { // --mtu stops at 9000: 9062 bytes
            assertTrue(s.gsoSegmentsFor(payload) * payload <= 65507, "payload " + payload);
        }
    }
}
