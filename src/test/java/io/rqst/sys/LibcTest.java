package io.rqst.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The native layer without root: constants against their header definitions, errno capture, strerror. */
class LibcTest {

    /** {@code _IOC(dir, type, nr, size)} from asm-generic/ioctl.h. */
    private static long ioc(int dir, char type, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    @Test
    void tunIoctlNumbersFollowTheIocEncoding() {
        int write = 1;
        int read = 2;
        assertEquals(ioc(write, 'T', 202, Integer.BYTES), Libc.TUNSETIFF);   // _IOW('T', 202, int)
        assertEquals(0x400454caL, Libc.TUNSETIFF);
        assertEquals(ioc(read, 'T', 207, Integer.BYTES), Libc.TUNGETFEATURES); // _IOR('T', 207, unsigned int)
    }

    @Test
    void strerrorGivesTheCLibraryText() {
        assertEquals("No such file or directory", Libc.strerror(Libc.ENOENT));
        assertEquals("Device or resource busy", Libc.strerror(Libc.EBUSY));
        assertEquals("Resource temporarily unavailable", Libc.strerror(Libc.EAGAIN));
    }

    @Test
    void errnoIsCaptured() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = Libc.newErrnoSegment(arena);
            int fd = Libc.open(cap, arena.allocateFrom("/nonexistent/rqst-libc-test"), Libc.O_RDWR | Libc.O_CLOEXEC);
            assertEquals(-1, fd);
            assertEquals(Libc.ENOENT, Libc.errno(cap));
            // EAGAIN from a non-blocking read of an empty eventfd, into memory passed as an address
            int efd = Libc.eventfd(cap, 0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            assertTrue(efd >= 0, "eventfd");
            try {
                MemorySegment value = arena.allocate(8);
                assertEquals(-1, Libc.read(cap, efd, value.address(), 8));
                assertEquals(Libc.EAGAIN, Libc.errno(cap));
                value.set(JAVA_LONG, 0, 5);
                assertEquals(8, Libc.write(efd, value.address(), 8));
                value.set(JAVA_LONG, 0, 0);
                assertEquals(8, Libc.read(cap, efd, value.address(), 8));
                assertEquals(5, value.get(JAVA_LONG, 0));
            } finally {
                Libc.close(efd);
            }
        }
    }

    @Test
    void socketCallsForTheTransport() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = Libc.newErrnoSegment(arena);
            MemorySegment value = arena.allocate(JAVA_INT);
            value.set(JAVA_INT, 0, 1 << 20);
            // errno comes back through the capture: no socket here
            assertEquals(-1, Libc.setsockopt(cap, -1, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, value.address()));
            assertEquals(Libc.EBADF, Libc.errno(cap));
            int udp = Libc.socket(cap, Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            assertTrue(udp >= 0, "socket");
            try {
                MemorySegment inq = arena.allocate(JAVA_INT);
                inq.set(JAVA_INT, 0, -1);
                assertEquals(0, Libc.ioctl(cap, udp, Libc.SIOCINQ, inq), "SIOCINQ on an empty UDP socket");
                assertEquals(0, inq.get(JAVA_INT, 0));
                MemorySegment stamp = arena.allocate(Libc.TIMESPEC_SIZE);
                assertEquals(-1, Libc.ioctl(cap, udp, Libc.SIOCGSTAMPNS, stamp), "no packet read yet");
                assertEquals(Libc.ENOENT, Libc.errno(cap));
            } finally {
                Libc.close(udp);
            }
        }
    }

    @Test
    void clockGettimeReadsTheRealtimeClock() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(Libc.TIMESPEC_SIZE, 8);
            long before = System.currentTimeMillis();
            assertEquals(0, Libc.clockGettime(Libc.CLOCK_REALTIME, ts.address()));
            long after = System.currentTimeMillis();
            long millis = ts.get(JAVA_LONG, 0) * 1000
                    + ts.get(JAVA_LONG, 8) / 1_000_000;
            assertTrue(millis >= before - 1 && millis <= after + 1, millis + " not in [" + before + ", " + after + "]");
        }
    }
}
