package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.io.IOException;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which of the host's addresses a wildcard socket needs a socket of its own for. */
class AddressCoverTest {
    private static final InetAddress ANY4 = InetAddress.ofLiteral("0.0.0.0");
    private static final InetAddress ANY6 = InetAddress.ofLiteral("::");

    private static List<InetAddress> host() throws Exception {
        return List.of(
                InetAddress.ofLiteral("127.0.0.1"),
                InetAddress.ofLiteral("::1"),
                InetAddress.ofLiteral("192.168.1.10"),
                InetAddress.ofLiteral("192.168.1.11"),
                InetAddress.ofLiteral("2001:db8::10"),
                Inet6Address.getByAddress(null, InetAddress.ofLiteral("fe80::1").getAddress(), 2), // link-local, scope 2
                InetAddress.ofLiteral("169.254.7.7"),                                             // IPv4 link-local
                InetAddress.ofLiteral("192.168.1.10"));                                           // on two interfaces
    }

    // Promise: 0.0.0.0 covers the IPv4 unicast addresses, each once, in the host's order; link-local ones are left to
    // the wildcard socket.
    @Test
    void theIpv4WildcardCoversEachIpv4AddressOnce() throws Exception {
        assertEquals(List.of(InetAddress.ofLiteral("127.0.0.1"), InetAddress.ofLiteral("192.168.1.10"),
                InetAddress.ofLiteral("192.168.1.11")), AddressCover.wanted(ANY4, host()));
    }

    // Promise: :: (a dual-stack socket) covers the IPv4 and the IPv6 addresses.
    @Test
    void theIpv6WildcardCoversBothFamilies() throws Exception {
        assertEquals(List.of(InetAddress.ofLiteral("127.0.0.1"), InetAddress.ofLiteral("::1"), InetAddress.ofLiteral("192.168.1.10"),
                InetAddress.ofLiteral("192.168.1.11"), InetAddress.ofLiteral("2001:db8::10")), AddressCover.wanted(ANY6, host()));
    }

    // Promise: wildcards, multicast addresses and an empty host give nothing to bind.
    @Test
    void nothingToCoverIsNothing() {
        assertEquals(List.of(), AddressCover.wanted(ANY6, List.of(ANY4, ANY6, InetAddress.ofLiteral("ff02::1"),
                InetAddress.ofLiteral("224.0.0.1"))));
        assertEquals(List.of(), AddressCover.wanted(ANY4, List.of()));
    }

    // Promise: a QUIC v1 Initial (long header, type 0) is told apart from the other long types, short headers and an
    // empty datagram.
    @Test
    void initialsAreToldApart() {
        assertTrue(AddressCover.isInitial(Unpooled.wrappedBuffer(new byte[] {(byte) 0xC3, 0, 0, 0, 1})));  // Initial
        assertTrue(AddressCover.isInitial(Unpooled.wrappedBuffer(new byte[] {(byte) 0xC0})));
        assertFalse(AddressCover.isInitial(Unpooled.wrappedBuffer(new byte[] {(byte) 0xE3})));              // Handshake
        assertFalse(AddressCover.isInitial(Unpooled.wrappedBuffer(new byte[] {(byte) 0xD3})));              // 0-RTT
        assertFalse(AddressCover.isInitial(Unpooled.wrappedBuffer(new byte[] {(byte) 0x43})));              // 1-RTT
        assertFalse(AddressCover.isInitial(Unpooled.EMPTY_BUFFER));
    }

    // Promise: what waits for a scan learns whether it found a new address (and bound it on the wildcard's port).
    @Test
    void aScanTellsWhatWaitsWhetherItFoundANewAddress() throws Exception {
        List<InetAddress> host = new CopyOnWriteArrayList<>(List.of(InetAddress.ofLiteral("127.0.0.1")));
        List<InetSocketAddress> bound = new CopyOnWriteArrayList<>();
        try (AddressCover cover = new AddressCover(ANY6, a -> {
            bound.add(a);
            return List.of();
        }, () -> host)) {
            cover.start(3456);
            assertEquals(List.of(new InetSocketAddress("127.0.0.1", 3456)), bound);
            host.add(InetAddress.ofLiteral("2001:db8::7"));
            assertTrue(afterScan(cover), "a scan found the new address");
            assertEquals(new InetSocketAddress(InetAddress.ofLiteral("2001:db8::7"), 3456), bound.getLast());
            assertEquals(Set.of(InetAddress.ofLiteral("127.0.0.1"), InetAddress.ofLiteral("2001:db8::7")), cover.covered());
            assertFalse(afterScan(cover), "the next one found nothing");
        }
    }

