package io.rqst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rqst.transport.QuicSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The options both sides take, as the transport receives them. */
class CommonOptionsTest {
    static QuicSettings quic(String... args) {
        return new ParsedCommonOptions(args).quic();
    }

    // Promise: the receive-queue CoDel is off unless asked for; --rx-aqm on gives the suggested values,
    // and explicit ones (microseconds or milliseconds) are taken as written.
    @Test
    void rxAqmIsOffByDefaultAndTakesSuggestedOrGivenValues() {
        assertNull(quic().receiveAqm());
        assertNull(quic("--rx-aqm", "off").receiveAqm());
        assertEquals(QuicSettings.SUGGESTED_RECEIVE_AQM, quic("--rx-aqm", "on").receiveAqm());
        assertEquals(new QuicSettings.Aqm(Duration.ofNanos(250_000), Duration.ofMillis(20)), quic("--rx-aqm", "250us/20ms").receiveAqm());
        assertEquals(new QuicSettings.Aqm(Duration.ofMillis(1), Duration.ofMillis(10)), quic("--rx-aqm=1ms/10ms").receiveAqm());
    }

    // Promise: the tuning options (hidden, for comparisons) name a value out of range instead of failing later.
    @Test
    void tuningOptionsOutOfRangeAreNamed() {
        assertEquals(QuicSettings.DEFAULT_SOCKET_BUFFER, quic().socketBuffer());
        assertEquals(1 << 20, quic("--socket-buffer", "1048576").socketBuffer());
        assertEquals("--socket-buffer -5 is out of range 4096-67108864",
                assertThrows(Main.UsageError.class, () -> quic("--socket-buffer", "-5")).getMessage());
        assertEquals("--datagram-queue 0 is out of range 1-65536",
                assertThrows(Main.UsageError.class, () -> quic("--datagram-queue", "0")).getMessage());
        assertEquals("--gso-segments 65 is out of range 1-64",
                assertThrows(Main.UsageError.class, () -> quic("--gso-segments", "65")).getMessage());
        assertEquals(QuicSettings.defaults().gsoSegments(), quic().gsoSegments());
        assertEquals("cubic", quic().congestionControl());
        assertEquals("bbr", quic("--cc", "bbr").congestionControl());
        assertEquals("--cc bbr2: expected one of cubic, reno, bbr",
                assertThrows(Main.UsageError.class, () -> quic("--cc", "bbr2")).getMessage());
        assertEquals(QuicSettings.UDP_PAYLOAD_AUTO, quic().maxUdpPayload());
        assertEquals(1350, quic("--max-udp-payload", "1350").maxUdpPayload());
        assertEquals("--max-udp-payload 1199 is out of range 1200-65527",
                assertThrows(Main.UsageError.class, () -> quic("--max-udp-payload", "1199")).getMessage());
    }
}
