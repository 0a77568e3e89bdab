/** QUIC transport (Netty + quiche): listening, connecting, TLS and DATAGRAM settings. */
package io.rqst.transport;
