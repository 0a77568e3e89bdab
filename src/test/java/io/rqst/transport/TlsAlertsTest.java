package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** {@link TlsAlerts}: TLS alerts carried in QUIC CRYPTO_ERROR codes, in words. */
class TlsAlertsTest {

    // Promise: exactly the CRYPTO_ERROR range 0x0100-0x01ff (RFC 9001 §4.8) carries an alert, the low byte.
    @Test
    void alertFromQuicErrorCode() {
        assertEquals(0x100, TlsAlerts.RFC9001_CRYPTO_ERROR);
        assertEquals(0, TlsAlerts.fromQuicError(0x100));
        assertEquals(TlsAlerts.HANDSHAKE_FAILURE, TlsAlerts.fromQuicError(0x128));
        assertEquals(TlsAlerts.UNKNOWN_CA, TlsAlerts.fromQuicError(0x130));
        assertEquals(TlsAlerts.CERTIFICATE_REQUIRED, TlsAlerts.fromQuicError(0x174));
        assertEquals(TlsAlerts.NO_APPLICATION_PROTOCOL, TlsAlerts.fromQuicError(0x178));
        assertEquals(255, TlsAlerts.fromQuicError(0x1ff));
        assertEquals(-1, TlsAlerts.fromQuicError(0xff));
        assertEquals(-1, TlsAlerts.fromQuicError(0x200));
        assertEquals(-1, TlsAlerts.fromQuicError(0));
        assertEquals(-1, TlsAlerts.fromQuicError(0xa)); // PROTOCOL_VIOLATION
        assertEquals(-1, TlsAlerts.fromQuicError(-1));
        assertEquals(-1, TlsAlerts.fromQuicError(0x1_0000_0100L));
    }

    // Promise: the alert numbers are RFC 8446's.
    @Test
    void alertNumbersAreRfc8446s() {
        assertEquals(40, TlsAlerts.HANDSHAKE_FAILURE);
        assertEquals(42, TlsAlerts.BAD_CERTIFICATE);
        assertEquals(43, TlsAlerts.UNSUPPORTED_CERTIFICATE);
        assertEquals(44, TlsAlerts.CERTIFICATE_REVOKED);
        assertEquals(45, TlsAlerts.CERTIFICATE_EXPIRED);
        assertEquals(46, TlsAlerts.CERTIFICATE_UNKNOWN);
        assertEquals(48, TlsAlerts.UNKNOWN_CA);
        assertEquals(49, TlsAlerts.ACCESS_DENIED);
        assertEquals(51, TlsAlerts.DECRYPT_ERROR);
        assertEquals(70, TlsAlerts.PROTOCOL_VERSION);
        assertEquals(80, TlsAlerts.INTERNAL_ERROR);
        assertEquals(116, TlsAlerts.CERTIFICATE_REQUIRED);
        assertEquals(120, TlsAlerts.NO_APPLICATION_PROTOCOL);
    }

    // Promise: logs name alerts by their RFC names; unknown ones by number.
    @Test
    void names() {
        assertEquals("close_notify", TlsAlerts.name(0));
        assertEquals("unexpected_message", TlsAlerts.name(10));
        assertEquals("bad_certificate", TlsAlerts.name(42));
        assertEquals("illegal_parameter", TlsAlerts.name(47));
        assertEquals("unknown_ca", TlsAlerts.name(48));
        assertEquals("decode_error", TlsAlerts.name(50));
        assertEquals("missing_extension", TlsAlerts.name(109));
        assertEquals("unrecognized_name", TlsAlerts.name(112));
        assertEquals("certificate_required", TlsAlerts.name(116));
        assertEquals("no_application_protocol", TlsAlerts.name(120));
        assertEquals("alert 99", TlsAlerts.name(99));
    }

    // Promise: every alert gets a one-line explanation that speaks of the server and this client.
    @Test
    void everyAlertHasOneLine() {
        for (int alert = 0; alert < 256; alert++) {
            String s = TlsAlerts.describeFromServer(alert, "vpn");
            assertEquals(1, s.lines().count(), s);
            assertFalse(s.isBlank());
        }
        assertEquals("the server requires a client certificate and this client sent none",
                TlsAlerts.describeFromServer(TlsAlerts.CERTIFICATE_REQUIRED, "vpn"));
        assertEquals("the server does not speak this protocol (it refused ALPN 'x')",
                TlsAlerts.describeFromServer(TlsAlerts.NO_APPLICATION_PROTOCOL, "x"));
    }
}
