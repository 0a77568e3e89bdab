package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.it.VpnBed.Site;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TAP read on a thread of its own ({@code TapReader}) instead of on the connection's event loop: the
 * path a server or client takes when it cannot poll the TAP on an epoll loop, forced here with
 * {@code -Drqst.tapThread=true}. Frames then cross from the reader thread to the event loop in pooled
 * batches. Real TAPs, a real QUIC connection, test mode ({@code -d}).
 */
@Tag("netns")
class TapThreadIT {
    private static final Map<String, String> TAP_THREAD = Map.of("RQST_JAVA_OPTS", "-Drqst.tapThread=true");

    @TempDir
    Path work;

    private VpnBed bed;

    @BeforeEach
    void createTestbed() {
        bed = new VpnBed(work, "TapThreadIT");
    }

    @AfterEach
    void closeTestbed() {
        bed.close();
    }

    /**
     * Promise: with both ends reading their TAP on a reader thread (the threads exist: {@code
     * rqst-uplink-reader} in the server, {@code rqst-tap-reader} in the client), pings go both ways and
     * full-speed TCP transfers each way arrive byte for byte.
     */
    @Test
    void withReaderThreadsAtBothEndsPingsAndTcpTransfersArriveIntact() {
        Site a = bed.site("a");
        Spawned server = bed.startServer(TAP_THREAD, bed.emptyDir("server-empty"), "-d", "--address", "10.8.0.1/24");
        Spawned client = bed.startClient(TAP_THREAD, a.ns(), bed.emptyDir("client-empty"), "client", "-d",
                "--address", "10.8.0.2/24", "vpn://" + VpnBed.NAME);
        assertTrue(threadNames(server).contains("rqst-uplink-rea"), () -> "no uplink reader thread in the server: "
                + threadNames(server));
        assertTrue(threadNames(client).contains("rqst-tap-reader"), () -> "no TAP reader thread in the client: "
                + threadNames(client));
        bed.assertPings(a.ns(), "10.8.0.1", 3);
        bed.assertPings(bed.server, "10.8.0.2", 3);
        int size = 32 << 20;
        bed.assertTcpTransfer(a.ns(), bed.server, "10.8.0.1", 5201, size); // client → server
        bed.assertTcpTransfer(bed.server, a.ns(), "10.8.0.2", 5202, size); // server → client
        assertTrue(client.stop(Duration.ofSeconds(10)).isPresent(), "the client did not stop");
    }

    /** The names of the process's threads as the kernel keeps them (at most 15 characters). */
    private static List<String> threadNames(Spawned p) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(p.pid()), "task"))) {
            return tasks.map(t -> {
                try {
                    return Files.readString(t.resolve("comm")).strip();
                } catch (IOException gone) {
                    return ""; // the thread ended while we looked
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the threads of " + p, e);
        }
    }
}
