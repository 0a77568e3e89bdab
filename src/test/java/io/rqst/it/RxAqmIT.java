package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import io.rqst.it.VpnBed.Site;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --rx-aqm on}: CoDel on each end's UDP receive queue drops QUIC packets when the queue stands.
 * Whatever it drops, the handshake (never dropped) completes and TCP inside the tunnel delivers every byte.
 * Test mode ({@code -d}).
 */
@Tag("netns")
class RxAqmIT {
    private static final Pattern AQM_ON = Pattern.compile("receive queue: CoDel on \\(target 500us, interval 5ms; longer");
    private static final Pattern AQM_EAGER = Pattern.compile("receive queue: CoDel on \\(target 50us, interval 1ms; longer");
    private static final Pattern DROPPED = Pattern.compile("receive queue: [1-9][0-9]* packets dropped so far on this event loop");

    @TempDir
    Path work;

    private VpnBed bed;

    @BeforeEach
    void createTestbed() {
        bed = new VpnBed(work, "RxAqmIT");
    }

    @AfterEach
    void closeTestbed() {
        bed.close();
    }

    /**
     * Promise: with CoDel at both ends (the server with {@code on}, the client with an eager 50us/1ms so that a
     * full-speed download surely makes it drop), both say so at start, the tunnel comes up, full-speed
     * transfers each way arrive byte for byte although packets were dropped, and the drops are counted in
     * the log when the client stops.
     */
    @Test
    void withCoDelOnBothEndsTheTunnelComesUpAndTcpArrivesIntactThroughItsDrops() {
        Site a = bed.site("a");
        Spawned server = bed.startServer(bed.emptyDir("server-empty"), "-d", "--rx-aqm", "on", "--address", "10.8.0.1/24");
        Spawned client = bed.startClient(a.ns(), bed.emptyDir("client-empty"), "client", "-d", "--rx-aqm", "50us/1ms",
                "--address", "10.8.0.2/24", "vpn://" + VpnBed.NAME);
        client.awaitLog(VpnBed.CONNECTED, VpnBed.START);
        assertTrue(AQM_ON.matcher(server.log()).find(), server.logTail());
        assertTrue(AQM_EAGER.matcher(client.log()).find(), client.logTail());
        bed.assertPings(a.ns(), "10.8.0.1", 3);
        int size = 64 << 20;
        bed.assertTcpTransfer(a.ns(), bed.server, "10.8.0.1", 5101, size); // client → server
        bed.assertTcpTransfer(bed.server, a.ns(), "10.8.0.2", 5102, size); // server → client
        bed.assertPings(bed.server, "10.8.0.2", 3);
        assertTrue(client.stop(Duration.ofSeconds(10)).isPresent(), "the client did not stop");
        assertTrue(DROPPED.matcher(client.log()).find(), () -> "no CoDel drops counted by the client: " + client.logTail());
    }
}
