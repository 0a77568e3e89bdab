package io.rqst.control;

import static io.rqst.control.ControlProtocol.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.rqst.control.ControlMessage.Accept;
import io.rqst.control.ControlMessage.Close;
import io.rqst.control.ControlMessage.Hello;
import io.rqst.control.ControlMessage.FrameReport;
import io.rqst.control.ControlMessage.Ping;
import io.rqst.control.ControlMessage.Pong;
import io.rqst.control.ControlMessage.Reject;
import io.rqst.control.ControlMessage.Unknown;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ControlCodecTest {

    /** One of each message, with non-ASCII text, both optional states of Hello.resume, v4 and v6 gateways. */
    static final List<ControlMessage> SAMPLES = List.of(
            new Hello(1, "rqst/0.1.0", List.of("ipv6", "resume"), Optional.empty()),
            new Hello(7, "rqst/9 \"quoted\" \u00e9\u4e2d\ud83d\ude00", List.of(), Optional.of("r3sum3-t0k3n")),
            new Accept(1, "s-1f2e", 1400, "secret-token", List.of("10.8.0.1", "fd00::1", "fe80::1", "::ffff:192.0.2.1"), 25),
            new Accept(1, "s", MIN_MTU, "t", List.of(), MIN_KEEPALIVE_SECONDS),
            new Accept(1, "s", MAX_MTU, "t", List.of("0.0.0.0"), MAX_KEEPALIVE_SECONDS),
            new Reject(CODE_VERSION, "client speaks version 0, server needs 1..1"),
            new Ping(0),
            new Ping(Long.MAX_VALUE),
            new Pong(Long.MIN_VALUE),
            new Pong(42),
            new Ping(3, Optional.of(new FrameReport(123_456_789_012L, 0))),
            new Pong(3, Optional.of(new FrameReport(0, 0))),
            new Pong(4, Optional.of(new FrameReport(Long.MAX_VALUE, 17))),
            new Close(CODE_SHUTDOWN, "server is restarting"),
            new Close("x.y_z-2", ""));

    /** The wire form of a message with a hand-written body. */
    static byte[] wire(int type, String json) {
        return wire(type, json.getBytes(UTF_8));
    }

    static byte[] wire(int type, byte[] body) {
        int length = 1 + body.length;
        byte[] out = new byte[2 + length];
        out[0] = (byte) (length >>> 8);
        out[1] = (byte) length;
        out[2] = (byte) type;
        System.arraycopy(body, 0, out, 3, body.length);
        return out;
    }

    static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        parts.forEach(b::writeBytes);
        return b.toByteArray();
    }

    static byte[] allSamples() {
        return concat(SAMPLES.stream().map(ControlCodec::encode).toList());
    }

    static ControlMessage decodeOne(byte[] wire) throws ControlProtocolException {
        List<ControlMessage> out = new ControlDecoder().feed(wire);
        assertEquals(1, out.size(), () -> "messages in " + out);
        return out.getFirst();
    }

    static ControlProtocolException decodeFails(byte[] wire) {
        return assertThrows(ControlProtocolException.class, () -> new ControlDecoder().feed(wire));
    }

    static ControlProtocolException decodeFails(int type, String json) {
        return decodeFails(wire(type, json));
    }

    // --- round trips and framing ---

    @Test
    void everyMessageRoundTrips() throws Exception {
        for (ControlMessage m : SAMPLES) {
            assertEquals(m, decodeOne(ControlCodec.encode(m)), m::toString);
        }
    }

    @Test
    void wireFormatIsLengthTypeJson() {
        assertArrayEquals(wire(TYPE_PING, "{\"seq\":7}"), ControlCodec.encode(new Ping(7)));
        assertArrayEquals(wire(TYPE_CLOSE, "{\"code\":\"normal\",\"reason\":\"bye\"}"),
                ControlCodec.encode(new Close(CODE_NORMAL, "bye")));
        assertArrayEquals(wire(TYPE_HELLO, "{\"version\":1,\"software\":\"s\",\"capabilities\":[\"a\"]}"),
                ControlCodec.encode(new Hello(1, "s", List.of("a"), Optional.empty())));
    }

    @Test
    void encodeIntoByteBufAppendsTheSameBytes() {
        ByteBuf out = Unpooled.buffer();
        out.writeByte(0x55);
        for (ControlMessage m : SAMPLES) {
            ControlCodec.encode(m, out);
        }
        assertEquals(0x55, out.readByte());
        byte[] written = new byte[out.readableBytes()];
        out.readBytes(written);
        assertArrayEquals(allSamples(), written);
    }

    @Test
    void messagesSplitAtEveryByteBoundaryDecode() throws Exception {
        byte[] all = allSamples();
        for (int cut = 0; cut <= all.length; cut++) {
            ControlDecoder d = new ControlDecoder();
            List<ControlMessage> got = new ArrayList<>(d.feed(all, 0, cut));
            got.addAll(d.feed(all, cut, all.length - cut));
            assertEquals(SAMPLES, got, "cut at " + cut);
            d.endOfStream();
        }
    }

    @Test
    void messagesFedOneByteAtATimeDecode() throws Exception {
        byte[] all = allSamples();
        ControlDecoder d = new ControlDecoder();
        List<ControlMessage> got = new ArrayList<>();
        for (int i = 0; i < all.length; i++) {
            List<ControlMessage> out = d.feed(all, i, 1);
            assertTrue(out.size() <= 1);
            got.addAll(out);
        }
        assertEquals(SAMPLES, got);
    }

    @Test
    void messagesInRandomChunksDecode() throws Exception {
        byte[] all = allSamples();
        Random random = new Random(1);
        for (int round = 0; round < 200; round++) {
            ControlDecoder d = new ControlDecoder();
            List<ControlMessage> got = new ArrayList<>();
            for (int i = 0; i < all.length; ) {
                int n = Math.min(all.length - i, random.nextInt(1, 300));
                got.addAll(d.feed(all, i, n));
                i += n;
            }
            assertEquals(SAMPLES, got);
        }
    }

    @Test
    void severalMessagesInOneChunkDecodeInOrder() throws Exception {
        assertEquals(SAMPLES, new ControlDecoder().feed(allSamples()));
    }

    @Test
    void byteBufFeedConsumesReadableBytesOfHeapAndDirectBuffers() throws Exception {
        byte[] all = allSamples();
        for (ByteBuf buf : List.of(Unpooled.buffer(), Unpooled.directBuffer())) {
            buf.writeBytes(new byte[] {9, 9, 9}).writeBytes(all);
            buf.readerIndex(3);
            int writerIndex = buf.writerIndex();
            assertEquals(SAMPLES, new ControlDecoder().feed(buf));
            assertEquals(writerIndex, buf.readerIndex());
            assertEquals(writerIndex, buf.writerIndex());
            assertEquals(1, buf.refCnt());
            buf.release();
        }
    }

    @Test
    void feedWithoutACompleteMessageReturnsNothing() throws Exception {
        byte[] ping = ControlCodec.encode(new Ping(1));
        ControlDecoder d = new ControlDecoder();
        assertEquals(List.of(), d.feed(ping, 0, ping.length - 1));
        assertEquals(List.of(), d.feed(new byte[0]));
        assertEquals(List.of(new Ping(1)), d.feed(ping, ping.length - 1, 1));
    }

    @Test
    void largestMessageIsAccepted() throws Exception {
        StringBuilder json = new StringBuilder("{\"seq\":3");
        while (json.length() < MAX_MESSAGE_BYTES - 2) {
            json.append(' ');
        }
        json.append('}');
        byte[] w = wire(TYPE_PING, json.toString());
        assertEquals(MAX_MESSAGE_BYTES, ((w[0] & 0xff) << 8) | (w[1] & 0xff));
        assertEquals(new Ping(3), decodeOne(w));
    }

    // --- malformed input ---

    @Test
    void zeroLengthFailsAtOnce() {
        ControlProtocolException e = assertThrows(ControlProtocolException.class,
                () -> new ControlDecoder().feed(new byte[] {0, 0}));
        assertEquals("control message length 0: must be at least 1 (the type byte)", e.getMessage());
        assertEquals(CODE_PROTOCOL, e.code());
    }

    @Test
    void oversizeLengthFailsBeforeTheBodyArrives() {
        ControlDecoder d = new ControlDecoder();
        ControlProtocolException e = assertThrows(ControlProtocolException.class,
                () -> d.feed(new byte[] {(byte) 0x40, 0x01})); // 16385, no body yet
        assertEquals("control message length 16385 exceeds the limit of 16384 bytes", e.getMessage());
        assertThrows(ControlProtocolException.class, () -> new ControlDecoder().feed(new byte[] {(byte) 0xff, (byte) 0xff}));
    }

    @Test
    void decoderStaysFailedAfterAnError() throws Exception {
        ControlDecoder d = new ControlDecoder();
        assertEquals(List.of(new Ping(1)), d.feed(ControlCodec.encode(new Ping(1))));
        ControlProtocolException first = assertThrows(ControlProtocolException.class, () -> d.feed(new byte[] {0, 0}));
        assertTrue(d.failed());
        ControlProtocolException again = assertThrows(ControlProtocolException.class,
                () -> d.feed(ControlCodec.encode(new Ping(2))));
        assertSame(first, again);
        assertThrows(ControlProtocolException.class, () -> d.feed(Unpooled.wrappedBuffer(ControlCodec.encode(new Ping(3)))));
        assertSame(first, assertThrows(ControlProtocolException.class, d::endOfStream));
    }

    @Test
    void errorInAChunkDiscardsTheWholeChunk() {
        ControlDecoder d = new ControlDecoder();
        byte[] chunk = concat(List.of(ControlCodec.encode(new Ping(1)), wire(TYPE_PING, "{}")));
        assertThrows(ControlProtocolException.class, () -> d.feed(chunk));
        assertTrue(d.failed());
    }

    @Test
    void streamEndingInsideAMessageFails() throws Exception {
        byte[] ping = ControlCodec.encode(new Ping(1));
        ControlDecoder atBoundary = new ControlDecoder();
        atBoundary.feed(ping);
        atBoundary.endOfStream();

        ControlDecoder inPrefix = new ControlDecoder();
        inPrefix.feed(ping, 0, 1);
        assertEquals("control stream ended inside a message (1 of at least 2 bytes)",
                assertThrows(ControlProtocolException.class, inPrefix::endOfStream).getMessage());

        ControlDecoder inBody = new ControlDecoder();
        inBody.feed(ping, 0, 5);
        assertEquals("control stream ended inside a message (5 of " + ping.length + " bytes)",
                assertThrows(ControlProtocolException.class, inBody::endOfStream).getMessage());

        ControlDecoder afterPrefix = new ControlDecoder();
        afterPrefix.feed(ping, 0, 2);
        assertThrows(ControlProtocolException.class, afterPrefix::endOfStream);
    }

    @Test
    void frameCountsAreTwoOptionalFieldsOfPingAndPong() throws Exception {
        assertArrayEquals(wire(TYPE_PING, "{\"seq\":7,\"sent\":1000,\"missed\":3}"),
                ControlCodec.encode(new Ping(7, Optional.of(new FrameReport(1000, 3)))));
        assertArrayEquals(wire(TYPE_PONG, "{\"seq\":7,\"sent\":5,\"missed\":0}"),
                ControlCodec.encode(new Pong(7, Optional.of(new FrameReport(5, 0)))));
        // a peer that does not count (rqst 0.1) sends neither; one that counts more may add fields
        assertEquals(new Ping(7), decodeOne(wire(TYPE_PING, "{\"seq\":7}")));
        assertEquals(new Pong(8, Optional.of(new FrameReport(2, 1))),
                decodeOne(wire(TYPE_PONG, "{\"seq\":8,\"missed\":1,\"sent\":2,\"bytes\":99}")));
    }

    @Test
    void frameCountsHalfGivenNegativeOrNotIntegersFail() {
        assertEquals("Ping.missed: missing", decodeFails(TYPE_PING, "{\"seq\":1,\"sent\":5}").getMessage());
        assertEquals("Pong.sent: missing", decodeFails(TYPE_PONG, "{\"seq\":1,\"missed\":0}").getMessage());
        assertEquals("Ping.sent: -1 is below 0", decodeFails(TYPE_PING, "{\"seq\":1,\"sent\":-1,\"missed\":0}").getMessage());
        assertEquals("Pong.missed: -2 is below 0", decodeFails(TYPE_PONG, "{\"seq\":1,\"sent\":1,\"missed\":-2}").getMessage());
        assertEquals("Ping.sent: must be an integer, got string",
                decodeFails(TYPE_PING, "{\"seq\":1,\"sent\":\"5\",\"missed\":0}").getMessage());
        assertEquals("Ping.missed: 18446744073709551616 is out of range",
                decodeFails(TYPE_PING, "{\"seq\":1,\"sent\":1,\"missed\":18446744073709551616}").getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FrameReport(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Ping(1, null));
    }

    @Test
    void emptyBodyOfAKnownTypeFails() {
        assertEquals("Ping: empty body, expected a JSON object", decodeFails(wire(TYPE_PING, "")).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"seq\":", "{\"seq\":1", "{\"seq\" 1}", "{seq:1}", "{'seq':1}", "{\"seq\":1,}",
            "{\"seq\":1} {}", "{\"seq\":1} x", "nul", "{\"seq\":1,\"seq\":2}", "{\"seq\":01}", "{\"seq\":NaN}"})
    void truncatedOrInvalidJsonFails(String json) {
        ControlProtocolException e = decodeFails(TYPE_PING, json);
        assertTrue(e.getMessage().startsWith("Ping: body is not valid JSON: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void invalidUtf8Fails() {
        byte[] body = "{\"code\":\"x\",\"reason\":\"\u00ff\u00ff\"}".getBytes(UTF_8);
        body[body.length - 3] = (byte) 0xc3; // c3 c3: a lead byte followed by a lead byte
        body[body.length - 4] = (byte) 0xc3;
        assertTrue(decodeFails(wire(TYPE_CLOSE, body)).getMessage().startsWith("Close: body is not valid JSON"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1]", "\"seq\"", "42", "null", "true"})
    void bodyThatIsNotAnObjectFails(String json) {
        ControlProtocolException e = decodeFails(TYPE_PING, json);
        assertTrue(e.getMessage().matches("Ping: body is (array|string|number|null|boolean), expected a JSON object"),
                e.getMessage());
    }

    @Test
    void wrongFieldTypesFailNamingMessageAndField() {
        assertEquals("Hello.version: must be an integer, got string",
                decodeFails(TYPE_HELLO, "{\"version\":\"1\",\"software\":\"s\",\"capabilities\":[]}").getMessage());
        assertEquals("Hello.capabilities: must be an array of strings, got string",
                decodeFails(TYPE_HELLO, "{\"version\":1,\"software\":\"s\",\"capabilities\":\"a\"}").getMessage());
        assertEquals("Hello.capabilities[1]: must be a string, got number",
                decodeFails(TYPE_HELLO, "{\"version\":1,\"software\":\"s\",\"capabilities\":[\"a\",1]}").getMessage());
        assertEquals("Hello.resume: must be a string, got object",
                decodeFails(TYPE_HELLO, "{\"version\":1,\"software\":\"s\",\"capabilities\":[],\"resume\":{}}").getMessage());
        assertEquals("Accept.mtu: must be an integer, got number",
                decodeFails(TYPE_ACCEPT, accept("\"mtu\":1400.5")).getMessage());
        assertEquals("Accept.session: must be a string, got null",
                decodeFails(TYPE_ACCEPT, accept("\"session\":null")).getMessage());
        assertEquals("Ping.seq: must be an integer, got boolean", decodeFails(TYPE_PING, "{\"seq\":true}").getMessage());
        assertEquals("Reject.reason: must be a string, got array",
                decodeFails(TYPE_REJECT, "{\"code\":\"policy\",\"reason\":[]}").getMessage());
    }

    @Test
    void missingFieldsFail() {
        assertEquals("Hello.software: missing", decodeFails(TYPE_HELLO, "{\"version\":1,\"capabilities\":[]}").getMessage());
        assertEquals("Hello.capabilities: missing", decodeFails(TYPE_HELLO, "{\"version\":1,\"software\":\"s\"}").getMessage());
        assertEquals("Accept.keepaliveSeconds: missing", decodeFails(TYPE_ACCEPT,
                "{\"version\":1,\"session\":\"s\",\"mtu\":1400,\"resume\":\"r\",\"gateways\":[]}").getMessage());
        assertEquals("Pong.seq: missing", decodeFails(TYPE_PONG, "{}").getMessage());
        assertEquals("Close.reason: missing", decodeFails(TYPE_CLOSE, "{\"code\":\"normal\"}").getMessage());
    }

    /** A valid Accept body with {@code override} replacing (or adding) one field. */
    static String accept(String override) {
        String name = override.substring(0, override.indexOf(':'));
        List<String> fields = new ArrayList<>(List.of("\"version\":1", "\"session\":\"s1\"", "\"mtu\":1400",
                "\"resume\":\"tok\"", "\"gateways\":[\"10.8.0.1\"]", "\"keepaliveSeconds\":25"));
        fields.removeIf(f -> f.startsWith(name + ":"));
        fields.add(override);
        return "{" + String.join(",", fields) + "}";
    }

    @Test
    void outOfRangeValuesFail() {
        assertEquals("Accept.mtu: 575 is out of range 576..65535", decodeFails(TYPE_ACCEPT, accept("\"mtu\":575")).getMessage());
        assertEquals("Accept.mtu: 65536 is out of range 576..65535", decodeFails(TYPE_ACCEPT, accept("\"mtu\":65536")).getMessage());
        assertEquals("Accept.mtu: 99999999999 is out of range",
                decodeFails(TYPE_ACCEPT, accept("\"mtu\":99999999999")).getMessage());
        assertEquals("Accept.keepaliveSeconds: 0 is out of range 1..3600",
                decodeFails(TYPE_ACCEPT, accept("\"keepaliveSeconds\":0")).getMessage());
        assertEquals("Accept.keepaliveSeconds: 3601 is out of range 1..3600",
                decodeFails(TYPE_ACCEPT, accept("\"keepaliveSeconds\":3601")).getMessage());
        assertEquals("Accept.version: 0 is below 1", decodeFails(TYPE_ACCEPT, accept("\"version\":0")).getMessage());
        assertEquals("Hello.version: -3 is below 1",
                decodeFails(TYPE_HELLO, "{\"version\":-3,\"software\":\"s\",\"capabilities\":[]}").getMessage());
        assertEquals("Ping.seq: 9223372036854775808 is out of range",
                decodeFails(TYPE_PING, "{\"seq\":9223372036854775808}").getMessage());
        assertEquals("Accept.session: empty", decodeFails(TYPE_ACCEPT, accept("\"session\":\"\"")).getMessage());
    }

    @Test
    void stringsOverTheLimitFail() throws Exception {
        String ok = "x".repeat(MAX_STRING_CHARS);
        assertEquals(new Close("normal", ok), decodeOne(wire(TYPE_CLOSE, "{\"code\":\"normal\",\"reason\":\"" + ok + "\"}")));
        assertEquals("Close.reason: 1025 chars, more than 1024",
                decodeFails(TYPE_CLOSE, "{\"code\":\"normal\",\"reason\":\"" + ok + "x\"}").getMessage());
        assertEquals("Hello.capabilities[0]: 1025 chars, more than 1024", decodeFails(TYPE_HELLO,
                "{\"version\":1,\"software\":\"s\",\"capabilities\":[\"" + ok + "y\"]}").getMessage());
    }

    @Test
    void listsOverTheLimitFail() throws Exception {
        String ok = String.join(",", Collections.nCopies(MAX_LIST_ENTRIES, "\"10.0.0.1\""));
        assertEquals(MAX_LIST_ENTRIES, ((Accept) decodeOne(wire(TYPE_ACCEPT, accept("\"gateways\":[" + ok + "]")))).gateways().size());
        assertEquals("Accept.gateways: 65 entries, more than 64",
                decodeFails(TYPE_ACCEPT, accept("\"gateways\":[" + ok + ",\"10.0.0.2\"]")).getMessage());
        String caps = String.join(",", Collections.nCopies(MAX_LIST_ENTRIES + 1, "\"c\""));
        assertEquals("Hello.capabilities: 65 entries, more than 64", decodeFails(TYPE_HELLO,
                "{\"version\":1,\"software\":\"s\",\"capabilities\":[" + caps + "]}").getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.8.0", "10.8.0.1.2", "10.8.0.256", "010.8.0.1", "10.8.0.01", "1", "0x0a.0.0.1", " 10.8.0.1",
            "10.8.0.1 ", "10..0.1", "10.8.0.", "fe80::1%eth0", "fe80::1%2", "[fd00::1]", "fd00::1::2", "fd00::g",
            "gateway.example.com", "localhost", "::1/128", "1:2:3:4:5:6:7:8:9", "\u0661.2.3.4"})
    void badGatewayLiteralsFail(String literal) {
        ControlProtocolException e = decodeFails(TYPE_ACCEPT, accept("\"gateways\":[\"10.8.0.1\",\"" + literal + "\"]"));
        assertTrue(e.getMessage().startsWith("Accept.gateways[1]: \""), e.getMessage());
        assertTrue(e.getMessage().endsWith(" is not an IPv4 (a.b.c.d) or IPv6 literal without scope"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "10.8.0.1", "255.255.255.255", "192.168.100.200", "::", "::1", "fd00::1",
            "fe80::1", "FE80::A:b", "2001:db8:0:0:0:0:0:1", "::ffff:192.0.2.1", "64:ff9b::192.0.2.33"})
    void goodGatewayLiteralsPass(String literal) throws Exception {
        Accept a = (Accept) decodeOne(wire(TYPE_ACCEPT, accept("\"gateways\":[\"" + literal + "\"]")));
        assertEquals(List.of(literal), a.gateways());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Shutdown", "two words", "-dash", "\u00e9t\u00e9", "x\n"})
    void codesThatAreNotLowercaseTokensFail(String code) {
        ControlProtocolException e = decodeFails(TYPE_REJECT,
                "{\"code\":\"" + code.replace("\n", "\\n") + "\",\"reason\":\"r\"}");
        assertTrue(e.getMessage().startsWith("Reject.code: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void longCodeFails() {
        assertEquals(new Reject("a".repeat(MAX_CODE_CHARS), "r"), new Reject("a".repeat(MAX_CODE_CHARS), "r"));
        assertTrue(decodeFails(TYPE_CLOSE, "{\"code\":\"" + "a".repeat(MAX_CODE_CHARS + 1) + "\",\"reason\":\"r\"}")
                .getMessage().startsWith("Close.code: \"aaaa"));
    }

    @Test
    void unknownFieldsAreIgnored() throws Exception {
        assertEquals(new Ping(5), decodeOne(wire(TYPE_PING,
                "{\"future\":{\"nested\":[1,2,{\"x\":null}]},\"seq\":5,\"also\":\"new\",\"f\":1.5e3}")));
        assertEquals(new Hello(1, "s", List.of(), Optional.empty()),
                decodeOne(wire(TYPE_HELLO, "{\"version\":1,\"software\":\"s\",\"capabilities\":[],\"resume\":null,\"x\":true}")));
        Accept a = (Accept) decodeOne(wire(TYPE_ACCEPT, accept("\"routes\":[\"0.0.0.0/0\"]")));
        assertEquals(1400, a.mtu());
    }

    @Test
    void deeplyNestedUnknownFieldFails() {
        String deep = "[".repeat(ControlCodec.MAX_JSON_DEPTH + 1) + "]".repeat(ControlCodec.MAX_JSON_DEPTH + 1);
        assertTrue(decodeFails(TYPE_PING, "{\"seq\":1,\"x\":" + deep + "}").getMessage().startsWith("Ping: body is not valid JSON"));
    }

    @Test
    void unknownTypesAreSkippedWithoutParsingTheirBody() throws Exception {
        byte[] stream = concat(List.of(
                wire(0, "not json at all"),
                ControlCodec.encode(new Ping(1)),
                wire(7, new byte[] {(byte) 0xff, 0, 1}),
                wire(255, ""),
                wire(200, "x".repeat(MAX_MESSAGE_BYTES - 1)),
                ControlCodec.encode(new Pong(1))));
        List<ControlMessage> expected = List.of(new Unknown(0), new Ping(1), new Unknown(7), new Unknown(255),
                new Unknown(200), new Pong(1));
        assertEquals(expected, new ControlDecoder().feed(stream));
        for (int cut = 0; cut < stream.length; cut += 97) {
            ControlDecoder d = new ControlDecoder();
            List<ControlMessage> got = new ArrayList<>(d.feed(stream, 0, cut));
            got.addAll(d.feed(stream, cut, stream.length - cut));
            assertEquals(expected, got);
        }
    }

    @Test
    void errorMessagesEscapeWhatThePeerSent() {
        String e = decodeFails(TYPE_ACCEPT, accept("\"gateways\":[\"evil\\n\\u001b[31mred" + "y".repeat(100) + "\"]")).getMessage();
        assertEquals("Accept.gateways[0]: \"evil\\u000a\\u001b[31mred" + "y".repeat(51)
                + "...\" is not an IPv4 (a.b.c.d) or IPv6 literal without scope", e);
    }

    // --- building and encoding ---

    @Test
    void recordsRejectWhatTheDecoderWouldReject() {
        assertEquals("Accept.mtu: 100 is out of range 576..65535",
                assertThrows(IllegalArgumentException.class,
                        () -> new Accept(1, "s", 100, "r", List.of(), 25)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Accept(1, "s", 1400, "r", List.of("fe80::1%eth0"), 25));
        assertThrows(IllegalArgumentException.class, () -> new Hello(0, "s", List.of(), Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new Hello(1, null, List.of(), Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new Hello(1, "s", null, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new Hello(1, "s", List.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new Hello(1, "s", List.of(), Optional.of("")));
        assertThrows(IllegalArgumentException.class, () -> new Hello(1, "s", Collections.nCopies(65, "c"), Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new Reject("Policy", "r"));
        assertThrows(IllegalArgumentException.class, () -> new Close("normal", "r".repeat(1025)));
        assertThrows(IllegalArgumentException.class, () -> new Unknown(256));
    }

    @Test
    void recordsCopyTheirLists() {
        List<String> caps = new ArrayList<>(List.of("a"));
        Hello h = new Hello(1, "s", caps, Optional.empty());
        caps.add("b");
        assertEquals(List.of("a"), h.capabilities());
        assertThrows(UnsupportedOperationException.class, () -> h.capabilities().add("c"));
    }

    @Test
    void encodingRejectsUnknownAndOversizeMessages() {
        assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(new Unknown(9)));
        Hello huge = new Hello(1, "s", Collections.nCopies(MAX_LIST_ENTRIES, "c".repeat(MAX_STRING_CHARS)), Optional.empty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(huge));
        assertTrue(e.getMessage().startsWith("Hello: encoded size "), e.getMessage());
        ByteBuf out = Unpooled.buffer();
        assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(huge, out));
        assertEquals(0, out.writerIndex());
    }

    @Test
    void typeOfEachMessageMatchesTheProtocol() {
        assertEquals(List.of(TYPE_HELLO, TYPE_HELLO, TYPE_ACCEPT, TYPE_ACCEPT, TYPE_ACCEPT, TYPE_REJECT, TYPE_PING,
                        TYPE_PING, TYPE_PONG, TYPE_PONG, TYPE_PING, TYPE_PONG, TYPE_PONG, TYPE_CLOSE, TYPE_CLOSE),
                SAMPLES.stream().map(ControlMessage::type).toList());
        assertEquals(List.of(1, 2, 3, 4, 5, 6), List.of(TYPE_HELLO, TYPE_ACCEPT, TYPE_REJECT, TYPE_PING, TYPE_PONG, TYPE_CLOSE));
    }

    // --- version negotiation ---

    @Test
    void negotiationPicksTheLowerVersionAndRefusesTooOldClients() throws Exception {
        assertEquals(1, VERSION);
        assertEquals(1, ControlProtocol.negotiate(1));
        assertEquals(VERSION, ControlProtocol.negotiate(VERSION + 5));
        assertEquals(VERSION, ControlProtocol.negotiate(Integer.MAX_VALUE));
        ControlProtocolException e = assertThrows(ControlProtocolException.class, () -> ControlProtocol.negotiate(0));
        assertEquals(CODE_VERSION, e.code());
        assertEquals("client speaks control protocol version 0, this server needs 1..1", e.getMessage());
    }

    // --- fuzzing ---

    @Test
    void randomBytesOnlyEverFailWithControlProtocolException() {
        Random random = new Random(42);
        byte[] valid = allSamples();
        int failures = 0;
        int decoded = 0;
        for (int round = 0; round < 3000; round++) {
            byte[] input;
            switch (round % 3) {
                case 0 -> { // pure noise, with small lengths so bodies complete
                    input = new byte[random.nextInt(1, 400)];
                    random.nextBytes(input);
                    for (int i = 0; i + 1 < input.length; i += random.nextInt(2, 60)) {
                        input[i] = 0;
                    }
                }
                case 1 -> { // valid stream with a few bytes flipped
                    input = valid.clone();
                    for (int k = random.nextInt(1, 6); k > 0; k--) {
                        input[random.nextInt(input.length)] ^= (byte) random.nextInt(1, 256);
                    }
                }
                default -> { // random JSON-ish bodies under known types
                    String alphabet = "{}[]\":,0123456789-.eE \\utrfalsn" + "seqcodereasonversionmtu";
                    StringBuilder json = new StringBuilder();
                    for (int i = random.nextInt(0, 80); i > 0; i--) {
                        json.append(alphabet.charAt(random.nextInt(alphabet.length())));
                    }
                    input = wire(random.nextInt(1, 7), json.toString());
                }
            }
            ControlDecoder d = new ControlDecoder();
            try {
                for (int i = 0; i < input.length; ) {
                    int n = Math.min(input.length - i, random.nextInt(1, 64));
                    decoded += d.feed(input, i, n).size();
                    i += n;
                }
                d.endOfStream();
            } catch (ControlProtocolException e) {
                failures++;
                assertNotNull(e.getMessage());
                assertFalse(e.getMessage().isBlank() || e.getMessage().contains("\n"), e.getMessage());
            } catch (Throwable t) {
                fail("round " + round + " threw " + t, t);
            }
        }
        assertTrue(failures > 1000, "failures " + failures);  // the fuzzer did reach error paths...
        assertTrue(decoded > 100, "decoded " + decoded);      // ...and decode paths
    }
}
