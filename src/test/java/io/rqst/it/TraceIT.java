package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.it.VpnBed.Site;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -Drqst.trace=FILE} ({@code io.rqst.trace.Trace}, read by {@code bench/ping-stages.sh}) through a real tunnel:
 * each end writes its marks when it stops. Real TAPs, a real QUIC connection, test mode ({@code -d}).
 */
@Tag("netns")
class TraceIT {
    /** Every point {@code Trace} marks, by the name it writes. */
    private static final Set<String> POINTS = Set.of("udp-in", "udp-read-done", "datagram-in", "read-complete",
            "tap-write", "tap-write-done", "tap-poll", "tap-read", "udp-write", "udp-flush", "udp-flush-done");

    @TempDir
    Path work;

    private VpnBed bed;

    @BeforeEach
    void createTestbed() {
        bed = new VpnBed(work, "TraceIT");
    }

    @AfterEach
    void closeTestbed() {
        bed.close();
    }

    /**
     * Promise: after pings through the tunnel both ends, once stopped, have written every point, and each saw the
     * pings' 98-byte frames (an ICMP echo in Ethernet) come out of QUIC.
     */
    @Test
    void bothEndsWriteEveryPointAndThePingsFramesWhenTheyStop() throws IOException {
        Site a = bed.site("a");
        Path srvFile = work.resolve("trace-srv.txt");
        Path cliFile = work.resolve("trace-cli.txt");
        Spawned server = bed.startServer(Map.of("RQST_JAVA_OPTS", "-Drqst.trace=" + srvFile), bed.emptyDir("server-empty"),
                "-d", "--address", "10.8.0.1/24");
        Spawned client = bed.startClient(Map.of("RQST_JAVA_OPTS", "-Drqst.trace=" + cliFile), a.ns(),
                bed.emptyDir("client-empty"), "client", "-d", "--address", "10.8.0.2/24", "vpn://" + VpnBed.NAME);
        bed.assertPings(a.ns(), "10.8.0.1", 3);
        assertTrue(client.stop(Duration.ofSeconds(10)).isPresent(), "the client did not stop");
        assertTrue(server.stop(Duration.ofSeconds(10)).isPresent(), "the server did not stop");
        for (Path f : List.of(srvFile, cliFile)) {
            assertTrue(Files.isRegularFile(f), () -> "no trace written at " + f);
            List<String[]> marks = Files.readAllLines(f).stream().map(l -> l.split(" ")).toList();
            Set<String> seen = new TreeSet<>();
            for (String[] m : marks) {
                assertEquals(4, m.length, () -> "a mark line is not 'time point argument thread': " + String.join(" ", m));
                seen.add(m[1]);
            }
            assertEquals(new TreeSet<>(POINTS), seen, () -> "points written to " + f);
            long pingFrames = marks.stream().filter(m -> m[1].equals("datagram-in") && m[2].equals("98")).count();
            assertTrue(pingFrames >= 3, () -> f + " has " + pingFrames + " 98-byte DATAGRAMs, not the 3 pings'");
        }
    }
}
