package io.rqst.control;

/**
 * A control message that breaks the protocol, or a peer this implementation cannot talk to.
 *
 * <p>The message is one line naming the message type and field (e.g.
 * {@code Accept.mtu: 100 is out of range 576..65535}); {@link #code()} is the code to send in the
 * {@link ControlMessage.Reject} or {@link ControlMessage.Close} that ends the conversation. It carries no
 * stack trace: a peer can make us throw it at will, and the message says all there is to say.
 */
public final class ControlProtocolException extends Exception {

    private final String code;

    /** An error with code {@link ControlProtocol#CODE_PROTOCOL}. */
    public ControlProtocolException(String message) {
        this(ControlProtocol.CODE_PROTOCOL, message);
    }

    /** An error with the given code (one of the {@code ControlProtocol.CODE_*} tokens). */
    public ControlProtocolException(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    /** The code to tell the peer: {@link ControlProtocol#CODE_PROTOCOL} or {@link ControlProtocol#CODE_VERSION}. */
    public String code() {
        return code;
    }
}
