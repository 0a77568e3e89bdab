package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.it.VpnBed.Site;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --cc}: the outer congestion controllers other than the default cubic carry a real tunnel. Each end
 * runs the one it was given for what it sends, says so in its start line, and TCP inside delivers every byte
 * at full speed each way. Test mode ({@code -d}).
 */
@Tag("netns")
class CongestionControlIT {
    @TempDir
    Path work;

    private VpnBed bed;

    @BeforeEach
    void createTestbed() {
        bed = new VpnBed(work, "CongestionControlIT");
    }

    @AfterEach
    void closeTestbed() {
        bed.close();
    }

    /**
     * Promise: with {@code --cc CC} on both ends, the server's "listening on" line and the client's "connected to"
     * line name CC, pings pass, and 64 MiB of TCP arrive intact each way over the one session.
     */
    @ParameterizedTest
    @ValueSource(strings = {"bbr", "reno"})
    void aTunnelWithThisCongestionControlCarriesTcpIntactBothWays(String cc) {
        Site a = bed.site("a");
        Spawned server = bed.startServer(bed.emptyDir("server-empty"), "-d", "--cc", cc, "--address", "10.8.0.1/24");
        Spawned client = bed.startClient(a.ns(), bed.emptyDir("client-empty"), "client", "-d", "--cc", cc,
                "--address", "10.8.0.2/24", "vpn://" + VpnBed.NAME);
        client.awaitLog(VpnBed.CONNECTED, VpnBed.START);
        assertTrue(Pattern.compile("INFO listening on .*congestion control " + cc + "[,)]").matcher(server.log()).find(), server.logTail());
        assertTrue(Pattern.compile("INFO connected to .*, congestion control " + cc + "$", Pattern.MULTILINE).matcher(client.log()).find(),
                client.logTail());
        bed.assertPings(a.ns(), "10.8.0.1", 3);
        int size = 64 << 20;
        bed.assertTcpTransfer(a.ns(), bed.server, "10.8.0.1", 5301, size); // client → server
        bed.assertTcpTransfer(bed.server, a.ns(), "10.8.0.2", 5302, size); // server → client
        assertEquals(1, VpnBed.lines(client.log(), VpnBed.CONNECTED).size(), () -> "the client reconnected: " + client.logTail());
        assertTrue(client.stop(Duration.ofSeconds(10)).isPresent(), "the client did not stop");
    }
}
