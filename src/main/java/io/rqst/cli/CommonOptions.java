package io.rqst.cli;

import io.rqst.config.Durations;
import io.rqst.transport.QuicSettings;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options both the server and the client take. */
final class CommonOptions {
    @Option(names = {"-d", "--disable-verify", "--disable_verify"},
            description = "Test mode: do not verify the peer's certificate (traffic is still encrypted). No certificate files are needed.")
    boolean disableVerify;

    @Option(names = "--ca", paramLabel = "FILE", description = "CA certificate that peers must chain to (default: ${DEFAULT-VALUE}).",
            defaultValue = "ca.crt")
    Path ca;

    @Option(names = {"-p", "--pcap"}, paramLabel = "FILE", description = "Write the tunnel's Ethernet frames to FILE (pcap).")
    Path pcap;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "30s",
            description = "A peer silent this long is gone; keepalives go out every third of it (default: ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/run/rqst",
            description = "Where host changes are recorded so that a crashed run is cleaned up by the next (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = {"-v", "--verbose"}, description = "Log debug details.")
    boolean verbose;

    @Option(names = "--no-udp-gro", hidden = true, description = "Do not use UDP GRO on the QUIC socket (for comparison).")
    boolean noUdpGro;

    @Option(names = "--datagram-queue", hidden = true, defaultValue = "" + QuicSettings.DEFAULT_DATAGRAM_QUEUE, description = "Frames quiche queues per direction.")
    int datagramQueue;

    @Option(names = "--socket-buffer", hidden = true, defaultValue = "" + QuicSettings.DEFAULT_SOCKET_BUFFER, description = "SO_RCVBUF/SO_SNDBUF of the UDP socket, bytes.")
    int socketBuffer;

    @Option(names = "--gso-segments", hidden = true, defaultValue = "32", description = "QUIC packets per UDP GSO send.")
    int gsoSegments;

    @Option(names = "--cc", hidden = true, defaultValue = "cubic", description = "Outer congestion control: cubic, reno, bbr.")
    String cc;

    @Option(names = "--no-tap-offload", hidden = true,
            description = "Open the TAP without TSO/GRO offloads (for comparison and debugging).")
    boolean noTapOffload;

    /** Creates TAPs as configured. */
    io.rqst.tap.TapFactory taps() {
        boolean offload = !noTapOffload;
        return (name, mtu, mac) -> io.rqst.tap.LinuxTap.open(name, mtu, mac, offload);
    }

    @Option(names = "--alpn", hidden = true, defaultValue = QuicSettings.RQST_ALPN, description = "TLS ALPN token (testing only).")
    String alpn;

    /** Applies the log level; must run before the first logger is created. */
    void configureLogging() {
        if (verbose) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
        }
    }

    QuicSettings quic() {
        Duration idle;
        try {
            idle = Durations.parse(idleTimeout);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("--idle-timeout: " + e.getMessage());
        }
        if (idle.toMillis() < 3000) {
            throw new Main.UsageError("--idle-timeout " + idleTimeout + " is too short (at least 3s)");
        }
        return QuicSettings.defaults().withIdleTimeout(idle).withAlpn(alpn).withUdpGro(!noUdpGro).withDatagramQueue(datagramQueue)
                .withGso(gsoSegments, cc).withSocketBuffer(socketBuffer);
    }
}