    // Promise: every first packet waits for a scan that starts after it came (an address may have come a moment
    // after the last scan), scans asked for start at least SCAN_GAP apart, and at most MAX_HELD packets wait: a flood
    // of first packets to an address without a socket of its own costs a few scans a second and bounded memory.
    @Test
    void scansAskedForAreSpacedAndWhatWaitsIsBounded() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean block = new java.util.concurrent.atomic.AtomicBoolean();
        List<Long> scans = new CopyOnWriteArrayList<>();
        try (AddressCover cover = new AddressCover(ANY4, a -> List.of(), () -> {
            scans.add(System.nanoTime());
            if (block.get()) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return List.of();
        })) {
            cover.start(3456);
            assertFalse(afterScan(cover));
            assertFalse(afterScan(cover));
            assertEquals(3, scans.size(), "the start's scan and one for each");
            long gap = scans.get(2) - scans.get(1);
            // without the spacing they would be about a millisecond apart; half the gap leaves room for a slow machine
            assertTrue(gap >= AddressCover.SCAN_GAP.toNanos() / 2, "scans asked for are " + gap / 1_000_000 + " ms apart");

            block.set(true);
            assertTrue(cover.afterScan(found -> {})); // its scan hangs in the host's addresses
            java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
            int waiting = 0;
            while (cover.afterScan(found -> told.incrementAndGet())) {
                waiting++;
                assertTrue(waiting <= AddressCover.MAX_HELD, "at most MAX_HELD wait");
            }
            assertTrue(waiting >= AddressCover.MAX_HELD - 1, waiting + " waited");
            block.set(false);
            release.countDown();
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while (told.get() < waiting && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertEquals(waiting, told.get(), "each was told once the scan ran");
            assertTrue(cover.afterScan(found -> {}), "and there is room again");
        }
    }

    // Promise: an address gone from the host for GONE_FOR has its sockets closed and is no longer covered, so that a
    // host whose addresses change (IPv6 temporary addresses) does not gather sockets; one that comes back is bound
    // again, and one missed by a single scan keeps its sockets.
    @Test
    void anAddressGoneForAWhileHasItsSocketsClosedAndComesBackBound() throws Exception {
        InetAddress stays = InetAddress.ofLiteral("127.0.0.1");
        InetAddress goes = InetAddress.ofLiteral("2001:db8::9");
        List<InetAddress> host = new CopyOnWriteArrayList<>(List.of(stays, goes));
        java.util.Map<InetAddress, List<io.netty.channel.Channel>> sockets = new java.util.concurrent.ConcurrentHashMap<>();
        try (AddressCover cover = new AddressCover(ANY6, a -> {
            io.netty.channel.Channel ch = new io.netty.channel.embedded.EmbeddedChannel();
            sockets.computeIfAbsent(a.getAddress(), k -> new CopyOnWriteArrayList<>()).add(ch);
            return List.of(ch);
        }, () -> host)) {
            cover.goneFor(java.time.Duration.ofMillis(300));
            cover.start(3456);
            assertEquals(Set.of(stays, goes), cover.covered());

            host.remove(goes);
            assertFalse(afterScan(cover));
            assertEquals(Set.of(stays, goes), cover.covered(), "missed once: kept");
            host.add(goes);
            assertFalse(afterScan(cover), "back before GONE_FOR: nothing to bind");
            host.remove(goes);
            assertFalse(afterScan(cover));
            Thread.sleep(350);
            assertFalse(afterScan(cover));
            assertEquals(Set.of(stays), cover.covered(), "gone for GONE_FOR");
            assertFalse(sockets.get(goes).getFirst().isOpen(), "its socket is closed");
            assertTrue(sockets.get(stays).getFirst().isOpen(), "the other address's is not");

            host.add(goes);
            assertTrue(afterScan(cover), "back: bound again");
            assertEquals(Set.of(stays, goes), cover.covered());
            assertEquals(2, sockets.get(goes).size());
            assertTrue(sockets.get(goes).getLast().isOpen());
        }
        sockets.values().forEach(l -> l.forEach(ch -> assertFalse(ch.isOpen(), "closing the cover closes every socket")));
    }

    // Promise: an address that cannot be bound is tried once and left to the wildcard socket; the others are bound.
    @Test
    void anAddressThatCannotBeBoundIsLeftAlone() throws Exception {
        List<InetAddress> host = List.of(InetAddress.ofLiteral("192.0.2.1"), InetAddress.ofLiteral("192.0.2.2"));
        List<InetSocketAddress> tries = new CopyOnWriteArrayList<>();
        try (AddressCover cover = new AddressCover(ANY4, a -> {
            tries.add(a);
            if (a.getAddress().equals(host.getFirst())) {
                throw new IOException("cannot listen on 192.0.2.1:3456: address already in use");
            }
            return List.of();
        }, () -> host)) {
            cover.start(3456);
            assertFalse(afterScan(cover));
            assertEquals(Set.of(host.getLast()), cover.covered());
            assertEquals(2, tries.size(), "each tried once: " + tries);
        }
    }

    // Promise: what waits for a scan of a closed cover is told "found" (so that a held packet is dropped, not served).
    @Test
    void aClosedCoverTellsWhatWaitsToLetGo() throws Exception {
        AddressCover cover = new AddressCover(ANY4, a -> List.of(), List::of);
        cover.close();
        assertTrue(afterScan(cover));
    }

    private static boolean afterScan(AddressCover cover) throws Exception {
        CompletableFuture<Boolean> found = new CompletableFuture<>();
        cover.afterScan(found::complete);
        return found.get(5, TimeUnit.SECONDS);
    }

    // Promise: only a wildcard address is covered.
    @Test
    void aSpecificAddressIsNotAWildcard() {
        assertThrows(IllegalArgumentException.class,
                () -> new AddressCover(InetAddress.ofLiteral("127.0.0.1"), a -> List.of(), List::of));
    }
}
