/** Packet capture of the tunnel's Ethernet frames in pcap format. */
package io.rqst.pcap;
