package io.rqst.tap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link LinuxTap} against the kernel (needs root): a TAP with a unique name in the test JVM's
 * namespace, addressed 10.250.X.1/24 with a static neighbour 10.250.X.2 at {@link #PEER_MAC}, so the
 * host sends IPv4 to the peer straight out of the TAP, without ARP.
 */
@Tag("netns")
class LinuxTapTest {

    private static final long PEER_MAC = 0x020000000002L;
    private static final int UDP_PORT = 40_000;
    private static final int MTU = 1400;

    private String name;
    /** Every interface name a test may have created, removed after each test if still there. */
    private final List<String> names = new ArrayList<>();
    private int subnet;
    private LinuxTap tap;
    private final List<LinuxTap> others = new ArrayList<>();
    private final List<ByteBuf> allocated = new ArrayList<>();

    @BeforeEach
    void openTap() throws Exception {
        subnet = unusedSubnet();
        name = "rqt" + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        names.add(name);
        tap = LinuxTap.open(name, MTU);
        // keep IPv6 autoconfiguration (MLD, DAD, RS) off the TAP; what slipped out is filtered below
        Path ipv6 = Path.of("/proc/sys/net/ipv6/conf", name, "disable_ipv6");
        if (Files.exists(ipv6)) {
            Files.writeString(ipv6, "1");
        }
        sh("ip", "addr", "add", ownIp() + "/24", "dev", name);
        sh("ip", "neigh", "add", peerIp(), "lladdr", Taps.formatMac(PEER_MAC), "dev", name);
    }

    @AfterEach
    void closeTaps() throws Exception {
        for (LinuxTap t : others) {
            t.close();
        }
        if (tap != null) {
            tap.close();
        }
        allocated.forEach(b -> b.release(b.refCnt()));
        for (String n : names) {
            if (run("ip", "link", "show", n).exit() == 0) {
                run("ip", "link", "del", n); // only if a test failed in a way that left it behind
            }
        }
    }

    private String ownIp() {
        return "10.250." + subnet + ".1";
    }

    private String peerIp() {
        return "10.250." + subnet + ".2";
    }

    // ---- opening ----

    @Test
    void openCreatesAnUpInterfaceWithTheMtuAndReportsItsMac() throws Exception {
        Result link = run("ip", "-o", "link", "show", name);
        assertEquals(0, link.exit(), link.out());
        assertTrue(link.out().contains(" mtu " + MTU + " "), link.out());
        assertTrue(link.out().matches("(?s).*<[^>]*\\bUP\\b[^>]*>.*"), link.out());
        assertTrue(link.out().contains("link/ether " + Taps.formatMac(tap.macAddress()) + " "), link.out());
        assertNotEquals(0, tap.macAddress());
        assertEquals(name, tap.name());
        assertEquals(MTU, tap.mtu());
        assertEquals(MTU + 18, tap.frameCapacity());
    }

    @Test
    void openWithAMacGivesTheInterfaceThatMac() throws Exception {
        long mac = 0x02_12_34_56_78_9aL;
        String other = name.length() < 14 ? name + "m" : name.substring(0, 14) + "m";
        try (LinuxTap t = LinuxTap.open(other, MTU, java.util.OptionalLong.of(mac))) {
            assertEquals(mac, t.macAddress());
            Result link = run("ip", "-o", "link", "show", other);
            assertTrue(link.out().contains("link/ether 02:12:34:56:78:9a "), link.out());
        }
        assertThrows(IllegalArgumentException.class, () -> LinuxTap.open(other, MTU, java.util.OptionalLong.of(0x01_00_5e_00_00_01L)));
    }

    // ---- (a) host → TAP ----

    @Test
    void readReturnsTheEthernetFrameOfAUdpDatagramSentToTheNeighbour() throws Exception {
        byte[] payload = ("rqst-udp-" + System.nanoTime()).getBytes(StandardCharsets.US_ASCII);
        sendUdp(payload);

        byte[] frame = readUntil(f -> {
            TestFrames.Udp udp = TestFrames.udp(f);
            return udp != null && udp.dstPort() == UDP_PORT;
        });
        assertEquals(PEER_MAC, TestFrames.dstMac(frame), "dst MAC is the static neighbour");
        assertEquals(tap.macAddress(), TestFrames.srcMac(frame), "src MAC is the TAP's own");
        assertEquals(TestFrames.ETHERTYPE_IPV4, TestFrames.etherType(frame));
        TestFrames.Ipv4 ip = TestFrames.ipv4(frame);
        assertArrayEquals(InetAddress.getByName(ownIp()).getAddress(), ip.src());
        assertArrayEquals(InetAddress.getByName(peerIp()).getAddress(), ip.dst());
        assertTrue(ip.headerChecksumOk());
        assertArrayEquals(payload, TestFrames.udp(frame).payload(), "UDP payload intact");
        assertEquals(14 + 20 + 8 + payload.length, frame.length, "no packet-information header, no FCS");
    }

    // ---- queues ----

    // Promise: openQueues makes one interface with that many queues, each a device of its own with the interface's
    // name, MTU and MAC, and the kernel answers a flow on the queue its packets were last written to (the TUN
    // driver's flow steering, which a server's threads rely on: each reads the answers to what it wrote). The
    // interface goes with its last queue.
    @Test
    void queuesShareOneInterfaceAndTheKernelAnswersOnTheQueueWrittenTo() throws Exception {
        String mq = "rqq" + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        names.add(mq);
        int sn = unusedSubnet();
        List<LinuxTap> queues = LinuxTap.openQueues(mq, MTU, java.util.OptionalLong.empty(), false, 2);
        others.addAll(queues);
        assertEquals(2, queues.size());
        try (var list = Files.list(Path.of("/sys/class/net", mq, "queues"))) {
            assertEquals(List.of("rx-0", "rx-1", "tx-0", "tx-1"), list.map(q -> q.getFileName().toString()).sorted().toList());
        }
        assertEquals(queues.get(0).macAddress(), queues.get(1).macAddress());
        assertEquals(mq, queues.get(1).name());
        assertEquals(MTU, queues.get(1).mtu());
        Path ipv6 = Path.of("/proc/sys/net/ipv6/conf", mq, "disable_ipv6");
        if (Files.exists(ipv6)) {
            Files.writeString(ipv6, "1");
        }
        String own = "10.250." + sn + ".1";
        String peer = "10.250." + sn + ".2";
        sh("ip", "addr", "add", own + "/24", "dev", mq);
        sh("ip", "neigh", "add", peer, "lladdr", Taps.formatMac(PEER_MAC), "dev", mq);
        // one UDP flow the host answers, written on queue 1, then 0, then 1 again: without the steering the answers
        // would all come on the one queue the flow's hash picks (ICMP is not steered: its hash takes the message
        // type, which differs each way)
        try (DatagramSocket host = new DatagramSocket(new java.net.InetSocketAddress(InetAddress.getByName(own), 0))) {
            host.setSoTimeout(5000);
            for (int q : new int[] {1, 0, 1}) {
                int peerPort = 41_000;
                byte[] ask = ("queue " + q).getBytes(StandardCharsets.US_ASCII);
                byte[] udp = java.nio.ByteBuffer.allocate(8 + ask.length).putShort((short) peerPort).putShort((short) host.getLocalPort())
                        .putShort((short) (8 + ask.length)).putShort((short) 0).put(ask).array();
                byte[] frame = TestFrames.ipv4Frame(queues.get(q).macAddress(), PEER_MAC, TestFrames.IPPROTO_UDP,
                        InetAddress.getByName(peer).getAddress(), InetAddress.getByName(own).getAddress(), udp);
                assertTrue(queues.get(q).write(direct(frame.length).writeBytes(frame)), "queue " + q + " takes the frame");
                DatagramPacket got = new DatagramPacket(new byte[64], 64);
                host.receive(got);
                host.send(new DatagramPacket(got.getData(), got.getLength(), got.getSocketAddress())); // the answer
                Predicate<byte[]> answer = f -> {
                    TestFrames.Udp u = TestFrames.udp(f);
                    return u != null && u.dstPort() == peerPort;
                };
                byte[] reply;
                try {
                    reply = readUntil(queues.get(q), answer);
                } catch (AssertionError e) {
                    boolean other = false;
                    try {
                        readUntil(queues.get(1 - q), answer);
                        other = true;
                    } catch (AssertionError e2) {
                        // on neither
                    }
                    throw new AssertionError("no answer on queue " + q + (other ? "; it came on the other" : ", nor on the other"), e);
                }
                assertArrayEquals(ask, TestFrames.udp(reply).payload(), "the answer came back on queue " + q);
            }
        }
        queues.get(0).close();
        assertEquals(0, run("ip", "link", "show", mq).exit(), "one queue still open keeps the interface");
        queues.get(1).close();
        assertNotEquals(0, run("ip", "link", "show", mq).exit(), "the last queue closed removes it");
    }

    // Promise: a second set of queues never joins a running multi-queue TAP (a second server started with the same
    // --tap took half of the first one's uplink traffic): it is refused as in use, and the first keeps its queues.
    @Test
    void queuesAreNotAddedToAnExistingMultiQueueTap() throws Exception {
        String mq = "rqq" + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        names.add(mq);
        List<LinuxTap> queues = LinuxTap.openQueues(mq, MTU, java.util.OptionalLong.empty(), false, 2);
        others.addAll(queues);
        IOException e = assertThrows(IOException.class, () -> others.addAll(LinuxTap.openQueues(mq, MTU, java.util.OptionalLong.empty(), false, 2)));
        assertTrue(e.getMessage().contains("'" + mq + "'") && e.getMessage().contains("name is in use by another device"), e.getMessage());
        try (var list = Files.list(Path.of("/sys/class/net", mq, "queues"))) {
            assertEquals(List.of("rx-0", "rx-1", "tx-0", "tx-1"), list.map(q -> q.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void queuesOutOfRangeAreRefusedNamingTheCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinuxTap.openQueues("rqq1", MTU, java.util.OptionalLong.empty(), false, 0));
        assertEquals("TAP 'rqq1': 0 queues is out of range 1-256", e.getMessage());
    }

    // ---- (b) TAP → host ----

    @Test
    void writtenEchoRequestIsAnsweredByTheKernelThroughRead() throws Exception {
        byte[] payload = new byte[48];
        ThreadLocalRandom.current().nextBytes(payload);
        int id = ThreadLocalRandom.current().nextInt(1, 0xffff);
        byte[] request = TestFrames.ipv4Frame(tap.macAddress(), PEER_MAC, TestFrames.IPPROTO_ICMP,
                InetAddress.getByName(peerIp()).getAddress(), InetAddress.getByName(ownIp()).getAddress(),
                TestFrames.icmpEcho(TestFrames.ICMP_ECHO_REQUEST, id, 7, payload));
        ByteBuf out = direct(request.length + 8);
        out.writeBytes(new byte[8]).writeBytes(request).readerIndex(8); // a frame not at offset 0

        assertTrue(tap.write(out), "the kernel takes the frame");
        assertEquals(8, out.readerIndex(), "reader index unchanged");
        assertEquals(8 + request.length, out.writerIndex(), "writer index unchanged");
        assertEquals(1, out.refCnt());
        assertEquals(0, tap.writeErrors());

        byte[] reply = readUntil(f -> {
            TestFrames.Echo echo = TestFrames.echo(f);
            return echo != null && echo.type() == TestFrames.ICMP_ECHO_REPLY && echo.id() == id;
        });
        TestFrames.Echo echo = TestFrames.echo(reply);
        assertEquals(PEER_MAC, TestFrames.dstMac(reply));
        assertEquals(tap.macAddress(), TestFrames.srcMac(reply));
        assertEquals(7, echo.seq());
        assertArrayEquals(payload, echo.payload());
        assertTrue(echo.checksumOk());
        assertArrayEquals(InetAddress.getByName(ownIp()).getAddress(), TestFrames.ipv4(reply).src());
    }

    @Test
    void aFrameTheKernelRefusesIsCountedNotThrown() {
        ByteBuf runt = direct(16).writeBytes(new byte[5]); // shorter than an Ethernet header: EINVAL
        assertFalse(tap.write(runt));
        assertEquals(1, tap.writeErrors());
    }

    @Test
    void aFrameLargerThanTheBufferIsDroppedAndCountedAndTheNextOneStillArrives() throws Exception {
        sh("ip", "link", "set", "dev", name, "mtu", "3000"); // behind the device's back
        sendUdp(new byte[2500]);
        sendUdp("small".getBytes(StandardCharsets.US_ASCII));
        byte[] frame = readUntil(f -> TestFrames.udp(f) != null && TestFrames.udp(f).dstPort() == UDP_PORT);
        assertArrayEquals("small".getBytes(StandardCharsets.US_ASCII), TestFrames.udp(frame).payload());
        assertEquals(1, tap.oversizeFrames());
    }

    // ---- (c) batching ----

    @Test
    void framesQueuedBeforeReadComeBackInOneCall() throws Exception {
        int frames = 8;
        for (int i = 0; i < frames; i++) {
            sendUdp(("batch-" + i).getBytes(StandardCharsets.US_ASCII));
        }
        TimeUnit.MILLISECONDS.sleep(200); // let the kernel queue them all on the TAP

        ByteBuf[] bufs = buffers(32, tap.frameCapacity() + 4);
        bufs[0].writeInt(0xcafebabe); // read appends at the writer index
        int n = tap.read(bufs, 32);
        assertTrue(n >= frames, "one read returned " + n + " frames");
        assertEquals(0xcafebabe, bufs[0].readInt());
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TestFrames.Udp udp = TestFrames.udp(TestFrames.bytes(bufs[i]));
            if (udp != null && udp.dstPort() == UDP_PORT) {
                payloads.add(new String(udp.payload(), StandardCharsets.US_ASCII));
            }
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            expected.add("batch-" + i);
        }
        assertEquals(expected, payloads, "all frames, in order, in one batch");
        for (int i = n; i < bufs.length; i++) {
            assertEquals(0, bufs[i].writerIndex(), "buffer " + i + " untouched");
        }
    }

    @Test
    void aBatchStopsAtCount() throws Exception {
        for (int i = 0; i < 5; i++) {
            sendUdp(("count-" + i).getBytes(StandardCharsets.US_ASCII));
        }
        TimeUnit.MILLISECONDS.sleep(200);
        ByteBuf[] bufs = buffers(8, tap.frameCapacity());
        assertEquals(2, tap.read(bufs, 2), "count caps the batch");
        assertEquals(0, bufs[2].writerIndex());
        List<String> payloads = new ArrayList<>();
        collectUdp(bufs, 2, payloads);
        int n = tap.read(bufs, 8);
        assertTrue(n >= 3, "the rest was still queued: " + n);
        collectUdp(bufs, n, payloads);
        assertEquals(List.of("count-0", "count-1", "count-2", "count-3", "count-4"), payloads);
    }

    /** Appends the payloads of UDP frames to our port in {@code bufs[0..n)}, then clears all buffers. */
    private static void collectUdp(ByteBuf[] bufs, int n, List<String> payloads) {
        for (int i = 0; i < n; i++) {
            TestFrames.Udp udp = TestFrames.udp(TestFrames.bytes(bufs[i]));
            if (udp != null && udp.dstPort() == UDP_PORT) {
                payloads.add(new String(udp.payload(), StandardCharsets.US_ASCII));
            }
        }
        for (ByteBuf b : bufs) {
            b.clear();
        }
    }

    // ---- the per-frame path allocates nothing ----

    @Test
    void writeAndReadAllocateNothingOnceWarm() throws Exception {
        byte[] request = TestFrames.ipv4Frame(tap.macAddress(), PEER_MAC, TestFrames.IPPROTO_ICMP,
                InetAddress.getByName(peerIp()).getAddress(), InetAddress.getByName(ownIp()).getAddress(),
                TestFrames.icmpEcho(TestFrames.ICMP_ECHO_REQUEST, 0x4711, 1, new byte[56]));
        ByteBuf out = direct(request.length).writeBytes(request);
        ByteBuf[] bufs = buffers(64, tap.frameCapacity());
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int burst = 16;
        int bursts = 200;
        long written = 0;
        long read = 0;
        List<Long> allocatedPerRound = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int b = 0; b < bursts; b++) {
                for (int i = 0; i < burst; i++) {
                    if (tap.write(out)) {
                        written++;
                    }
                }
                // each request makes the host send a reply (and maybe other traffic) out of the TAP
                int got = 0;
                for (int calls = 0; got < burst && calls < burst; calls++) {
                    int n = tap.read(bufs, bufs.length);
                    for (int i = 0; i < n; i++) {
                        bufs[i].clear();
                    }
                    got += Math.max(n, 0);
                }
                read += got;
            }
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            allocatedPerRound.add(bytes);
            if (bytes < 4096) {
                break;
            }
        }
        assertTrue(allocatedPerRound.getLast() < 4096, "bytes allocated per round of " + (burst * bursts)
                + " writes and reads: " + allocatedPerRound);
        assertTrue(read >= written * 9 / 10, "written " + written + ", read " + read);
        System.out.println("allocated per round: " + allocatedPerRound + ", written " + written + ", read " + read);
    }

    // ---- (d) close ----

    @Test
    void closeFromAnotherThreadWakesABlockedReaderAndRemovesTheInterface() throws Exception {
        ByteBuf[] bufs = buffers(4, tap.frameCapacity());
        AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
        AtomicLong returnedAt = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().name("tap-reader-test").start(() -> {
            try {
                int n;
                do {
                    n = tap.read(bufs, 4);
                    for (ByteBuf b : bufs) {
                        b.clear();
                    }
                } while (n >= 0);
                returnedAt.set(System.nanoTime());
                result.set(n);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        TimeUnit.MILLISECONDS.sleep(300);
        assertTrue(reader.isAlive(), "the reader blocks while nothing arrives");

        long closeStart = System.nanoTime();
        tap.close();
        long closeTook = System.nanoTime() - closeStart;
        reader.join(3000);
        assertFalse(reader.isAlive(), "reader still blocked after close");
        assertNull(failure.get(), () -> "failed: " + failure.get());
        assertEquals(-1, result.get());
        long wake = returnedAt.get() - closeStart;
        assertTrue(wake < 500_000_000L, "reader returned " + wake / 1_000_000 + " ms after close (eventfd, not the poll timeout)");
        assertTrue(closeTook < 1_000_000_000L, "close took " + closeTook / 1_000_000 + " ms");

        Result link = run("ip", "link", "show", name);
        assertNotEquals(0, link.exit(), "interface still there: " + link.out());

        assertEquals(-1, tap.read(bufs, 4), "read after close");
        assertFalse(tap.write(direct(64).writeBytes(new byte[64])), "write after close");
        assertEquals(1, tap.writeErrors());
        tap.close(); // idempotent
        assertTrue(tap.isClosed());
    }

    @Test
    void closeWithoutAReaderRemovesTheInterfaceAtOnce() throws Exception {
        tap.close();
        assertNotEquals(0, run("ip", "link", "show", name).exit());
        // the name is free again
        LinuxTap again = LinuxTap.open(name, MTU);
        others.add(again);
        assertEquals(0, run("ip", "link", "show", name).exit());
    }

    @Test
    void writersRacingCloseNeverFailLoudly() throws Exception {
        byte[] frame = TestFrames.ipv4Frame(tap.macAddress(), PEER_MAC, TestFrames.IPPROTO_UDP,
                InetAddress.getByName(peerIp()).getAddress(), InetAddress.getByName(ownIp()).getAddress(),
                new byte[] {0, 9, 0, 9, 0, 8, 0, 0}); // to a closed port: dropped by the host
        List<Thread> writers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong accepted = new AtomicLong();
        for (int t = 0; t < 3; t++) {
            ByteBuf buf = direct(frame.length).writeBytes(frame);
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    while (!tap.isClosed()) {
                        if (tap.write(buf)) {
                            accepted.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        TimeUnit.MILLISECONDS.sleep(100);
        tap.close();
        for (Thread w : writers) {
            w.join(3000);
            assertFalse(w.isAlive());
        }
        assertNull(failure.get(), () -> "failed: " + failure.get());
        assertTrue(accepted.get() > 0);
        assertFalse(tap.write(direct(frame.length).writeBytes(frame)));
        assertNotEquals(0, run("ip", "link", "show", name).exit());
    }

    // ---- (e), (f) errors ----

    @Test
    void openingTheSameNameTwiceSaysItIsInUseAndLeaksNothing() throws Exception {
        long fdsBefore = openFds();
        IOException e = assertThrows(IOException.class, () -> others.add(LinuxTap.open(name, MTU)));
        assertEquals("cannot create TAP '" + name + "': name is in use by another device", e.getMessage());
        assertEquals(fdsBefore, openFds(), "file descriptors of the failed open were closed");
        // the first device is unharmed
        sendUdp("still-there".getBytes(StandardCharsets.US_ASCII));
        assertNotNull(readUntil(f -> TestFrames.udp(f) != null));
    }

    @Test
    void aNameTakenByAnotherKindOfDeviceIsRefused() {
        IOException e = assertThrows(IOException.class, () -> others.add(LinuxTap.open("lo", MTU)));
        assertEquals("cannot create TAP 'lo': name is in use by a device that is not a single-queue TAP",
                e.getMessage());
    }

    @Test
    void anMtuTheKernelRefusesGivesAClearMessageAndLeavesNothing() throws Exception {
        String other = name + "m";
        names.add(other);
        long fdsBefore = openFds();
        IOException e = assertThrows(IOException.class, () -> others.add(LinuxTap.open(other, 65535)));
        assertEquals("cannot create TAP '" + other + "': MTU 65535 is outside the range the kernel accepts"
                + " for a TAP (68 to 65521 on Linux)", e.getMessage());
        assertEquals(fdsBefore, openFds());
        assertNotEquals(0, run("ip", "link", "show", other).exit(), "the half-made interface is gone");
        others.add(LinuxTap.open(other, 65521));
        assertTrue(run("ip", "-o", "link", "show", other).out().contains(" mtu 65521 "));
    }

    @Test
    void badMtuAndNameAreRefusedBeforeTheKernel() {
        assertEquals("invalid MTU 67 for TAP 'rqst0': must be 68 to 65535",
                assertThrows(IllegalArgumentException.class, () -> LinuxTap.open("rqst0", 67)).getMessage());
        assertEquals("invalid TAP name 'rqst/0': contains '/'",
                assertThrows(IllegalArgumentException.class, () -> LinuxTap.open("rqst/0", 1500)).getMessage());
    }

    @Test
    void anInterfaceDeletedUnderTheReaderFailsTheReadWithAClearMessage() throws Exception {
        sh("ip", "link", "del", name);
        ByteBuf[] bufs = buffers(1, tap.frameCapacity());
        IOException e = assertThrows(IOException.class, () -> {
            while (tap.read(bufs, 1) >= 0) {
                bufs[0].clear();
            }
        });
        assertTrue(e.getMessage().startsWith("TAP '" + name + "' failed: the interface was removed from the host"),
                e.getMessage());
    }

    // ---- helpers ----

    private void sendUdp(byte[] payload) throws IOException {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.send(new DatagramPacket(payload, payload.length, InetAddress.getByName(peerIp()), UDP_PORT));
        }
    }

    /** Reads (in batches) until a frame matches, skipping other traffic of the host; fails after 5 s. */
    private byte[] readUntil(Predicate<byte[]> wanted) throws IOException {
        return readUntil(tap, wanted);
    }

    private byte[] readUntil(LinuxTap tap, Predicate<byte[]> wanted) throws IOException {
        ByteBuf[] bufs = buffers(16, tap.frameCapacity());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() - deadline < 0) {
            int n = tap.read(bufs, bufs.length);
            assertTrue(n >= 0, "device closed");
            for (int i = 0; i < n; i++) {
                byte[] frame = TestFrames.bytes(bufs[i]);
                if (wanted.test(frame)) {
                    return frame;
                }
            }
            for (ByteBuf b : bufs) {
                b.clear();
            }
        }
        throw new AssertionError("no matching frame within 5 s");
    }

    private ByteBuf direct(int capacity) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(capacity);
        allocated.add(b);
        return b;
    }

    private ByteBuf[] buffers(int n, int capacity) {
        ByteBuf[] bufs = new ByteBuf[n];
        for (int i = 0; i < n; i++) {
            bufs[i] = direct(capacity);
        }
        return bufs;
    }

    /**
     * How many of this process's file descriptors are of the kinds {@code open} creates (the tun
     * device, eventfds, sockets). Other kinds (pipes of child processes, jars) come and go with GC.
     */
    private static long openFds() throws IOException {
        long count = 0;
        try (var list = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) list::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.equals("/dev/net/tun") || target.equals("anon_inode:[eventfd]")
                            || target.startsWith("socket:")) {
                        count++;
                    }
                } catch (IOException gone) {
                    // closed while listing (e.g. the listing's own descriptor)
                }
            }
        }
        return count;
    }

    /** A 10.250.X.0/24 no interface of this host uses yet. */
    private static int unusedSubnet() throws Exception {
        String used = run("ip", "-o", "-4", "addr", "show").out();
        for (int attempt = 0; attempt < 100; attempt++) {
            int x = ThreadLocalRandom.current().nextInt(1, 255);
            if (!used.contains(" 10.250." + x + ".")) {
                return x;
            }
        }
        throw new IllegalStateException("no free 10.250.X.0/24");
    }

    record Result(int exit, String out) {}

    private static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), out);
    }

    private static void sh(String... command) throws IOException, InterruptedException {
        Result r = run(command);
        if (r.exit() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + r.exit() + "): " + r.out().strip());
        }
    }
}
