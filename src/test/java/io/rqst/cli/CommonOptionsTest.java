package io.rqst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
