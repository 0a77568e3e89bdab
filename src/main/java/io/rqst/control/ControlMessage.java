package io.rqst.control;

import static io.rqst.control.ControlProtocol.*;

import java.util.List;
import java.util.Optional;

/**
 * One message of the control protocol (see {@link ControlProtocol} for the wire format).
 *
 * <p>Every record checks its fields when constructed, with the same rules the decoder applies to
 * what a peer sends, so a message that can be built can be sent and will be accepted: strings at most
 * {@value ControlProtocol#MAX_STRING_CHARS} chars, lists at most
 * {@value ControlProtocol#MAX_LIST_ENTRIES} entries, codes lowercase tokens, numbers in their ranges.
 * A violation throws {@link IllegalArgumentException} naming the message and field; the decoder turns
 * it into a {@link ControlProtocolException}.
 */
public sealed interface ControlMessage {

    /** The message's type number, {@code ControlProtocol.TYPE_*} (or the unknown type received). */
    int type();

    /**
     * Client → server, the first message on the control stream.
     *
     * @param version      the highest protocol version the client speaks, at least 1
     * @param software     the client's name and version, for logs, e.g. {@code rqst/0.1.0}
     * @param capabilities optional features the client supports (free-form non-empty strings)
     * @param resume       the resume token of an earlier {@link Accept}, to replace that session
     */
    record Hello(int version, String software, List<String> capabilities, Optional<String> resume)
            implements ControlMessage {
        public Hello {
            Check.atLeast("Hello.version", version, 1);
            Check.string("Hello.software", software);
            capabilities = Check.strings("Hello.capabilities", capabilities);
            Check.notNull("Hello.resume", resume);
            resume.ifPresent(r -> Check.nonEmpty("Hello.resume", r));
        }

        @Override
        public int type() {
            return TYPE_HELLO;
        }
    }

    /**
     * Server → client: the session is open.
     *
     * @param version          the negotiated protocol version ({@link ControlProtocol#negotiate})
     * @param session          a short id of the session, for logs on both sides
     * @param mtu              the MTU of the virtual network, {@value ControlProtocol#MIN_MTU}..{@value ControlProtocol#MAX_MTU}
     * @param resume           a secret token; a later {@link Hello} presenting it replaces this session
     * @param gateways         IPv4/IPv6 literals the client may route through (no {@code %scope}, no brackets)
     * @param keepaliveSeconds how often to ping when idle, {@value ControlProtocol#MIN_KEEPALIVE_SECONDS}..{@value ControlProtocol#MAX_KEEPALIVE_SECONDS}
     */
    record Accept(int version, String session, int mtu, String resume, List<String> gateways, int keepaliveSeconds)
            implements ControlMessage {
        public Accept {
            Check.atLeast("Accept.version", version, 1);
            Check.nonEmpty("Accept.session", session);
            Check.range("Accept.mtu", mtu, MIN_MTU, MAX_MTU);
            Check.nonEmpty("Accept.resume", resume);
            gateways = Check.ipLiterals("Accept.gateways", gateways);
            Check.range("Accept.keepaliveSeconds", keepaliveSeconds, MIN_KEEPALIVE_SECONDS, MAX_KEEPALIVE_SECONDS);
        }

        @Override
        public int type() {
            return TYPE_ACCEPT;
        }
    }

    /**
     * Server → client: the session is refused; the server closes the connection next.
     *
     * @param code   why, a {@code ControlProtocol.CODE_*} token
     * @param reason a sentence for the user
     */
    record Reject(String code, String reason) implements ControlMessage {
        public Reject {
            Check.code("Reject.code", code);
            Check.string("Reject.reason", reason);
        }

        @Override
        public int type() {
            return TYPE_REJECT;
        }
    }

    /**
     * Either direction: asks the peer for a {@link Pong} with the same {@code seq} (keepalive, RTT).
     *
     * @param seq    echoed in the answer
     * @param frames the sender's frame counts, so each end sees frames lost inside the tunnel; absent from
     *               peers that do not count (rqst before 0.2)
     */
    record Ping(long seq, Optional<FrameReport> frames) implements ControlMessage {
        public Ping {
            Check.notNull("Ping.frames", frames);
        }

        /** A ping without frame counts. */
        public Ping(long seq) {
            this(seq, Optional.empty());
        }

        @Override
        public int type() {
            return TYPE_PING;
        }
    }

    /**
     * Either direction: the answer to the {@link Ping} with the same {@code seq}.
     *
     * @param seq    the ping's
     * @param frames as in {@link Ping}
     */
    record Pong(long seq, Optional<FrameReport> frames) implements ControlMessage {
        public Pong {
            Check.notNull("Pong.frames", frames);
        }

        /** A pong without frame counts. */
        public Pong(long seq) {
            this(seq, Optional.empty());
        }

        @Override
        public int type() {
            return TYPE_PONG;
        }
    }

    /**
     * Frame counts one end tells the other in its {@link Ping}s and {@link Pong}s (the fields {@code sent}
     * and {@code missed} of their JSON bodies, both or neither).
     *
     * @param sent   DATAGRAM frames the sender has handed to QUIC on this connection before this message
     * @param missed of the frames the receiver of this message said it had sent in its latest report, how
     *               many the sender of this message had not received when it read that report: frames lost
     *               on the way, or still on the way then (at most a few hundred under full load, as a
     *               stream frame can overtake queued DATAGRAMs). Cumulative; 0 before any report
     */
    record FrameReport(long sent, long missed) {
        public FrameReport {
            Check.atLeast("FrameReport.sent", sent, 0);
            Check.atLeast("FrameReport.missed", missed, 0);
        }
    }

    /**
     * Either direction: the sender is about to close the connection.
     *
     * @param code   why, a {@code ControlProtocol.CODE_*} token
     * @param reason a sentence for the user
     */
    record Close(String code, String reason) implements ControlMessage {
        public Close {
            Check.code("Close.code", code);
            Check.string("Close.reason", reason);
        }

        @Override
        public int type() {
            return TYPE_CLOSE;
        }
    }

    /**
     * A message of a type this implementation does not know (from a newer peer). The decoder returns
     * it without looking at its body; the receiver ignores it. It cannot be encoded.
     *
     * @param type the type byte, 0..255
     */
    record Unknown(int type) implements ControlMessage {
        public Unknown {
            Check.range("Unknown.type", type, 0, 255);
        }
    }
}
