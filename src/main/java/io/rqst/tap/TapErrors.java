package io.rqst.tap;

import io.rqst.sys.Libc;

/**
 * One-line messages for TAP failures, from the step that failed and its errno. Pure: the errno text
 * ({@code strerror}) is passed in, so the mapping is testable without a kernel.
 */
final class TapErrors {

    private TapErrors() {}

    /** The steps of opening a TAP, each with the words a message uses for it. */
    enum Step {
        OPEN_TUN("open /dev/net/tun"),
        TUNSETIFF("attach to the interface (TUNSETIFF)"),
        SOCKET("open a control socket"),
        SET_MTU("set the MTU"),
        SET_HWADDR("set the MAC address"),
        GET_FLAGS("read the interface flags"),
        SET_FLAGS("bring the link up"),
        GET_HWADDR("read the MAC address"),
        EVENTFD("create the wake-up eventfd");

        final String words;

        Step(String words) {
            this.words = words;
        }
    }

    /**
     * The message for a failed {@code step} while creating TAP {@code device}, e.g.
     * {@code cannot create TAP 'rqst0': name is in use by another device}.
     */
    static String openFailure(String device, Step step, int mtu, int errno, String errnoText) {
        String prefix = "cannot create TAP '" + device + "': ";
        if (errno == Libc.EPERM || errno == Libc.EACCES) {
            return prefix + "permission denied (run as root or with CAP_NET_ADMIN)";
        }
        switch (step) {
            case OPEN_TUN -> {
                if (errno == Libc.ENOENT) {
                    return prefix + "/dev/net/tun is missing (modprobe tun)";
                }
                if (errno == Libc.ENODEV || errno == Libc.ENXIO) {
                    return prefix + "the tun driver is not loaded (modprobe tun)";
                }
            }
            case TUNSETIFF -> {
                if (errno == Libc.EBUSY) {
                    return prefix + "name is in use by another device";
                }
                if (errno == Libc.EINVAL) {
                    return prefix + "name is in use by a device that is not a single-queue TAP";
                }
            }
            case SET_MTU -> {
                if (errno == Libc.EINVAL) {
                    return prefix + "MTU " + mtu + " is outside the range the kernel accepts for a TAP"
                            + " (68 to 65521 on Linux)";
                }
            }
            default -> { }
        }
        return prefix + "cannot " + step.words + ": " + errnoText + " (errno " + errno + ")";
    }

    /** The message for a failed {@code read} or {@code poll} on an open TAP. */
    static String ioFailure(String device, String call, int errno, String errnoText) {
        String cause = call + ": " + errnoText + " (errno " + errno + ")";
        if (errno == Libc.EBADFD) {
            return "TAP '" + device + "' failed: the interface was removed from the host (" + cause + ")";
        }
        return "TAP '" + device + "' failed: " + cause;
    }
}
