package io.rqst.tap;

import java.io.IOException;
import java.util.List;
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

    /**
     * Creates the device with up to {@code queues} queues, each a {@link TapDevice} of its own for one thread (see
     * {@link LinuxTap#openQueues}); the first carries the name, MTU and MAC. This default, for factories without
     * queues, opens one.
     *
     * @param queues how many are wanted, at least 1
     * @return 1 to {@code queues} devices; the caller closes each
     */
    default List<? extends TapDevice> openQueues(String name, int mtu, OptionalLong mac, int queues) throws IOException {
        return List.of(open(name, mtu, mac));
    }
}
