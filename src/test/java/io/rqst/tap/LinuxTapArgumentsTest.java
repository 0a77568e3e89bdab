package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Arguments {@link LinuxTap#open} refuses before it touches the kernel (so no root is needed). */
class LinuxTapArgumentsTest {

    private static String refused(String name, int mtu) {
        return assertThrows(IllegalArgumentException.class, () -> LinuxTap.open(name, mtu)).getMessage();
    }

    @Test
    void badMtu() {
        assertEquals("invalid MTU 67 for TAP 'rqst0': must be 68 to 65535", refused("rqst0", 67));
        assertEquals("invalid MTU 0 for TAP 'rqst0': must be 68 to 65535", refused("rqst0", 0));
        assertEquals("invalid MTU 65536 for TAP 'rqst0': must be 68 to 65535", refused("rqst0", 65536));
    }

    @Test
    void badName() {
        assertEquals("invalid TAP name '': must be 1 to 15 characters", refused("", 1500));
        assertEquals("invalid TAP name 'rqst0123456789ab': longer than 15 characters", refused("rqst0123456789ab", 1500));
        assertEquals("invalid TAP name '../rqst': contains '/'", refused("../rqst", 1500));
        assertEquals("invalid TAP name 'rq st': contains whitespace", refused("rq st", 1500));
    }

    @Test
    void theNameIsCheckedBeforeTheMtu() {
        assertEquals("invalid TAP name 'a/b': contains '/'", refused("a/b", 1));
    }
}
