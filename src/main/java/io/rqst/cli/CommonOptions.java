package io.rqst.cli;

import io.rqst.config.Durations;
import io.rqst.transport.QuicSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Options both the server and the client take. */
final class CommonOptions {
    boolean disableVerify;
    Path ca;
    Path pcap;
    String idleTimeout;
    Path stateDir;
    boolean verbose;
    boolean noUdpGro;
    int datagramQueue;
    int socketBuffer;
    int gsoSegments;
    int maxUdpPayload;
    String cc;
    boolean noTapOffload;
    String alpn;
    String rxAqm;

    /** Adds these options to a command (in this order, first in its help). */
    void addTo(CommandSpec spec) {
        spec.addOption(Specs.option(OptionSpec.builder("-d", "--disable-verify", "--disable_verify")
                .description("Test mode: do not verify the peer's certificate (traffic is still encrypted). No certificate files are needed."),
                boolean.class, () -> disableVerify, v -> disableVerify = v));
        spec.addOption(Specs.option(OptionSpec.builder("--ca").paramLabel("FILE").defaultValue("ca.crt")
                .description("CA certificate that peers must chain to (default: ${DEFAULT-VALUE})."), Path.class, () -> ca, v -> ca = v));
        spec.addOption(Specs.option(OptionSpec.builder("-p", "--pcap").paramLabel("FILE")
                .description("Write the tunnel's Ethernet frames to FILE (pcap)."), Path.class, () -> pcap, v -> pcap = v));
        spec.addOption(Specs.option(OptionSpec.builder("--idle-timeout").paramLabel("DURATION").defaultValue("30s")
                .description("A peer silent this long is gone; keepalives go out every third of it (default: ${DEFAULT-VALUE})."),
                String.class, () -> idleTimeout, v -> idleTimeout = v));
        spec.addOption(Specs.option(OptionSpec.builder("--state-dir").paramLabel("DIR").defaultValue("/run/rqst")
                .description("Where host changes are recorded so that a crashed run is cleaned up by the next (default: ${DEFAULT-VALUE})."),
                Path.class, () -> stateDir, v -> stateDir = v));
        spec.addOption(Specs.option(OptionSpec.builder("--rx-aqm").paramLabel("on|off|TARGET/INTERVAL")
                .defaultValue("off")
                .description("Keep this end's receive queue short when its CPU cannot keep up (CoDel): a ping under a full-speed "
                        + "transfer waits about half as long, but many clients saturating a server lose throughput, and over a "
                        + "round trip of about 10 ms one stream may lose a third of its rate. "
                        + "on = 500us/5ms; on a path with a longer round trip both grow with it (default: ${DEFAULT-VALUE})."),
                String.class, () -> rxAqm, v -> rxAqm = v));
        spec.addOption(Specs.option(OptionSpec.builder("-v", "--verbose").description("Log debug details."),
                boolean.class, () -> verbose, v -> verbose = v));
        // for comparisons and debugging, not in the help
        spec.addOption(Specs.option(OptionSpec.builder("--no-udp-gro").hidden(true)
                .description("Do not use UDP GRO on the QUIC socket (for comparison)."), boolean.class, () -> noUdpGro, v -> noUdpGro = v));
        spec.addOption(Specs.option(OptionSpec.builder("--datagram-queue").hidden(true).paramLabel("<datagramQueue>")
                .defaultValue("" + QuicSettings.DEFAULT_DATAGRAM_QUEUE).description("Frames quiche queues per direction."),
                int.class, () -> datagramQueue, v -> datagramQueue = v));
        spec.addOption(Specs.option(OptionSpec.builder("--socket-buffer").hidden(true).paramLabel("<socketBuffer>")
                .defaultValue("" + QuicSettings.DEFAULT_SOCKET_BUFFER).description("SO_RCVBUF/SO_SNDBUF of the UDP socket, bytes."),
                int.class, () -> socketBuffer, v -> socketBuffer = v));
        spec.addOption(Specs.option(OptionSpec.builder("--gso-segments").hidden(true).paramLabel("<gsoSegments>").defaultValue("" + QuicSettings.DEFAULT_GSO_SEGMENTS)
                .description("QUIC packets per UDP GSO send."), int.class, () -> gsoSegments, v -> gsoSegments = v));
        spec.addOption(Specs.option(OptionSpec.builder("--max-udp-payload").hidden(true).paramLabel("<bytes>").defaultValue("0")
                .description("QUIC's max_udp_payload_size, both ways (0: it follows --mtu; a client without one takes "
                        + "what a path of 1500-byte packets carries, or its route to the server if narrower)."), int.class, () -> maxUdpPayload, v -> maxUdpPayload = v));
        spec.addOption(Specs.option(OptionSpec.builder("--cc").hidden(true).paramLabel("<cc>").defaultValue("cubic")
                .description("Outer congestion control: " + String.join(", ", QuicSettings.CONGESTION_CONTROLLERS) + " (default: ${DEFAULT-VALUE})."), String.class, () -> cc, v -> cc = v));
        spec.addOption(Specs.option(OptionSpec.builder("--no-tap-offload").hidden(true)
                .description("Open the TAP without TSO/GRO offloads (for comparison and debugging)."),
                boolean.class, () -> noTapOffload, v -> noTapOffload = v));
        spec.addOption(Specs.option(OptionSpec.builder("--alpn").hidden(true).paramLabel("<alpn>").defaultValue(QuicSettings.RQST_ALPN)
                .description("TLS ALPN token (testing only)."), String.class, () -> alpn, v -> alpn = v));
    }

