package io.rqst.hub;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MacTest {

    @Test
    void readsDestinationAndSourceAtTheReaderIndexWithoutMovingIt() {
        for (ByteBuf frame : new ByteBuf[] {Unpooled.buffer(64), Unpooled.directBuffer(64)}) {
            frame.writeBytes(new byte[] {(byte) 0xee, (byte) 0xee}); // skipped below
            frame.writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
            frame.writeBytes(new byte[] {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01});
            frame.writeShort(0x0806);
            frame.readerIndex(2);
            assertEquals(Mac.BROADCAST, Mac.dst(frame));
            assertEquals(0x02005e100001L, Mac.src(frame));
            assertEquals(2, frame.readerIndex());
            assertEquals(16, frame.writerIndex());
            frame.release();
        }
    }

    @Test
    void highBitOctetsStayUnsigned() {
        ByteBuf frame = Unpooled.wrappedBuffer(new byte[] {(byte) 0xfe, (byte) 0xdc, (byte) 0xba, (byte) 0x98, 0x76, 0x54,
                (byte) 0x80, 0, 0, 0, 0, (byte) 0x81});
        assertEquals(0xfedcba987654L, Mac.dst(frame));
        assertEquals(0x800000000081L, Mac.src(frame));
    }

    @Test
    void shortFramesThrowInsteadOfReadingPastTheWriterIndex() {
        ByteBuf frame = Unpooled.buffer(64).writeZero(11); // capacity is there, readable bytes are not
        assertEquals(0, Mac.dst(frame));
        assertThrows(IndexOutOfBoundsException.class, () -> Mac.src(frame));
        assertThrows(IndexOutOfBoundsException.class, () -> Mac.dst(Unpooled.buffer(64).writeZero(5)));
    }

    @Test
    void classifiesGroupAndBroadcastAddresses() {
        assertTrue(Mac.isMulticast(Mac.BROADCAST));
        assertTrue(Mac.isBroadcast(Mac.BROADCAST));
        assertTrue(Mac.isMulticast(Mac.parse("01:00:5e:00:00:fb")));   // IPv4 multicast
        assertTrue(Mac.isMulticast(Mac.parse("33:33:00:00:00:01")));   // IPv6 multicast
        assertTrue(Mac.isMulticast(Mac.parse("01:80:c2:00:00:00")));   // STP
        assertFalse(Mac.isBroadcast(Mac.parse("33:33:00:00:00:01")));
        assertFalse(Mac.isMulticast(Mac.parse("02:00:5e:10:00:01")));
        assertFalse(Mac.isMulticast(Mac.parse("fe:ff:ff:ff:ff:ff")));
        assertFalse(Mac.isMulticast(0));
    }

    @Test
    void formatsAndParses() {
        assertEquals("02:00:5e:10:00:01", Mac.toString(0x02005e100001L));
        assertEquals("00:00:00:00:00:00", Mac.toString(0));
        assertEquals("ff:ff:ff:ff:ff:ff", Mac.toString(Mac.BROADCAST));
        assertEquals(0x02005e100001L, Mac.parse("02:00:5e:10:00:01"));
        assertEquals(0xaabbccddeeffL, Mac.parse("AA:bb:Cc:DD:ee:FF"));
        for (long mac : new long[] {0, 1, 0x123456789abcL, Mac.BROADCAST, 0x800000000000L}) {
            assertEquals(mac, Mac.parse(Mac.toString(mac)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "02:00:5e:10:00", "02:00:5e:10:00:01:02", "02-00-5e-10-00-01", "02:00:5e:10:00:0g",
            "2:0:5e:10:0:1:ab", "020:0:5e:10:00:01", "\uff10\uff12:00:5e:10:00:01", "02:00:5e:10:00:01 "})
    void parseRejectsNonMacs(String s) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mac.parse(s));
        assertTrue(e.getMessage().contains("\"" + s + "\""), e.getMessage());
    }
}
