package io.rqst.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.tap.TapDevice;
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
}
