package io.rqst.control;

import static io.rqst.control.ControlProtocol.*;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.netty.buffer.ByteBuf;
import io.rqst.control.ControlMessage.Accept;
import io.rqst.control.ControlMessage.Close;
import io.rqst.control.ControlMessage.Hello;
import io.rqst.control.ControlMessage.Ping;
import io.rqst.control.ControlMessage.Pong;
import io.rqst.control.ControlMessage.Reject;
import io.rqst.control.ControlMessage.Unknown;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Encodes {@link ControlMessage}s to their wire form and decodes one message body; stateless and
 * thread-safe. Use {@link ControlDecoder} to split a byte stream into messages.
 */
public final class ControlCodec {

    /** JSON nesting allowed in a body: room for future nested fields, none for a parser stress test. */
    static final int MAX_JSON_DEPTH = 16;

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_JSON_DEPTH)
                            .build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ControlCodec() {}

    /**
     * The wire form of {@code message}: length prefix, type, JSON body.
     *
     * @throws IllegalArgumentException if {@code message} is {@link Unknown} or its wire form would be
     *         longer than {@link ControlProtocol#MAX_MESSAGE_BYTES} (e.g. 64 capabilities of 1024 chars)
     */
    public static byte[] encode(ControlMessage message) {
        byte[] body = body(message);
        int length = 1 + body.length;
        byte[] out = new byte[LENGTH_PREFIX_BYTES + length];
        out[0] = (byte) (length >>> 8);
        out[1] = (byte) length;
        out[2] = (byte) message.type();
        System.arraycopy(body, 0, out, 3, body.length);
        return out;
    }

    /**
     * Appends the wire form of {@code message} to {@code out} at its writer index.
     *
     * @throws IllegalArgumentException as {@link #encode(ControlMessage)}; nothing is written then
     */
    public static void encode(ControlMessage message, ByteBuf out) {
        byte[] body = body(message);
        out.writeShort(1 + body.length).writeByte(message.type()).writeBytes(body);
    }

    private static byte[] body(ControlMessage message) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(bytes)) {
            g.writeStartObject();
            switch (message) {
                case Hello m -> {
                    g.writeNumberField("version", m.version());
                    g.writeStringField("software", m.software());
                    writeStrings(g, "capabilities", m.capabilities());
                    if (m.resume().isPresent()) {
                        g.writeStringField("resume", m.resume().get());
                    }
                }
                case Accept m -> {
                    g.writeNumberField("version", m.version());
                    g.writeStringField("session", m.session());
                    g.writeNumberField("mtu", m.mtu());
                    g.writeStringField("resume", m.resume());
                    writeStrings(g, "gateways", m.gateways());
                    g.writeNumberField("keepaliveSeconds", m.keepaliveSeconds());
                }
                case Reject m -> {
                    g.writeStringField("code", m.code());
                    g.writeStringField("reason", m.reason());
                }
                case Ping m -> {
                    g.writeNumberField("seq", m.seq());
                    writeFrames(g, m.frames());
                }
                case Pong m -> {
                    g.writeNumberField("seq", m.seq());
                    writeFrames(g, m.frames());
                }
                case Close m -> {
                    g.writeStringField("code", m.code());
                    g.writeStringField("reason", m.reason());
                }
                case Unknown m -> throw new IllegalArgumentException(
                        "cannot encode a message of unknown type " + m.type());
            }
            g.writeEndObject();
        } catch (JacksonException e) {
            throw new IllegalArgumentException(
                    typeName(message.type()) + ": cannot encode: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        if (1 + bytes.size() > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException(typeName(message.type()) + ": encoded size " + (1 + bytes.size())
                    + " bytes exceeds " + MAX_MESSAGE_BYTES);
        }
        return bytes.toByteArray();
    }

    private static void writeFrames(JsonGenerator g, Optional<ControlMessage.FrameReport> frames) throws IOException {
        if (frames.isPresent()) {
            g.writeNumberField("sent", frames.get().sent());
            g.writeNumberField("missed", frames.get().missed());
        }
    }

    private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    /**
     * Decodes one message from its type byte and body (the bytes after the type).
     *
     * @return the message; {@link Unknown} for a type this implementation does not know (its body is
     *         not looked at)
     * @throws ControlProtocolException if the body is not a JSON object, a required field is missing
     *         or of the wrong JSON type, or a value breaks its rule
     */
    public static ControlMessage decode(int type, byte[] body, int offset, int length)
            throws ControlProtocolException {
        if (type < TYPE_HELLO || type > TYPE_CLOSE) {
            return new Unknown(type);
        }
        String name = typeName(type);
        if (length == 0) {
            throw new ControlProtocolException(name + ": empty body, expected a JSON object");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body, offset, length);
        } catch (JacksonException e) {
            throw new ControlProtocolException(name + ": body is not valid JSON: " + printable(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ControlProtocolException(name + ": body is not valid JSON: " + printable(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new ControlProtocolException(name + ": body is " + kind(root) + ", expected a JSON object");
        }
        Fields f = new Fields(name, root);
        try {
            return switch (type) {
                case TYPE_HELLO -> new Hello(f.integer("version"), f.string("software"),
                        f.strings("capabilities"), f.optionalString("resume"));
                case TYPE_ACCEPT -> new Accept(f.integer("version"), f.string("session"), f.integer("mtu"),
                        f.string("resume"), f.strings("gateways"), f.integer("keepaliveSeconds"));
                case TYPE_REJECT -> new Reject(f.string("code"), f.string("reason"));
                case TYPE_PING -> new Ping(f.int64("seq"), f.frames());
                case TYPE_PONG -> new Pong(f.int64("seq"), f.frames());
                case TYPE_CLOSE -> new Close(f.string("code"), f.string("reason"));
                default -> throw new AssertionError(type);
            };
        } catch (IllegalArgumentException e) {
            throw new ControlProtocolException(e.getMessage());
        }
    }

    /** Reads typed fields of one message's JSON object; errors name {@code Message.field}. */
    private record Fields(String message, JsonNode root) {

        JsonNode required(String field) throws ControlProtocolException {
            JsonNode n = root.get(field);
            if (n == null) {
                throw new ControlProtocolException(message + "." + field + ": missing");
            }
            return n;
        }

        ControlProtocolException wrongType(String field, String expected, JsonNode n) {
            return new ControlProtocolException(message + "." + field + ": must be " + expected + ", got " + kind(n));
        }

        int integer(String field) throws ControlProtocolException {
            JsonNode n = required(field);
            if (!n.isIntegralNumber()) {
                throw wrongType(field, "an integer", n);
            }
            if (!n.canConvertToInt()) {
                throw new ControlProtocolException(message + "." + field + ": " + printable(n.asText()) + " is out of range");
            }
            return n.intValue();
        }

        long int64(String field) throws ControlProtocolException {
            JsonNode n = required(field);
            if (!n.isIntegralNumber()) {
                throw wrongType(field, "an integer", n);
            }
            if (!n.canConvertToLong()) {
                throw new ControlProtocolException(message + "." + field + ": " + printable(n.asText()) + " is out of range");
            }
            return n.longValue();
        }

        /** {@code sent} and {@code missed}, both or neither (a peer that does not count frames). */
        Optional<ControlMessage.FrameReport> frames() throws ControlProtocolException {
            if (root.get("sent") == null && root.get("missed") == null) {
                return Optional.empty();
            }
            long sent = int64("sent");
            long missed = int64("missed");
            Check.atLeast(message + ".sent", sent, 0);
            Check.atLeast(message + ".missed", missed, 0);
            return Optional.of(new ControlMessage.FrameReport(sent, missed));
        }

        String string(String field) throws ControlProtocolException {
            JsonNode n = required(field);
            if (!n.isTextual()) {
                throw wrongType(field, "a string", n);
            }
            return n.textValue();
        }

        Optional<String> optionalString(String field) throws ControlProtocolException {
            JsonNode n = root.get(field);
            return n == null || n.isNull() ? Optional.empty() : Optional.of(string(field));
        }

        List<String> strings(String field) throws ControlProtocolException {
            JsonNode n = required(field);
            if (!n.isArray()) {
                throw wrongType(field, "an array of strings", n);
            }
            if (n.size() > MAX_LIST_ENTRIES) {
                throw new ControlProtocolException(
                        message + "." + field + ": " + n.size() + " entries, more than " + MAX_LIST_ENTRIES);
            }
            List<String> out = new ArrayList<>(n.size());
            for (int i = 0; i < n.size(); i++) {
                JsonNode e = n.get(i);
                if (!e.isTextual()) {
                    throw wrongType(field + "[" + i + "]", "a string", e);
                }
                out.add(e.textValue());
            }
            return out;
        }
    }

    private static String kind(JsonNode n) {
        return n == null || n.isMissingNode() ? "nothing" : n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Jackson's message made safe for one log line: printable ASCII, at most 200 chars. */
    private static String printable(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c <= 0x7e ? c : c == '\n' || c == '\r' ? ' ' : '?');
        }
        return b.toString();
    }
}