    /** Creates TAPs as configured. */
    io.rqst.tap.TapFactory taps() {
        boolean offload = !noTapOffload;
        return new io.rqst.tap.TapFactory() {
            @Override
            public io.rqst.tap.TapDevice open(String name, int mtu, java.util.OptionalLong mac) throws java.io.IOException {
                return io.rqst.tap.LinuxTap.open(name, mtu, mac, offload);
            }

            @Override
            public java.util.List<io.rqst.tap.LinuxTap> openQueues(String name, int mtu, java.util.OptionalLong mac, int queues)
                    throws java.io.IOException {
                return io.rqst.tap.LinuxTap.openQueues(name, mtu, mac, offload, queues);
            }
        };
    }


    /** SLF4J simple logger's level property. */
    static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

    /**
     * Applies the log level. It takes effect only before the first logger is created, which the tunnel commands
     * do early: {@link Main#verboseBeforeAnyLogger} has already set it from the raw arguments.
     */
    void configureLogging() {
        if (verbose) {
            System.setProperty(LOG_LEVEL_PROPERTY, "debug");
        }
    }

    /**
     * Refuses, as a usage error before anything is set up, a {@code -p} file that cannot be made where it is (its
     * directory missing, or a directory itself) and a {@code --state-dir} that is not a directory.
     */
    void checkPaths() {
        if (pcap != null) {
            Path parent = pcap.toAbsolutePath().getParent();
            if (Files.isDirectory(pcap)) {
                throw new Main.UsageError("-p " + pcap + ": is a directory (give a file name)");
            }
            if (parent != null && !Files.isDirectory(parent)) {
                throw new Main.UsageError("-p " + pcap + ": no such directory " + parent);
            }
        }
        if (Files.exists(stateDir) && !Files.isDirectory(stateDir)) {
            throw new Main.UsageError("--state-dir " + stateDir + ": not a directory");
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
        inRange("--socket-buffer", socketBuffer, QuicSettings.MIN_SOCKET_BUFFER, QuicSettings.MAX_SOCKET_BUFFER);
        inRange("--datagram-queue", datagramQueue, 1, QuicSettings.MAX_DATAGRAM_QUEUE);
        inRange("--gso-segments", gsoSegments, 1, 64);
        if (maxUdpPayload != QuicSettings.UDP_PAYLOAD_AUTO) {
            inRange("--max-udp-payload", maxUdpPayload, 1200, QuicSettings.MAX_UDP_PAYLOAD);
        }
        if (!QuicSettings.CONGESTION_CONTROLLERS.contains(cc)) {
            throw new Main.UsageError("--cc " + cc + ": expected one of " + String.join(", ", QuicSettings.CONGESTION_CONTROLLERS));
        }
        return QuicSettings.defaults().withIdleTimeout(idle).withAlpn(alpn).withUdpGro(!noUdpGro).withDatagramQueue(datagramQueue)
                .withGso(gsoSegments, cc).withSocketBuffer(socketBuffer).withReceiveAqm(aqm()).withMaxUdpPayload(maxUdpPayload);
    }

    private static void inRange(String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new Main.UsageError(option + " " + value + " is out of range " + min + "-" + max);
        }
    }

    private QuicSettings.Aqm aqm() {
        if ("off".equals(rxAqm)) {
            return null;
        }
        if ("on".equals(rxAqm)) {
            return QuicSettings.SUGGESTED_RECEIVE_AQM;
        }
        String[] parts = rxAqm.split("/");
        try {
            if (parts.length != 2) {
                throw new IllegalArgumentException("expected TARGET/INTERVAL");
            }
            return new QuicSettings.Aqm(Durations.parse(parts[0]), Durations.parse(parts[1]));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("--rx-aqm " + rxAqm + ": " + e.getMessage() + " (on, off, or e.g. 1ms/10ms)");
        }
    }
}
