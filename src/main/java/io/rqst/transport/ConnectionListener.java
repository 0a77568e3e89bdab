package io.rqst.transport;

import io.netty.buffer.ByteBuf;
import io.rqst.control.ControlMessage;

/** What a {@link Connection} reports; every call runs on the connection's executor. */
public interface ConnectionListener {

    /** The connection is established and authenticated; it may send now. */
    default void onOpen(Connection connection) {}

    /** One received DATAGRAM; the callee owns {@code frame} and must release it. */
    void onDatagram(ByteBuf frame);

    /**
     * The end of a batch of {@link #onDatagram} calls (one receive burst from the network): the time
     * to write out what was held to be combined.
     */
    default void onReadComplete() {}

    /** One control message from the peer. */
    void onControl(ControlMessage message);

    /** The peer broke the control protocol; the connection should be closed. */
    void onControlError(String problem);

    /** The peer's DATAGRAM size limit became known or changed. */
    default void onMaxDatagramSize(int bytes) {}

    /** The connection is gone; called exactly once, last. */
    void onClosed(CloseInfo why);
}
