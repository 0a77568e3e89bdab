package io.rqst.control;

import static io.rqst.control.ControlProtocol.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits the bytes of one control stream into {@link ControlMessage}s, however the stream was cut
 * into chunks: a message may span several chunks, a chunk may hold several messages.
 *
 * <p>A length prefix of 0 or over {@link ControlProtocol#MAX_MESSAGE_BYTES} fails as soon as its two
 * bytes arrive. After any {@link ControlProtocolException} the decoder is failed for good: every
 * later call throws the same exception, and messages that came before the error in the same chunk
 * are not returned (the conversation is over; the caller sends {@code Close} with the exception's
 * {@linkplain ControlProtocolException#code() code} and closes). Not thread-safe: one decoder per
 * stream, fed from the stream's event loop.
 */
public final class ControlDecoder {

    private int prefixBytes;      // 0..2 bytes of the length prefix seen for the current message
    private int length;           // the current message's length (type + body), once prefixBytes == 2
    private byte[] message;       // the current message when it spans chunks, else null
    private int filled;           // bytes of message received
    private ControlProtocolException failure;

    /**
     * Consumes all readable bytes of {@code chunk} (its reader index moves to its writer index; it is
     * not released) and returns the messages completed by them, in order.
     *
     * @return the completed messages, often none (an immutable empty list then)
     * @throws ControlProtocolException if the stream breaks the protocol, now or earlier
     */
    public List<ControlMessage> feed(ByteBuf chunk) throws ControlProtocolException {
        int readable = chunk.readableBytes();
        if (chunk.hasArray()) {
            int offset = chunk.arrayOffset() + chunk.readerIndex();
            chunk.skipBytes(readable);
            return feed(chunk.array(), offset, readable);
        }
        byte[] copy = ByteBufUtil.getBytes(chunk);
        chunk.skipBytes(readable);
        return feed(copy, 0, copy.length);
    }

    /** As {@link #feed(ByteBuf)}, for the whole array. */
    public List<ControlMessage> feed(byte[] chunk) throws ControlProtocolException {
        return feed(chunk, 0, chunk.length);
    }

    /** As {@link #feed(ByteBuf)}, for {@code chunk[offset, offset + count)}; the array is not kept. */
    public List<ControlMessage> feed(byte[] chunk, int offset, int count) throws ControlProtocolException {
        if (failure != null) {
            throw failure;
        }
        java.util.Objects.checkFromIndexSize(offset, count, chunk.length);
        List<ControlMessage> out = List.of();
        int i = offset;
        int end = offset + count;
        try {
            while (i < end) {
                if (prefixBytes < LENGTH_PREFIX_BYTES) {
                    length = (length << 8) | (chunk[i++] & 0xff);
                    if (++prefixBytes == LENGTH_PREFIX_BYTES) {
                        checkLength(length);
                    }
                    continue;
                }
                ControlMessage m;
                if (message == null && end - i >= length) {
                    // the whole message is in this chunk: decode in place
                    m = ControlCodec.decode(chunk[i] & 0xff, chunk, i + 1, length - 1);
                    i += length;
                } else {
                    if (message == null) {
                        message = new byte[length];
                        filled = 0;
                    }
                    int n = Math.min(end - i, length - filled);
                    System.arraycopy(chunk, i, message, filled, n);
                    filled += n;
                    i += n;
                    if (filled < length) {
                        break;
                    }
                    m = ControlCodec.decode(message[0] & 0xff, message, 1, length - 1);
                    message = null;
                }
                prefixBytes = 0;
                length = 0;
                filled = 0;
                if (out.isEmpty()) {
                    out = new ArrayList<>(2);
                }
                out.add(m);
            }
        } catch (ControlProtocolException e) {
            failure = e;
            message = null;
            throw e;
        }
        return out;
    }

    /**
     * Tells the decoder the stream ended (the peer's FIN).
     *
     * @throws ControlProtocolException if the stream ended inside a message, or failed earlier
     */
    public void endOfStream() throws ControlProtocolException {
        if (failure != null) {
            throw failure;
        }
        if (prefixBytes != 0) {
            int have = prefixBytes < LENGTH_PREFIX_BYTES ? prefixBytes : LENGTH_PREFIX_BYTES + filled;
            failure = new ControlProtocolException("control stream ended inside a message (" + have + " of "
                    + (prefixBytes < LENGTH_PREFIX_BYTES ? "at least " + LENGTH_PREFIX_BYTES : LENGTH_PREFIX_BYTES + length)
                    + " bytes)");
            message = null;
            throw failure;
        }
    }

    /** Whether the decoder has failed (every later call throws). */
    public boolean failed() {
        return failure != null;
    }

    private static void checkLength(int length) throws ControlProtocolException {
        if (length < 1) {
            throw new ControlProtocolException("control message length 0: must be at least 1 (the type byte)");
        }
        if (length > MAX_MESSAGE_BYTES) {
            throw new ControlProtocolException(
                    "control message length " + length + " exceeds the limit of " + MAX_MESSAGE_BYTES + " bytes");
        }
    }
}
