package io.rqst.pcap;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapWriterTest {

    @TempDir
    Path dir;

    /** One parsed pcap record. */
    record Record(long seconds, long micros, int originalLength, byte[] data) {}

    /** Parses a whole classic pcap file, checking its global header. */
    static List<Record> parse(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(), "magic");
        assertEquals(2, b.getShort(), "version major");
        assertEquals(4, b.getShort(), "version minor");
        assertEquals(0, b.getInt(), "thiszone");
        assertEquals(0, b.getInt(), "sigfigs");
        assertEquals(65535, b.getInt(), "snaplen");
        assertEquals(1, b.getInt(), "linktype");
        List<Record> out = new ArrayList<>();
        while (b.hasRemaining()) {
            long seconds = Integer.toUnsignedLong(b.getInt());
            long micros = Integer.toUnsignedLong(b.getInt());
            int captured = b.getInt();
            int original = b.getInt();
            assertTrue(micros < 1_000_000, "micros " + micros);
            assertTrue(captured <= 65535 && captured <= original, captured + " of " + original);
            byte[] data = new byte[captured];
            b.get(data);
            out.add(new Record(seconds, micros, original, data));
        }
        return out;
    }

    /** An ARP request from 02:00:5e:10:00:01 (10.8.0.1) for 10.8.0.2, as a host would send it. */
    static byte[] arpRequest() {
        return HexFormat.of().parseHex("ffffffffffff" + "02005e100001" + "0806"
                + "0001" + "0800" + "06" + "04" + "0001" + "02005e100001" + "0a080001" + "000000000000" + "0a080002");
    }

    /** A minimal IPv4/UDP frame 02:00:00:00:0a:01 → 02:00:5e:10:00:01 with {@code payload}. */
    static byte[] udpFrame(byte[] payload) {
        ByteBuffer f = ByteBuffer.allocate(14 + 20 + 8 + payload.length);
        f.put(HexFormat.of().parseHex("02005e100001" + "020000000a01" + "0800"));
        f.put((byte) 0x45).put((byte) 0).putShort((short) (28 + payload.length)).putInt(0).put((byte) 64).put((byte) 17)
                .putShort((short) 0).put(new byte[] {10, 8, 0, 2}).put(new byte[] {10, 8, 0, 1});
        f.putShort((short) 40000).putShort((short) 53).putShort((short) (8 + payload.length)).putShort((short) 0);
        f.put(payload);
        return f.array();
    }

    @Test
    void writesAGlobalHeaderAndOneRecordPerFrame() throws Exception {
        Path file = dir.resolve("a.pcap");
        byte[] arp = arpRequest();
        byte[] udp = udpFrame("hello".getBytes(StandardCharsets.US_ASCII));
        ByteBuf heap = Unpooled.buffer().writeBytes(new byte[] {1, 2, 3}).writeBytes(arp);
        heap.readerIndex(3);
        ByteBuf direct = Unpooled.directBuffer().writeBytes(udp);
        CompositeByteBuf composite = Unpooled.compositeBuffer()
                .addComponents(true, Unpooled.wrappedBuffer(udp, 0, 20), Unpooled.wrappedBuffer(udp, 20, udp.length - 20));
        try (PcapWriter w = PcapWriter.open(file)) {
            assertEquals(file, w.path());
            assertEquals(24, Files.size(file)); // the header is on disk at once
            w.write(heap, 1_700_000_000_123_456L);
            w.write(direct, 1_700_000_001_000_000L);
            w.write(composite, 999_999L);
            w.write(Unpooled.EMPTY_BUFFER, 0);
        }
        assertEquals(3, heap.readerIndex());
        assertEquals(3 + arp.length, heap.writerIndex());
        assertEquals(0, direct.readerIndex());
        assertEquals(udp.length, direct.writerIndex());
        assertEquals(1, direct.refCnt());
        List<Record> records = parse(file);
        assertEquals(4, records.size());
        assertRecord(records.get(0), 1_700_000_000L, 123_456, arp);
        assertRecord(records.get(1), 1_700_000_001L, 0, udp);
        assertRecord(records.get(2), 0, 999_999, udp);
        assertRecord(records.get(3), 0, 0, new byte[0]);
        direct.release();
        composite.release();
    }

    static void assertRecord(Record r, long seconds, long micros, byte[] frame) {
        assertEquals(seconds, r.seconds());
        assertEquals(micros, r.micros());
        assertEquals(frame.length, r.originalLength());
        assertArrayEquals(frame, r.data());
    }

    @Test
    void framesLongerThanTheSnaplenAreCut() throws Exception {
        Path file = dir.resolve("big.pcap");
        byte[] big = new byte[70_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        try (PcapWriter w = PcapWriter.open(file)) {
            w.write(Unpooled.wrappedBuffer(big), 5);
            w.write(Unpooled.wrappedBuffer(big, 0, 65535), 6);
        }
        List<Record> records = parse(file);
        assertEquals(70_000, records.get(0).originalLength());
        assertArrayEquals(java.util.Arrays.copyOf(big, 65535), records.get(0).data());
        assertEquals(65535, records.get(1).originalLength());
        assertEquals(65535, records.get(1).data().length);
    }

    @Test
    void bufferGoesToTheFileWhenItFillsAndOnFlush() throws Exception {
        Path file = dir.resolve("fill.pcap");
        byte[] frame = udpFrame(new byte[1458]); // 1500-byte frame
        int perBuffer = PcapWriter.BUFFER_BYTES / (16 + 1500);
        try (PcapWriter w = PcapWriter.open(file)) {
            w.write(Unpooled.wrappedBuffer(frame), 1);
            assertEquals(24, Files.size(file), "buffered, not yet written");
            w.flush();
            assertEquals(24 + 16 + 1500, Files.size(file));
            for (int i = 0; i < perBuffer; i++) {
                w.write(Unpooled.wrappedBuffer(frame), 2 + i);
            }
            assertEquals(1, parse(file).size(), "a full buffer, not yet written");
            w.write(Unpooled.wrappedBuffer(frame), 2 + perBuffer); // does not fit: the buffer goes out first
            assertEquals(1 + perBuffer, parse(file).size());
        }
        List<Record> records = parse(file);
        assertEquals(perBuffer + 2, records.size());
        for (int i = 0; i < records.size(); i++) {
            assertEquals(1 + i, records.get(i).micros());
            assertArrayEquals(frame, records.get(i).data());
        }
    }

    @Test
    void concurrentWritersNeverInterleaveRecords() throws Exception {
        Path file = dir.resolve("threads.pcap");
        int threads = 4;
        int perThread = 2000;
        try (PcapWriter w = PcapWriter.open(file)) {
            List<Thread> ts = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts.add(Thread.ofPlatform().start(() -> {
                    ByteBuf buf = Unpooled.directBuffer(2000);
                    try {
                        for (int i = 0; i < perThread; i++) {
                            int length = 14 + (i * 37 + id * 11) % 1400;
                            buf.clear();
                            for (int k = 0; k < length; k++) {
                                buf.writeByte(id * 64 + (i + k) % 64); // thread id and sequence in every byte
                            }
                            w.write(buf, id * 1_000_000_000L + i);
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    } finally {
                        buf.release();
                    }
                }));
            }
            for (Thread t : ts) {
                t.join(TimeUnit.MINUTES.toMillis(1));
            }
            assertEquals(List.of(), errors);
        }
        List<Record> records = parse(file);
        assertEquals(threads * perThread, records.size());
        int[] next = new int[threads];
        Set<Long> stamps = new HashSet<>();
        for (Record r : records) {
            long stamp = r.seconds() * 1_000_000 + r.micros();
            assertTrue(stamps.add(stamp));
            int id = (int) (stamp / 1_000_000_000L);
            int i = (int) (stamp % 1_000_000_000L);
            assertEquals(next[id]++, i, "records of one thread stay in order");
            assertEquals(14 + (i * 37 + id * 11) % 1400, r.data().length);
            for (int k = 0; k < r.data().length; k++) {
                assertEquals((byte) (id * 64 + (i + k) % 64), r.data()[k]);
            }
        }
    }

    @Test
    void writeAfterCloseIsIgnoredAndCloseIsIdempotent() throws Exception {
        Path file = dir.resolve("closed.pcap");
        PcapWriter w = PcapWriter.open(file);
        w.write(Unpooled.wrappedBuffer(arpRequest()), 1);
        w.close();
        long size = Files.size(file);
        w.write(Unpooled.wrappedBuffer(arpRequest()), 2);
        w.flush();
        w.close();
        assertEquals(size, Files.size(file));
        assertEquals(1, parse(file).size());
    }

    @Test
    void newFilesArePrivateAndExistingOnesAreTruncated() throws Exception {
        Path file = dir.resolve("p.pcap");
        Files.write(file, new byte[1000]);
        try (PcapWriter w = PcapWriter.open(file)) {
            w.flush();
        }
        assertEquals(24, Files.size(file));
        Path fresh = dir.resolve("fresh.pcap");
        PcapWriter.open(fresh).close();
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(fresh));
    }

    @Test
    void failureToCreateNamesTheFile() {
        Path missing = dir.resolve("no/such/dir/x.pcap");
        IOException e = assertThrows(IOException.class, () -> PcapWriter.open(missing));
        assertEquals("cannot create pcap file " + missing + ": no such file or directory", e.getMessage());
        IOException d = assertThrows(IOException.class, () -> PcapWriter.open(dir));
        assertTrue(d.getMessage().startsWith("cannot create pcap file " + dir + ": "), d.getMessage());
    }

    @Test
    void writingAllocatesNothing() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        byte[] frame = udpFrame(new byte[60]);
        List<ByteBuf> bufs = List.of(Unpooled.buffer().writeBytes(frame), Unpooled.directBuffer().writeBytes(frame),
                PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(frame),
                PooledByteBufAllocator.DEFAULT.heapBuffer().writeBytes(frame));
        Path file = dir.resolve("alloc.pcap");
        try (PcapWriter w = PcapWriter.open(file)) {
            for (int round = 0; round < 5; round++) {
                long before = threads.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 500; i++) { // 2000 * 118 bytes: stays in the buffer
                    for (int k = 0; k < bufs.size(); k++) { // indexed: an iterator would allocate
                        w.write(bufs.get(k), i);
                    }
                }
                long allocated = threads.getThreadAllocatedBytes(tid) - before;
                w.flush();
                if (round == 4) {
                    assertTrue(allocated < 1024, "allocated " + allocated + " bytes for 2000 writes");
                }
            }
        }
        List<Record> records = parse(file);
        assertEquals(5 * 500 * bufs.size(), records.size());
        records.forEach(r -> assertArrayEquals(frame, r.data()));
        bufs.forEach(ByteBuf::release);
    }

    @Test
    void tcpdumpReadsTheFileAndShowsTheMacs() throws Exception {
        Path tcpdump = Path.of("/usr/bin/tcpdump");
        assumeTrue(Files.isExecutable(tcpdump), "tcpdump is not installed");
        Path file = dir.resolve("tcpdump.pcap");
        try (PcapWriter w = PcapWriter.open(file)) {
            w.write(Unpooled.wrappedBuffer(arpRequest()), 1_700_000_000_000_000L);
            w.write(Unpooled.wrappedBuffer(udpFrame("hi".getBytes(StandardCharsets.US_ASCII))), 1_700_000_000_500_000L);
        }
        Process p = new ProcessBuilder(tcpdump.toString(), "-r", file.toString(), "-nn", "-e", "-tt")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("link-type EN10MB (Ethernet)"), out);
        List<String> lines = out.lines().filter(l -> l.startsWith("1700000000.")).toList();
        assertEquals(2, lines.size(), out);
        assertTrue(lines.get(0).startsWith("1700000000.000000 02:00:5e:10:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)"), out);
        assertTrue(lines.get(0).contains("Request who-has 10.8.0.2 tell 10.8.0.1"), out);
        assertTrue(lines.get(1).startsWith("1700000000.500000 02:00:00:00:0a:01 > 02:00:5e:10:00:01, ethertype IPv4 (0x0800)"), out);
        assertTrue(lines.get(1).contains("10.8.0.2.40000 > 10.8.0.1.53"), out);
    }
}
