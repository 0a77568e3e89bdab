package io.rqst.control;

/**
 * Constants of rqst's control protocol, version {@value #VERSION}.
 *
 * <p>The control protocol runs on the one bidirectional QUIC stream the client opens. Each message is
 * <pre>
 *   u16 length   big-endian, the number of bytes that follow it: 1..{@value #MAX_MESSAGE_BYTES}
 *   u8  type     {@link #TYPE_HELLO} ... {@link #TYPE_CLOSE}; other values are skipped by the receiver
 *   ...body      one UTF-8 JSON object; unknown fields are ignored
 * </pre>
 * The client's first message is {@link ControlMessage.Hello}; the server answers {@link ControlMessage.Accept}
 * or {@link ControlMessage.Reject}. {@link ControlMessage.Ping}/{@link ControlMessage.Pong} flow either way;
 * {@link ControlMessage.Close} announces that the sender is about to close the connection.
 *
 * <p>A Ping or Pong may carry the sender's {@link ControlMessage.FrameReport}: the frames it has sent
 * as DATAGRAMs, and how many of those its peer reported sent it had not received. So each end learns
 * the frames lost inside the tunnel both ways, those dropped by a sender's full DATAGRAM queue included,
 * which QUIC's own loss count does not see. Peers that do not count leave the fields out.
 */
public final class ControlProtocol {

    /** The highest protocol version this implementation speaks. */
    public static final int VERSION = 1;
    /** The lowest client version a server of this implementation accepts. */
    public static final int MIN_VERSION = 1;

    /** Bytes of the length prefix. */
    public static final int LENGTH_PREFIX_BYTES = 2;
    /** Largest value of the length prefix: type byte plus body. */
    public static final int MAX_MESSAGE_BYTES = 16384;
    /** Longest string field, in UTF-16 chars. */
    public static final int MAX_STRING_CHARS = 1024;
    /** Most entries in a list field. */
    public static final int MAX_LIST_ENTRIES = 64;
    /** Longest {@code code} token ({@code [a-z0-9][a-z0-9._-]*}). */
    public static final int MAX_CODE_CHARS = 64;

    /** Smallest MTU a server may announce (RFC 791's minimum datagram every host must accept). */
    public static final int MIN_MTU = 576;
    /** Largest MTU a server may announce. */
    public static final int MAX_MTU = 65535;
    /** Smallest keepalive interval a server may announce, in seconds. */
    public static final int MIN_KEEPALIVE_SECONDS = 1;
    /** Largest keepalive interval a server may announce, in seconds. */
    public static final int MAX_KEEPALIVE_SECONDS = 3600;

    /** Type of {@link ControlMessage.Hello}. */
    public static final int TYPE_HELLO = 1;
    /** Type of {@link ControlMessage.Accept}. */
    public static final int TYPE_ACCEPT = 2;
    /** Type of {@link ControlMessage.Reject}. */
    public static final int TYPE_REJECT = 3;
    /** Type of {@link ControlMessage.Ping}. */
    public static final int TYPE_PING = 4;
    /** Type of {@link ControlMessage.Pong}. */
    public static final int TYPE_PONG = 5;
    /** Type of {@link ControlMessage.Close}. */
    public static final int TYPE_CLOSE = 6;

    /** Code: the peer's protocol version is not supported. */
    public static final String CODE_VERSION = "version";
    /** Code: the peer sent a malformed or unexpected message. */
    public static final String CODE_PROTOCOL = "protocol";
    /** Code: the server is shutting down. */
    public static final String CODE_SHUTDOWN = "shutdown";
    /** Code: a newer connection presented this session's resume token and replaced it. */
    public static final String CODE_REPLACED = "replaced";
    /** Code: the server's policy refuses this client (identity, limits). */
    public static final String CODE_POLICY = "policy";
    /** Code: the peer did not answer keepalives in time. */
    public static final String CODE_TIMEOUT = "timeout";
    /** Code: the user or operator ended the session; nothing went wrong. */
    public static final String CODE_NORMAL = "normal";
    /** Code: the sender hit an internal error. */
    public static final String CODE_INTERNAL = "internal";

    private ControlProtocol() {}

    /**
     * The version a server of this implementation speaks with a client whose {@code Hello} announced
     * {@code clientVersion}: the lower of the two.
     *
     * @throws ControlProtocolException with code {@link #CODE_VERSION} if the client is older than
     *         {@link #MIN_VERSION}
     */
    public static int negotiate(int clientVersion) throws ControlProtocolException {
        if (clientVersion < MIN_VERSION) {
            throw new ControlProtocolException(CODE_VERSION, "client speaks control protocol version "
                    + clientVersion + ", this server needs " + MIN_VERSION + ".." + VERSION);
        }
        return Math.min(clientVersion, VERSION);
    }

    /** Name of a message type for messages: {@code Hello}, ..., or {@code type 42}. */
    static String typeName(int type) {
        return switch (type) {
            case TYPE_HELLO -> "Hello";
            case TYPE_ACCEPT -> "Accept";
            case TYPE_REJECT -> "Reject";
            case TYPE_PING -> "Ping";
            case TYPE_PONG -> "Pong";
            case TYPE_CLOSE -> "Close";
            default -> "type " + type;
        };
    }
}
