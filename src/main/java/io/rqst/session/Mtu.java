package io.rqst.session;

import io.rqst.tap.TapDevice;
import io.rqst.transport.QuicSettings;

/** Tunnel MTU arithmetic: an Ethernet frame travels whole in one QUIC DATAGRAM (RFC 9221). */
final class Mtu {
    /** The default tunnel MTU: IPv6's minimum link MTU (RFC 8200 §5), as the RQST manual sets by hand. */
    static final int DEFAULT = 1280;

    private Mtu() {}

    /** The largest frame of an {@code mtu}-byte link: its packet, the Ethernet header and a VLAN tag. */
    static int frameBytes(int mtu) {
        return mtu + TapDevice.ETHERNET_HEADER + TapDevice.VLAN_TAG;
    }

    /** The largest MTU whose frames, VLAN tag included, fit in QUIC packets of {@code udpPayload} bytes. */
    static int forUdpPayload(int udpPayload) {
        return forDatagram(udpPayload - QuicSettings.DATAGRAM_PACKET_OVERHEAD);
    }

    /** The largest MTU whose frames, VLAN tag included, fit in a {@code maxDatagram}-byte DATAGRAM. */
    static int forDatagram(int maxDatagram) {
        return maxDatagram - TapDevice.ETHERNET_HEADER - TapDevice.VLAN_TAG;
    }
}
