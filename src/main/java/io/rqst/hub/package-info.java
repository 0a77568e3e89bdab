/** The hub: the one place that decides where an Ethernet frame goes (MAC learning, client isolation, anti-spoofing). */
package io.rqst.hub;
