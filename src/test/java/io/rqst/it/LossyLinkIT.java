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
 * byte, and the loss is visible: both ends give QUIC's lost packets in the line they log when the session ends.
 * Test mode ({@code -d}).
 */
@Tag("netns")
class LossyLinkIT {
    static final int LOSS_PERCENT = 5;
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
     * lost, more than none and less than a fifth of those sent.
     */
    @Test
    void tcpArrivesIntactOverALossyLinkAndBothEndsCountTheLoss() {
        Site a = bed.site("a");
        dropUdpAtRandom(a.ns());
        Spawned server = bed.startServer(bed.emptyDir("server-empty"), "-d", "--address", "10.8.0.1/24");
        Spawned client = bed.startClient(a.ns(), bed.emptyDir("client-empty"), "client", "-d", "--address", "10.8.0.2/24",
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
        assertTrue(client.stop(Duration.ofSeconds(10)).isPresent(), "the client did not stop");
        MatchResult closed = server.awaitLog(Pattern.compile("session " + session + " closed: .*; QUIC (\\d+) packets sent, (\\d+) lost"),
                Duration.ofSeconds(10));
        assertLossCounted("server", closed, server);
        MatchResult disconnected = client.awaitLog(Pattern.compile("disconnected from \\S+: session " + session
                + " \\(.*; QUIC (\\d+) packets sent, (\\d+) lost"), Duration.ofSeconds(1));
        assertLossCounted("client", disconnected, client);
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

    private static void assertLossCounted(String end, MatchResult m, Spawned p) {
        long sent = Long.parseLong(m.group(1));
        long lost = Long.parseLong(m.group(2));
        assertTrue(sent > 1000, () -> end + " sent only " + sent + " QUIC packets: " + p.logTail());
        assertTrue(lost > 0 && lost < sent / 5, () -> end + " counted " + lost + " of " + sent + " QUIC packets lost with "
                + LOSS_PERCENT + " % dropped: " + p.logTail());
    }
}
