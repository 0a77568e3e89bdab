package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The derived MACs are stable, distinct per role, unicast and locally administered. */
class StableMacTest {
    @Test
    void sameRoleSameMacDifferentRolesDiffer() {
        assertEquals(StableMac.forRole("server:rqst-up0"), StableMac.forRole("server:rqst-up0"));
        assertNotEquals(StableMac.forRole("server:rqst-up0"), StableMac.forRole("client:rqst0"));
        assertNotEquals(StableMac.derive("a"), StableMac.derive("b"));
    }

    @Test
    void unicastAndLocallyAdministered() {
        for (String seed : new String[] {"a", "b", "c", "server:x", "client:y", "z"}) {
            long mac = StableMac.derive(seed);
            assertEquals(0, mac >>> 48, "48 bits");
            assertEquals(0, (mac >>> 40) & 1, "I/G bit must be clear (unicast): " + Long.toHexString(mac));
            assertEquals(1, (mac >>> 41) & 1, "U/L bit must be set (local): " + Long.toHexString(mac));
        }
    }
}
