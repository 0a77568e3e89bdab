package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.quic.QuicCongestionControlAlgorithm;
import org.junit.jupiter.api.Test;

/** {@link QuicSettings}: the congestion controller a name gives Netty's builders, and names it refuses. */
class QuicSettingsTest {
    @Test
    void eachNamedCongestionControllerReachesTheBuildersAsItself() {
        QuicSettings s = QuicSettings.defaults();
        assertEquals("cubic", s.congestionControl());
        assertEquals(QuicCongestionControlAlgorithm.CUBIC, s.ccAlgorithm());
        assertEquals(QuicCongestionControlAlgorithm.BBR, s.withGso(s.gsoSegments(), "bbr").ccAlgorithm());
        assertEquals(QuicCongestionControlAlgorithm.RENO, s.withGso(s.gsoSegments(), "reno").ccAlgorithm());
        for (String cc : QuicSettings.CONGESTION_CONTROLLERS) {
            assertEquals(cc.toUpperCase(), s.withGso(s.gsoSegments(), cc).ccAlgorithm().name());
        }
    }

    @Test
    void anUnknownCongestionControllerIsRefusedByName() {
        QuicSettings s = QuicSettings.defaults();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.withGso(s.gsoSegments(), "vegas"));
        assertTrue(e.getMessage().contains("'vegas'"), e.getMessage());
    }
}
