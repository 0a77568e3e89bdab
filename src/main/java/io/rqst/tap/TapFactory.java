package io.rqst.tap;

import java.io.IOException;
import java.util.OptionalLong;

/** Creates TAP devices; {@code LinuxTap::open} in production, an in-memory fake in tests. */
@FunctionalInterface
public interface TapFactory {
    /**
     * Creates the device {@code name} with the given MTU and MAC, up and ready.
     *
     * @param mac the device's MAC address, or empty for a random one
     * @throws IOException with a one-line message naming the device and the cause
     */
    TapDevice open(String name, int mtu, OptionalLong mac) throws IOException;
}
