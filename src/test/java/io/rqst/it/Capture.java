package io.rqst.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A running {@code tcpdump} on one interface of a namespace, writing a pcap file
 * ({@link Testbed#capture}). {@link #frames()} reads the Ethernet frames it holds, so that tests can
 * assert which MAC addresses reached an interface.
 */
public final class Capture implements AutoCloseable {

    /** An Ethernet frame as captured: MACs as {@code aa:bb:cc:dd:ee:ff}, the EtherType (0x8100 if tagged). */
    public record Frame(String dst, String src, int etherType, byte[] bytes) {
        @Override
        public String toString() {
            return src + " > " + dst + String.format(" type 0x%04x", etherType) + " length " + bytes.length;
        }
    }

    /** pcap file magic numbers (microsecond and nanosecond timestamps), read big-endian. */
    private static final int PCAP_MAGIC_MICROS = 0xa1b2c3d4;
    private static final int PCAP_MAGIC_NANOS = 0xa1b23c4d;
    private static final int PCAP_HEADER = 24;
    private static final int PCAP_RECORD_HEADER = 16;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int ETHERNET_HEADER = 14;
    private static final HexFormat MAC = HexFormat.ofDelimiter(":");
    private static final Pattern LISTENING = Pattern.compile("listening on ");

    private final Spawned tcpdump;
    private final Path pcapFile;

    private Capture(Spawned tcpdump, Path pcapFile) {
        this.tcpdump = tcpdump;
        this.pcapFile = pcapFile;
    }

    /** Starts {@code tcpdump} and returns once it captures; its messages go to {@code pcapFile + ".log"}. */
    static Capture start(Testbed testbed, String ns, String ifname, Path pcapFile, String... filter) {
        List<String> argv = new ArrayList<>(List.of(
                // --immediate-mode: hand each frame over at once, not by the (up to 1 s) buffer block,
                // or frames still buffered when tcpdump is stopped would be lost.
                "tcpdump", "-i", ifname, "-w", pcapFile.toString(), "-U", "--immediate-mode", "-n", "-Z", "root"));
        argv.addAll(Arrays.asList(filter));
        Path log = pcapFile.resolveSibling(pcapFile.getFileName() + ".log");
        Spawned tcpdump = testbed.spawn(ns, log, argv.toArray(String[]::new));
        tcpdump.awaitLog(LISTENING, Duration.ofSeconds(10));
        return new Capture(tcpdump, pcapFile);
    }

    public Path pcapFile() {
        return pcapFile;
    }

    /** The frames captured so far ({@code tcpdump -U} writes each one as it comes). */
    public List<Frame> frames() {
        return read(pcapFile);
    }

    /**
     * Stops {@code tcpdump} (INT, so that it writes everything out) and returns all frames it captured.
     * First waits until the capture file has not grown for 200 ms (at most 2 s): a frame the kernel has
     * already handed to tcpdump's socket is lost if INT arrives before tcpdump was scheduled to read it,
     * as happened on a loaded CI machine (5 of 6 frames).
     */
    public List<Frame> stop() {
        if (tcpdump.isAlive()) {
            awaitFileQuiet(Duration.ofMillis(200), Duration.ofSeconds(2));
        }
        if (tcpdump.signal("INT") && !tcpdump.waitFor(Duration.ofSeconds(5))) {
            tcpdump.stop(Duration.ZERO);
        }
        return frames();
    }

    private void awaitFileQuiet(Duration quiet, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        long size = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long now;
            try {
                now = Files.exists(pcapFile) ? Files.size(pcapFile) : 0;
            } catch (IOException e) {
                return;
            }
            if (now != size) {
                size = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince >= quiet.toNanos()) {
                return;
            }
            Testbed.sleep(Duration.ofMillis(50));
        }
    }

    /** Stops {@code tcpdump} if it still runs. */
    @Override
    public void close() {
        stop();
    }

    /** Reads the Ethernet frames of a pcap file; a record cut short at the end (still being written) is left out. */
    public static List<Frame> read(Path pcapFile) {
        ByteBuffer in;
        try {
            in = ByteBuffer.wrap(Files.readAllBytes(pcapFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (in.remaining() < PCAP_HEADER) {
            return List.of();
        }
        int magic = in.order(ByteOrder.BIG_ENDIAN).getInt(0);
        if (magic != PCAP_MAGIC_MICROS && magic != PCAP_MAGIC_NANOS) {
            in.order(ByteOrder.LITTLE_ENDIAN);
            magic = in.getInt(0);
            if (magic != PCAP_MAGIC_MICROS && magic != PCAP_MAGIC_NANOS) {
                throw new IllegalArgumentException(pcapFile + " is not a pcap file");
            }
        }
        int linkType = in.getInt(20) & 0x0fffffff; // the top bits may carry FCS information
        if (linkType != LINKTYPE_ETHERNET) {
            throw new IllegalArgumentException(pcapFile + " holds link type " + linkType + ", not Ethernet");
        }
        List<Frame> frames = new ArrayList<>();
        in.position(PCAP_HEADER);
        while (in.remaining() >= PCAP_RECORD_HEADER) {
            int captured = in.getInt(in.position() + 8);
            if (captured < 0 || in.remaining() < PCAP_RECORD_HEADER + captured) {
                break;
            }
            in.position(in.position() + PCAP_RECORD_HEADER);
            byte[] bytes = new byte[captured];
            in.get(bytes);
            if (bytes.length >= ETHERNET_HEADER) {
                frames.add(new Frame(MAC.formatHex(bytes, 0, 6), MAC.formatHex(bytes, 6, 12),
                        ((bytes[12] & 0xff) << 8) | (bytes[13] & 0xff), bytes));
            }
        }
        return frames;
    }
}
