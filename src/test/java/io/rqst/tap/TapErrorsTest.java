package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rqst.sys.Libc;
import io.rqst.tap.TapErrors.Step;
import org.junit.jupiter.api.Test;

class TapErrorsTest {

    @Test
    void permissionErrorsOfAnyStepSayHowToFixThem() {
        String expected = "cannot create TAP 'rqst0': permission denied (run as root or with CAP_NET_ADMIN)";
        assertEquals(expected, TapErrors.openFailure("rqst0", Step.OPEN_TUN, 1500, Libc.EACCES, "Permission denied"));
        assertEquals(expected, TapErrors.openFailure("rqst0", Step.TUNSETIFF, 1500, Libc.EPERM, "Operation not permitted"));
        assertEquals(expected, TapErrors.openFailure("rqst0", Step.SET_FLAGS, 1500, Libc.EPERM, "Operation not permitted"));
    }

    @Test
    void missingTunDevice() {
        assertEquals("cannot create TAP 'rqst0': /dev/net/tun is missing (modprobe tun)",
                TapErrors.openFailure("rqst0", Step.OPEN_TUN, 1500, Libc.ENOENT, "No such file or directory"));
        assertEquals("cannot create TAP 'rqst0': the tun driver is not loaded (modprobe tun)",
                TapErrors.openFailure("rqst0", Step.OPEN_TUN, 1500, Libc.ENODEV, "No such device"));
    }

    @Test
    void nameInUse() {
        assertEquals("cannot create TAP 'rqst0': name is in use by another device",
                TapErrors.openFailure("rqst0", Step.TUNSETIFF, 1500, Libc.EBUSY, "Device or resource busy"));
        assertEquals("cannot create TAP 'lo': name is in use by a device that is not a single-queue TAP",
                TapErrors.openFailure("lo", Step.TUNSETIFF, 1500, Libc.EINVAL, "Invalid argument"));
    }

    @Test
    void mtuRefusedByTheKernel() {
        assertEquals("cannot create TAP 'rqst0': MTU 65535 is outside the range the kernel accepts for a TAP"
                        + " (68 to 65521 on Linux)",
                TapErrors.openFailure("rqst0", Step.SET_MTU, 65535, Libc.EINVAL, "Invalid argument"));
    }

    @Test
    void anythingElseNamesTheStepAndTheErrnoText() {
        assertEquals("cannot create TAP 'rqst0': cannot open /dev/net/tun: Too many open files (errno 24)",
                TapErrors.openFailure("rqst0", Step.OPEN_TUN, 1500, 24, "Too many open files"));
        // ENOENT only means "missing /dev/net/tun" when opening it
        assertEquals("cannot create TAP 'rqst0': cannot read the MAC address: No such file or directory (errno 2)",
                TapErrors.openFailure("rqst0", Step.GET_HWADDR, 1500, Libc.ENOENT, "No such file or directory"));
        assertEquals("cannot create TAP 'rqst0': cannot set the MTU: Device or resource busy (errno 16)",
                TapErrors.openFailure("rqst0", Step.SET_MTU, 1500, Libc.EBUSY, "Device or resource busy"));
    }

    @Test
    void ioFailures() {
        assertEquals("TAP 'rqst0' failed: the interface was removed from the host"
                        + " (read: File descriptor in bad state (errno 77))",
                TapErrors.ioFailure("rqst0", "read", Libc.EBADFD, "File descriptor in bad state"));
        assertEquals("TAP 'rqst0' failed: poll: Invalid argument (errno 22)",
                TapErrors.ioFailure("rqst0", "poll", Libc.EINVAL, "Invalid argument"));
    }
}
