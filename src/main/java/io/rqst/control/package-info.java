/** The control protocol: small versioned messages on the client-opened QUIC stream (hello, accept, reject, ping, close). */
package io.rqst.control;
