package io.rqst.tap;

import java.io.IOException;

/** Creates TAP devices; {@code LinuxTap::open} in production, an in-memory fake in tests. */
@FunctionalInterface
public interface TapFactory {
    /**
     * Creates the device {@code name} with the given MTU, up and ready.
     *
     * @throws IOException with a one-line message naming the device and the cause
     */
    TapDevice open(String name, int mtu) throws IOException;
}
