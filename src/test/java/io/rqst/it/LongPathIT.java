package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.it.VpnBed.Site;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A path with a {@value #ONE_WAY_MS} ms delay each way: the client reaches the server through bench/udp-delay.c,
 * a UDP relay in its namespace (this kernel has no netem). Over it, both ends' UDP receive buffers grow from
 * their LAN size (512 KiB, which the kernel reports as 1 MiB) to 4 MiB, past net.core.rmem_max if need be,
 * and the server's shrinks back when the client leaves; so does the interval of the server's receive-queue CoDel
 * ({@code --rx-aqm on}). Test mode ({@code -d}).
 */
@Tag("netns")
class LongPathIT {
    static final int ONE_WAY_MS = 20;
    static final int RELAY_PORT = 4000;
    /** What ss reports for a 512 KiB and a 4 MiB receive buffer (the kernel doubles what is set). */
    static final long LAN_RB = 1L << 20;
    static final long LONG_RB = 8L << 20;

    @TempDir
    Path work;

    private VpnBed bed;

    @BeforeEach
    void createTestbed() {
        bed = new VpnBed(work, "LongPathIT");
    }

    @AfterEach
    void closeTestbed() {
        bed.close(); // the relay runs in the client's namespace and goes with it
    }

    /**
     * Promise: over a 40 ms round trip the tunnel comes up, its ping takes the round trip, TCP arrives intact,
     * the server's and the client's QUIC sockets hold 4 MiB receive buffers, and the server's CoDel interval
     * has grown to at least the round trip; once the client has stopped, the buffer is back at 512 KiB and the
     * interval at 5 ms.
     */
    @Test
    void overAFortyMillisecondPathTheReceiveBuffersGrowAndShrinkBackWhenTheClientLeaves() throws Exception {
        Site a = bed.site("a");
        Path relay = work.resolve("udp-delay");
        Path source = VpnBed.launcher().getParent().resolve("bench/udp-delay.c");
        bed.sh(bed.server, "gcc", "-O2", "-o", relay.toString(), source.toString());
        bed.tb.spawn(a.ns(), work.resolve("relay.log"), relay.toString(), String.valueOf(RELAY_PORT), a.serverV4(), "3456",
                String.valueOf(ONE_WAY_MS));
        // with CoDel on (and -v for its retuning lines), whose interval follows the round trip too
        Spawned server = bed.startServer(bed.emptyDir("server-empty"), "-d", "-v", "--rx-aqm", "on", "--address", "10.8.0.1/24");
        assertEquals(LAN_RB, receiveBuffer(bed.server, ":3456"), "a LAN-sized buffer before any client");
        Spawned client = bed.startClient(a.ns(), bed.emptyDir("client-empty"), "client", "-d", "--address", "10.8.0.2/24",
                "vpn://127.0.0.1:" + RELAY_PORT);
        bed.awaitPing(a.ns(), "10.8.0.1", Duration.ofSeconds(10));
        Testbed.PingResult ping = Testbed.PingResult.parse(bed.sh(a.ns(), "ping", "-c", "3", "-i", "0.2", "10.8.0.1"));
        assertTrue(ping.rtt().isPresent() && ping.rtt().get().minMs() >= 2 * ONE_WAY_MS, "the ping takes the relay's round trip: "
                + ping.output());

        // a connection's round trip counts once it has received 64 packets (the handshake's sample has faded by then)
        bed.assertTcpTransfer(a.ns(), bed.server, "10.8.0.1", 5301, 4 << 20);
        awaitReceiveBuffer(bed.server, ":3456", LONG_RB, server);
        awaitReceiveBuffer(a.ns(), "\"java\"", LONG_RB, client); // the client's socket is unconnected: found by its process
        Matcher interval = Pattern.compile("receive queue: CoDel interval (\\d+)ms").matcher(server.log());
        long longest = 0;
        while (interval.find()) {
            longest = Math.max(longest, Long.parseLong(interval.group(1)));
        }
        assertTrue(longest >= 2 * ONE_WAY_MS, "CoDel's interval grew to the round trip: " + longest + " ms\n" + server.logTail());

        assertTrue(client.stop(Duration.ofSeconds(10)).isPresent(), "the client did not stop");
        server.awaitLog(Pattern.compile("session \\w+ closed"), Duration.ofSeconds(10));
        awaitReceiveBuffer(bed.server, ":3456", LAN_RB, server);
        server.awaitLog(Pattern.compile("receive queue: CoDel interval 5ms, target 500us"), Duration.ofSeconds(5));
    }

    private void awaitReceiveBuffer(String ns, String needle, long expected, Spawned owner) throws InterruptedException {
        long got = -1;
        for (int i = 0; i < 50 && (got = receiveBuffer(ns, needle)) != expected; i++) {
            Thread.sleep(100);
        }
        long last = got;
        assertEquals(expected, last, () -> "largest receive buffer of the UDP sockets matching " + needle + " in " + ns + ":\n"
                + bed.sh(ns, "ss", "-uamnp") + "\n" + owner.logTail());
    }

    /**
     * The largest receive buffer (ss's rb) of the UDP sockets whose line in {@code ss -uamnp} contains {@code needle},
     * or -1: a server has a socket per thread on its port, and a connection's round trip sizes the buffer of its own.
     */
    private long receiveBuffer(String ns, String needle) {
        String[] lines = bed.sh(ns, "ss", "-uamnp").split("\n");
        long largest = -1;
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].contains(needle)) {
                Matcher m = Pattern.compile("rb(\\d+)").matcher(lines[i + 1]);
                if (m.find()) {
                    largest = Math.max(largest, Long.parseLong(m.group(1)));
                }
            }
        }
        return largest;
    }
}
