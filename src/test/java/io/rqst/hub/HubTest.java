package io.rqst.hub;

import static io.rqst.hub.Hub.UPLINK_MAC_AGE_NANOS;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HubTest {

    static final long A1 = Mac.parse("02:00:00:00:0a:01");
    static final long A2 = Mac.parse("02:00:00:00:0a:02");
    static final long B1 = Mac.parse("02:00:00:00:0b:01");
    static final long GW = Mac.parse("02:00:5e:10:00:01");
    static final long LAN = Mac.parse("52:54:00:12:34:56");
    static final long NOBODY = Mac.parse("02:00:00:00:ff:ff");
    static final long BCAST = Mac.BROADCAST;
    static final long MCAST4 = Mac.parse("01:00:5e:00:00:fb");
    static final long MCAST6 = Mac.parse("33:33:00:00:00:01");
    static final long T0 = 1_000_000_000_000L;
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    Hub<String> hub;
    Port<String> up;
    Port<String> a;
    Port<String> b;

    @BeforeEach
    void setUp() {
        hub = new Hub<>(4);
        up = hub.uplink();
        a = hub.addSession("a");
        b = hub.addSession("b");
    }

    static Hub.Counters counters(long invalidSource, long spoofed, long isolation, long unknownDestination) {
        return new Hub.Counters(invalidSource, spoofed, isolation, unknownDestination, 0, 0);
    }

    // --- ports ---

    @Test
    void portsCarryTheirAttachmentAndKind() {
        assertEquals("a", a.attachment());
        assertNull(up.attachment());
        assertTrue(up.isUplink());
        assertFalse(up.isSession());
        assertTrue(a.isSession() && a.isLive());
        assertFalse(a.isUplink());
        assertFalse(Hub.DROP.isLive() || Hub.FLOOD.isLive() || Hub.DROP.isSession() || Hub.DROP.isUplink());
        assertEquals(List.of(a, b), hub.sessions());
        assertNotSame(a, b);
    }

    @Test
    void sessionsIsTheSameImmutableSnapshotUntilSessionsChange() {
        List<Port<String>> s1 = hub.sessions();
        assertSame(s1, hub.sessions());
        assertThrows(UnsupportedOperationException.class, () -> s1.add(a));
        Port<String> c = hub.addSession("c");
        List<Port<String>> s2 = hub.sessions();
        assertEquals(List.of(a, b, c), s2);
        assertEquals(List.of(a, b), s1);
        hub.removeSession(b);
        assertEquals(List.of(a, c), hub.sessions());
    }

    @Test
    void foreignPortsAreRefused() {
        Hub<String> other = new Hub<>(4);
        Port<String> foreign = other.addSession("x");
        assertThrows(IllegalArgumentException.class, () -> hub.route(foreign, BCAST, A1, T0));
        assertThrows(IllegalArgumentException.class, () -> hub.route(other.uplink(), BCAST, A1, T0));
        assertThrows(IllegalArgumentException.class, () -> hub.removeSession(foreign));
        assertThrows(IllegalArgumentException.class, () -> hub.removeSession(up));
        assertThrows(NullPointerException.class, () -> hub.addSession(null));
        assertThrows(IllegalArgumentException.class, () -> new Hub<>(0));
    }

    // --- from a session ---

    @Test
    void sessionFramesGoToTheUplinkAndTeachTheSourceMac() {
        assertNull(hub.ownerOf(A1, T0));
        assertSame(up, hub.route(a, GW, A1, T0));
        assertSame(a, hub.ownerOf(A1, T0));
        assertArrayEquals(new long[] {A1}, a.macs());
        assertSame(up, hub.route(a, NOBODY, A1, T0)); // unknown unicast: uplink only
        assertSame(up, hub.route(a, A1, A1, T0));     // to itself: not another session, so uplink
        assertEquals(counters(0, 0, 0, 0), hub.counters());
    }

    @Test
    void broadcastAndMulticastFromASessionReachOnlyTheUplink() {
        for (long dst : new long[] {BCAST, MCAST4, MCAST6}) {
            Port<String> to = hub.route(a, dst, A1, T0);
            assertSame(up, to, Mac.toString(dst));
            assertNotSame(Hub.FLOOD, to);
        }
    }

    @Test
    void sessionToSessionIsDroppedForIsolation() {
        hub.route(b, GW, B1, T0);
        assertSame(Hub.DROP, hub.route(a, B1, A1, T0));
        assertSame(Hub.DROP, hub.route(b, A1, B1, T0));
        assertEquals(counters(0, 0, 2, 0), hub.counters());
        assertSame(a, hub.ownerOf(A1, T0)); // the source was learned all the same
    }

    @Test
    void invalidSourceMacsAreDropped() {
        for (long src : new long[] {0, BCAST, MCAST4, MCAST6, Mac.parse("03:00:00:00:00:01")}) {
            assertSame(Hub.DROP, hub.route(a, GW, src, T0), Mac.toString(src));
            assertNull(hub.ownerOf(src, T0));
        }
        assertEquals(counters(5, 0, 0, 0), hub.counters());
        assertEquals(0, a.macs().length);
    }

    @Test
    void anotherSessionsMacCannotBeUsedAsSource() {
        hub.route(b, GW, B1, T0);
        assertSame(Hub.DROP, hub.route(a, GW, B1, T0));
        assertSame(Hub.DROP, hub.route(a, GW, B1, T0 + 10_000 * SECOND)); // session MACs never age
        assertEquals(counters(0, 2, 0, 0), hub.counters());
        assertSame(b, hub.ownerOf(B1, T0));
        assertArrayEquals(new long[0], a.macs());
        assertSame(b, hub.route(up, B1, GW, T0)); // replies still go to the real owner
    }

    @Test
    void uplinkMacsCannotBeUsedAsSourceUntilTheyAge() {
        assertSame(Hub.FLOOD, hub.route(up, BCAST, GW, T0)); // the uplink learns GW
        assertSame(up, hub.ownerOf(GW, T0));
        assertSame(Hub.DROP, hub.route(a, BCAST, GW, T0 + SECOND));
        assertSame(Hub.DROP, hub.route(a, BCAST, GW, T0 + UPLINK_MAC_AGE_NANOS)); // still within 300 s
        assertEquals(counters(0, 2, 0, 0), hub.counters());
        assertNull(hub.ownerOf(GW, T0 + UPLINK_MAC_AGE_NANOS + 1));
        assertSame(up, hub.route(a, BCAST, GW, T0 + UPLINK_MAC_AGE_NANOS + 1)); // aged out: the session may have it
        assertSame(a, hub.ownerOf(GW, T0 + UPLINK_MAC_AGE_NANOS + 1));
    }

    @Test
    void uplinkTrafficKeepsItsMacsReserved() {
        hub.route(up, BCAST, GW, T0);
        hub.route(up, BCAST, GW, T0 + 200 * SECOND);
        assertSame(Hub.DROP, hub.route(a, BCAST, GW, T0 + 400 * SECOND));
        assertSame(up, hub.route(a, BCAST, GW, T0 + 200 * SECOND + UPLINK_MAC_AGE_NANOS + 1));
    }

    @Test
    void uplinkRefreshesAtMostOncePerSecond() {
        hub.route(up, BCAST, GW, T0);
        hub.route(up, BCAST, GW, T0 + SECOND / 2); // too soon to rewrite the timestamp
        assertSame(up, hub.route(a, BCAST, GW, T0 + UPLINK_MAC_AGE_NANOS + 1));
    }

    @Test
    void pinnedUplinkMacsNeverAgeAndTakePrecedence() {
        hub.route(a, BCAST, GW, T0);
        assertSame(a, hub.ownerOf(GW, T0));
        hub.pinUplinkMac(GW);
        assertSame(up, hub.ownerOf(GW, T0 + 1000 * UPLINK_MAC_AGE_NANOS));
        assertArrayEquals(new long[0], a.macs());
        assertSame(Hub.DROP, hub.route(a, BCAST, GW, T0 + 1000 * UPLINK_MAC_AGE_NANOS));
        hub.route(up, BCAST, GW, T0 + 1000 * UPLINK_MAC_AGE_NANOS); // traffic does not unpin it
        assertSame(up, hub.ownerOf(GW, T0 + 5000 * UPLINK_MAC_AGE_NANOS));
        assertThrows(IllegalArgumentException.class, () -> hub.pinUplinkMac(BCAST));
        assertThrows(IllegalArgumentException.class, () -> hub.pinUplinkMac(0));
    }

    @Test
    void macCapEvictsTheOldestLearned() {
        long[] macs = new long[6];
        for (int i = 0; i < macs.length; i++) {
            macs[i] = A1 + 0x100 * i;
        }
        for (int i = 0; i < 4; i++) {
            hub.route(a, GW, macs[i], T0 + i);
        }
        hub.route(a, GW, macs[0], T0 + 10); // using an old MAC again does not make it younger
        assertArrayEquals(new long[] {macs[0], macs[1], macs[2], macs[3]}, a.macs());
        assertSame(up, hub.route(a, GW, macs[4], T0 + 20));
        assertArrayEquals(new long[] {macs[1], macs[2], macs[3], macs[4]}, a.macs());
        assertNull(hub.ownerOf(macs[0], T0));
        assertSame(Hub.DROP, hub.route(up, macs[0], GW, T0)); // nobody's any more
        assertSame(up, hub.route(b, GW, macs[0], T0));        // so another session may take it
        assertSame(b, hub.ownerOf(macs[0], T0));
        assertSame(up, hub.route(a, GW, macs[5], T0 + 30));
        assertArrayEquals(new long[] {macs[2], macs[3], macs[4], macs[5]}, a.macs());
        hub.checkInvariants();
    }

    @Test
    void removeSessionFreesItsMacsAtOnce() {
        hub.route(a, GW, A1, T0);
        hub.route(a, GW, A2, T0);
        assertSame(a, hub.route(up, A1, GW, T0));
        hub.removeSession(a);
        assertFalse(a.isLive());
        assertEquals(List.of(b), hub.sessions());
        assertArrayEquals(new long[0], a.macs());
        assertNull(hub.ownerOf(A1, T0));
        assertSame(Hub.DROP, hub.route(up, A1, GW, T0));     // no longer delivered to a
        assertSame(Hub.DROP, hub.route(a, GW, A1, T0));      // a removed port learns nothing
        assertNull(hub.ownerOf(A1, T0));
        assertSame(up, hub.route(b, GW, A1, T0));            // b may take a's MACs
        assertSame(b, hub.route(up, A1, GW, T0));
        hub.removeSession(a);                                // idempotent
        hub.checkInvariants();
    }

    @Test
    void sessionLearningIsRateLimited() {
        Hub<String> h = new Hub<>(1000);
        Port<String> s = h.addSession("s");
        int learned = 0;
        for (int i = 0; i < Hub.LEARN_BURST + 10; i++) {
            if (h.route(s, GW, A1 + i, T0) == h.uplink()) {
                learned++;
            }
        }
        assertEquals(Hub.LEARN_BURST, learned);
        assertEquals(new Hub.Counters(0, 0, 0, 0, 10, 0), h.counters());
        assertSame(h.uplink(), h.route(s, GW, A1, T0)); // known MACs are not limited
        long step = SECOND / Hub.LEARNS_PER_SECOND;
        assertSame(Hub.DROP, h.route(s, GW, A1 + 1000, T0 + step - 1));
        assertSame(h.uplink(), h.route(s, GW, A1 + 1000, T0 + step));
        assertSame(Hub.DROP, h.route(s, GW, A1 + 1001, T0 + step));
        assertSame(h.uplink(), h.route(s, GW, A1 + 1001, T0 + 2 * step));
        learned = 0;
        for (int i = 0; i < 2 * Hub.LEARN_BURST; i++) {      // an idle hour refills the burst, not more
            if (h.route(s, GW, A1 + 2000 + i, T0 + 3600 * SECOND) == h.uplink()) {
                learned++;
            }
        }
        assertEquals(Hub.LEARN_BURST, learned);
        h.checkInvariants();
    }

    // --- from the uplink ---

    @Test
    void uplinkBroadcastAndMulticastFloodToAllSessions() {
        for (long dst : new long[] {BCAST, MCAST4, MCAST6}) {
            assertSame(Hub.FLOOD, hub.route(up, dst, GW, T0));
        }
        assertEquals(List.of(a, b), hub.sessions());
    }

    @Test
    void uplinkUnicastReachesTheOwningSessionOnly() {
        hub.route(a, GW, A1, T0);
        hub.route(b, GW, B1, T0);
        assertSame(a, hub.route(up, A1, GW, T0));
        assertSame(b, hub.route(up, B1, GW, T0));
        assertEquals("a", hub.route(up, A1, LAN, T0).attachment());
    }

    @Test
    void uplinkUnknownUnicastIsDroppedNotFlooded() {
        assertSame(Hub.DROP, hub.route(up, NOBODY, GW, T0));
        hub.route(up, BCAST, LAN, T0);
        assertSame(Hub.DROP, hub.route(up, LAN, GW, T0)); // an uplink host: not ours to deliver
        assertEquals(counters(0, 0, 0, 2), hub.counters());
    }

    @Test
    void uplinkInvalidSourceIsDropped() {
        assertSame(Hub.DROP, hub.route(up, BCAST, MCAST4, T0));
        assertSame(Hub.DROP, hub.route(up, BCAST, 0, T0));
        assertEquals(counters(2, 0, 0, 0), hub.counters());
        assertNull(hub.ownerOf(MCAST4, T0));
    }

    @Test
    void uplinkTakesBackAMacASessionClaimed() {
        hub.route(a, GW, A1, T0);
        hub.route(a, GW, GW, T0); // a claims the gateway's MAC before the gateway spoke
        assertSame(a, hub.ownerOf(GW, T0));
        assertSame(Hub.FLOOD, hub.route(up, BCAST, GW, T0 + 1));
        assertSame(up, hub.ownerOf(GW, T0 + 1));
        assertArrayEquals(new long[] {A1}, a.macs());
        assertSame(Hub.DROP, hub.route(a, GW, GW, T0 + 2));
        assertEquals(new Hub.Counters(0, 1, 0, 0, 0, 1), hub.counters());
        hub.checkInvariants();
    }

    @Test
    void uplinkMacTableIsBounded() {
        Hub<String> h = new Hub<>(4, 3);
        Port<String> s = h.addSession("s");
        long u1 = LAN, u2 = LAN + 1, u3 = LAN + 2, u4 = LAN + 3, u5 = LAN + 4;
        h.route(h.uplink(), BCAST, u1, T0);
        h.route(h.uplink(), BCAST, u2, T0 + 10 * SECOND);
        h.route(h.uplink(), BCAST, u3, T0 + 20 * SECOND);
        h.route(h.uplink(), BCAST, u1, T0 + 30 * SECOND); // u1 is now the most recently seen
        h.route(h.uplink(), BCAST, u4, T0 + 40 * SECOND); // full: the least recently seen (u2) goes
        assertNull(h.ownerOf(u2, T0 + 40 * SECOND));
        for (long u : new long[] {u1, u3, u4}) {
            assertSame(h.uplink(), h.ownerOf(u, T0 + 40 * SECOND));
        }
        h.checkInvariants();
        // all of them expired: the next one clears them out
        long later = T0 + 40 * SECOND + UPLINK_MAC_AGE_NANOS + 1;
        h.route(h.uplink(), BCAST, u5, later);
        assertSame(h.uplink(), h.ownerOf(u5, later));
        h.checkInvariants();
        assertSame(h.uplink(), h.route(s, BCAST, u2, later));
        assertSame(s, h.ownerOf(u2, later));
        h.pinUplinkMac(GW); // pinned MACs do not count against the bound
        h.checkInvariants();
    }

    // --- speed ---

    @Test
    void routingKnownMacsAllocatesNothing() {
        hub.route(a, GW, A1, T0);
        hub.route(b, GW, B1, T0);
        hub.route(up, BCAST, GW, T0);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        Object sink = null;
        for (int round = 0; round < 3; round++) { // let the JIT settle, then measure the last round
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 200_000; i++) {
                long now = T0 + i;
                sink = hub.route(a, GW, A1, now);
                sink = hub.route(a, BCAST, A1, now);
                sink = hub.route(a, B1, A1, now);      // isolation drop
                sink = hub.route(up, A1, GW, now);
                sink = hub.route(up, BCAST, GW, now);
                sink = hub.route(up, NOBODY, GW, now); // unknown destination drop
                sink = hub.route(a, GW, B1, now);      // spoof drop
            }
            long allocated = threads.getThreadAllocatedBytes(tid) - before;
            if (round == 2) {
                assertTrue(allocated < 4096, "allocated " + allocated + " bytes for 1.4M routes");
            }
        }
        assertNotNull(sink);
    }
}
