package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.it.VpnBed.Site;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lossy link: nftables in the client's namespace drops {@value #LOSS_PERCENT} % of the UDP packets each way, at
 * random (this kernel has no netem). The tunnel comes up through the loss and stays up, TCP inside delivers every
 * byte, and the loss is visible: both ends give QUIC's lost packets and the frames lost each way (from the frame
 * counts their keepalives carry) in the line they log when the session ends. Test mode ({@code -d}), keepalives
 * every 2 s.
 */
@Tag("netns")
class LossyLinkIT {
    static final int LOSS_PERCENT = 5;
    /** Keepalives, which carry the frame counts, every third of it. */
    static final String IDLE = "6s";
    private static final String TABLE = "rqst_lossy_link";

    @TempDir
    Path work;

    private VpnBed bed;

    @BeforeEach
    void createTestbed() {
        bed = new VpnBed(work, "LossyLinkIT");
    }

    @AfterEach
    void closeTestbed() {
        bed.close(); // deleting the namespace deletes its nftables rules
    }

    /**
     * Promise: with 5 % of the UDP packets lost each way (the handshake's too), the client connects, pings and
     * TCP transfers each way arrive byte for byte over the one session it opened (no reconnect), and when it
     * stops, the server's "session closed" line and the client's "disconnected" line each count QUIC packets
     * lost, more than none and less than a fifth of those sent, and the frames lost each way inside the tunnel:
     * between 1 and 15 % of those sent, and the same numbers at both ends.
     */
    @Test
    void tcpArrivesIntactOverALossyLinkAndBothEndsCountTheLoss() {
        Site a = bed.site("a");
        dropUdpAtRandom(a.ns());
        Spawned server = bed.startServer(bed.emptyDir("server-empty"), "-d", "--idle-timeout", IDLE, "--address", "10.8.0.1/24");
        Spawned client = bed.startClient(a.ns(), bed.emptyDir("client-empty"), "client", "-d", "--idle-timeout", IDLE, "--address", "10.8.0.2/24",
                "vpn://" + VpnBed.NAME);
        MatchResult connected = client.awaitLog(VpnBed.CONNECTED, VpnBed.START);
        String session = connected.group(3);
        bed.awaitPing(a.ns(), "10.8.0.1", Duration.ofSeconds(10));
        int size = 4 << 20;
        bed.assertTcpTransfer(a.ns(), bed.server, "10.8.0.1", 5201, size); // client → server
        bed.assertTcpTransfer(bed.server, a.ns(), "10.8.0.2", 5202, size); // server → client
        assertEquals(1, VpnBed.lines(client.log(), VpnBed.CONNECTED).size(), () -> "the client reconnected: " + client.logTail());

        // the goodbye must not be lost, or the server would wait for its idle timeout: the loss ends here
        long dropped = droppedByRules(a.ns());
        assertTrue(dropped > 20, "nftables dropped only " + dropped + " packets");
        bed.sh(a.ns(), "nft", "delete", "table", "inet", TABLE);
        sleep(Duration.ofSeconds(5)); // two keepalive rounds without loss: the latest frame counts cover the transfers
        assertTrue(client.stop(Duration.ofSeconds(10)).isPresent(), "the client did not stop");
        MatchResult closed = server.awaitLog(Pattern.compile("session " + session + " closed: .*; QUIC (\\d+) packets sent, (\\d+) lost"),
                Duration.ofSeconds(10));
        assertLossCounted("server", closed, server);
        MatchResult disconnected = client.awaitLog(Pattern.compile("disconnected from \\S+: session " + session
                + " \\(.*; QUIC (\\d+) packets sent, (\\d+) lost"), Duration.ofSeconds(1));
        assertLossCounted("client", disconnected, client);
        long[] atServer = framesLost("server", closed.group(), server); // to the client, from it
        long[] atClient = framesLost("client", disconnected.group(), client); // to the server, from it
        assertEquals(atServer[0], atClient[2], "frames lost server → client, by the server and by the client");
        assertEquals(atServer[2], atClient[0], "frames lost client → server, by the server and by the client");
        System.out.println("LossyLinkIT: nftables dropped " + dropped + " packets\n"
                + String.join("\n", VpnBed.lines(server.log(), Pattern.compile("session " + session + " closed"))) + "\n"
                + String.join("\n", VpnBed.lines(client.log(), Pattern.compile("disconnected from"))));
    }

    /** Drops {@link #LOSS_PERCENT} % of UDP packets leaving and entering namespace {@code ns}. */
    private void dropUdpAtRandom(String ns) {
        bed.sh(ns, "nft", "add", "table", "inet", TABLE);
        for (String[] hook : new String[][] {{"out", "output"}, {"in", "input"}}) {
            bed.sh(ns, "nft", "add", "chain", "inet", TABLE, hook[0], "{ type filter hook " + hook[1] + " priority 0; }");
            bed.sh(ns, "nft", "add", "rule", "inet", TABLE, hook[0], "meta", "l4proto", "udp", "numgen", "random", "mod", "100",
                    "<", String.valueOf(LOSS_PERCENT), "counter", "drop");
        }
    }

    /** The packets the loss rules in {@code ns} dropped so far, both ways. */
    private long droppedByRules(String ns) {
        String table = bed.sh(ns, "nft", "list", "table", "inet", TABLE);
        Matcher m = Pattern.compile("counter packets (\\d+)").matcher(table);
        long n = 0;
        while (m.find()) {
            n += Long.parseLong(m.group(1));
        }
        return n;
    }

    private static final Pattern FRAMES_LOST = Pattern.compile(
            "frames lost inside the tunnel by the latest reports: (\\d+) of (\\d+) \\([0-9.]+ %\\) to the \\w+, (\\d+) of (\\d+) ");

    /**
     * The frames lost each way in an end's closing line: {lost to the peer, sent to it, lost from it, sent from it}; each
     * way between 1 and 15 % of more than 1000 frames.
     */
    private static long[] framesLost(String end, String line, Spawned p) {
        Matcher m = FRAMES_LOST.matcher(line);
        assertTrue(m.find(), () -> end + " gave no frame loss: " + line);
        long[] n = new long[4];
        for (int i = 0; i < 4; i++) {
            n[i] = Long.parseLong(m.group(i + 1));
        }
        for (int way = 0; way < 4; way += 2) {
            long lost = n[way];
            long sent = n[way + 1];
            String what = (way == 0 ? "to" : "from") + " the peer";
            assertTrue(sent > 1000, () -> end + ": only " + sent + " frames " + what + ": " + line);
            assertTrue(lost >= sent / 100 && lost <= sent * 15 / 100, () -> end + ": " + lost + " of " + sent + " frames " + what
                    + " lost with " + LOSS_PERCENT + " % of the packets dropped: " + p.logTail());
        }
        return n;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static void assertLossCounted(String end, MatchResult m, Spawned p) {
        long sent = Long.parseLong(m.group(1));
        long lost = Long.parseLong(m.group(2));
        assertTrue(sent > 1000, () -> end + " sent only " + sent + " QUIC packets: " + p.logTail());
        assertTrue(lost > 0 && lost < sent / 5, () -> end + " counted " + lost + " of " + sent + " QUIC packets lost with "
                + LOSS_PERCENT + " % dropped: " + p.logTail());
    }
}
