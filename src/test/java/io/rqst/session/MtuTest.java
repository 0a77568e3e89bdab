package io.rqst.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.tap.TapDevice;
import io.rqst.transport.QuicSettings;
import org.junit.jupiter.api.Test;

/** {@link Mtu}: a frame of the tunnel MTU, VLAN tag included, must fit in one DATAGRAM. */
class MtuTest {

    // Promise: the default MTU is IPv6's minimum link MTU, 1280, as the RQST manual sets it.
    @Test
    void defaultIsIpv6Minimum() {
        assertEquals(1280, Mtu.DEFAULT);
    }

    // Promise: the MTU offered for a DATAGRAM limit leaves room for the 14-byte Ethernet header and a 4-byte VLAN tag, no more.
    @Test
    void largestFrameFitsTheDatagramExactly() {
        assertEquals(1280, Mtu.forDatagram(1298));
        assertEquals(1288, Mtu.forDatagram(1306)); // RQST's 1350-byte UDP payload with a 20-byte connection ID
        for (int max = 1200; max <= 65527; max += 97) {
            int mtu = Mtu.forDatagram(max);
            assertEquals(max, mtu + TapDevice.ETHERNET_HEADER + TapDevice.VLAN_TAG);
            assertTrue(mtu + 18 <= max && mtu + 19 > max);
        }
    }

    // Promise: frameBytes and forUdpPayload invert each other through QUIC's packet overhead: 1410 on a path of
    // 1500-byte IPv4 packets, 1390 over IPv6, RQST's 1350 bytes carry 1288.
    @Test
    void theMtuOfAUdpPayloadAndThePayloadOfAnMtu() {
        assertEquals(1298, Mtu.frameBytes(1280));
        assertEquals(1288, Mtu.forUdpPayload(1350));
        assertEquals(1410, Mtu.forUdpPayload(1472));
        assertEquals(1390, Mtu.forUdpPayload(1452));
        for (int mtu = 576; mtu <= 9000; mtu += 37) {
            // at 1288 and below RQST's 1350 bytes are the floor, and they carry 1288
            assertEquals(Math.max(mtu, 1288), Mtu.forUdpPayload(QuicSettings.udpPayloadForFrames(Mtu.frameBytes(mtu))), "mtu " + mtu);
        }
    }
}
