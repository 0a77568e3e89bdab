package io.rqst.tap;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rqst.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IfreqTest {

    @Test
    void encodesNameNulTerminatedAndFlagsAtOffset16() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = Ifreq.allocate(arena, "rqst0");
            Ifreq.setFlags(ifr, (short) (Libc.IFF_TAP | Libc.IFF_NO_PI));
            byte[] raw = ifr.toArray(JAVA_BYTE);
            assertEquals(40, raw.length);
            byte[] expected = new byte[40];
            System.arraycopy("rqst0".getBytes(), 0, expected, 0, 5);
            // 0x1002 in native (little-endian on x86_64) order at offset 16
            boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
            expected[16] = (byte) (little ? 0x02 : 0x10);
            expected[17] = (byte) (little ? 0x10 : 0x02);
            assertArrayEquals(expected, raw);
            assertEquals("rqst0", Ifreq.name(ifr));
        }
    }

    @Test
    void setNameClearsALongerPreviousName() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = Ifreq.allocate(arena, "abcdefghijklmno");
            Ifreq.setName(ifr, "x");
            assertEquals("x", Ifreq.name(ifr));
            assertEquals(0, ifr.get(JAVA_BYTE, 1));
            assertEquals(0, ifr.get(JAVA_BYTE, 14));
            assertEquals(0, ifr.get(JAVA_BYTE, 15));
        }
    }

    @Test
    void mtuIsAnIntAtOffset16() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = Ifreq.allocate(arena, "t");
            Ifreq.setMtu(ifr, 0x01020304);
            boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
            assertEquals(little ? 0x04 : 0x01, ifr.get(JAVA_BYTE, 16));
            assertEquals(0x01020304, Ifreq.mtu(ifr));
        }
    }

    @Test
    void readsTheHardwareAddressFromSaData() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = Ifreq.allocate(arena, "t");
            ifr.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 16, Libc.ARPHRD_ETHER);
            byte[] mac = {(byte) 0xfe, 0x12, 0x34, 0x56, 0x78, (byte) 0x9a};
            MemorySegment.copy(mac, 0, ifr, JAVA_BYTE, 18, 6);
            assertEquals(Libc.ARPHRD_ETHER, Ifreq.hwaddrFamily(ifr));
            assertEquals(0xfe123456789aL, Ifreq.hwaddr(ifr));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rqst0", "a", "abcdefghijklmno", "tap-1_x.y", "UPPER"})
    void acceptsValidNames(String name) {
        assertEquals(name, Ifreq.checkName(name));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                 | invalid TAP name '': must be 1 to 15 characters",
        "abcdefghijklmnop   | invalid TAP name 'abcdefghijklmnop': longer than 15 characters",
        "a/b                | invalid TAP name 'a/b': contains '/'",
        "a:1                | invalid TAP name 'a:1': contains ':'",
        "tap%d              | invalid TAP name 'tap%d': contains '%'",
        "'a b'              | invalid TAP name 'a b': contains whitespace",
        "..                 | invalid TAP name '..': reserved name",
        "tapé               | invalid TAP name 'tap\\u00e9': only printable ASCII characters are allowed",
    })
    void rejectsInvalidNamesWithAClearMessage(String name, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ifreq.checkName(name));
        assertEquals(message, e.getMessage());
    }

    @Test
    void tabAndNewlineAreWhitespaceAndTheMessageStaysOnOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ifreq.checkName("a\nb"));
        assertEquals("invalid TAP name 'a\\u000ab': contains whitespace", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Ifreq.checkName("a\tb"));
        assertThrows(IllegalArgumentException.class, () -> Ifreq.checkName(null));
    }
}
