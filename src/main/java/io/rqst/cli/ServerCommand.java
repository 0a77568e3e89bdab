package io.rqst.cli;

import io.rqst.config.Cidr;
import io.rqst.config.ListenAddress;
import io.rqst.hostnet.HostNet;
import io.rqst.hostnet.HostNetException;
import io.rqst.hostnet.HostNets;
import io.rqst.pki.CrlWatcher;
import io.rqst.session.VpnServer;
import io.rqst.tap.LinuxTap;
import io.rqst.transport.QuicSettings;
import io.rqst.transport.Tls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code rqst server} (also {@code vpn-server}). */
final class ServerCommand implements Callable<Integer> {
    /** How often the CRL file is looked at: a revoked client is gone within about this plus a round trip. */
    static final Duration CRL_POLL = Duration.ofSeconds(1);

    static final String[] DESCRIPTION = {"Run the VPN server: listen for clients on UDP port 3456 (IPv4 and IPv6) and connect each to the uplink TAP.",
        "Clients are isolated from each other: each reaches the uplink side, never another client.",
        "Credentials are read from the working directory by default: ca.crt server.key server.crt.",
        "Clients whose certificate the CRL revokes are refused, and disconnected when it changes (see --crl).", ""};

    final CommonOptions common = new CommonOptions();
    Path cert;
    Path key;
    Path crl;
    int port;
    List<String> listen = new ArrayList<>();
    String tap;
    List<String> addresses = new ArrayList<>();
    int mtu;
    int maxMacs;
    /** null: one per CPU. */
    Integer threads;

    /** This command's picocli model, bound to these fields (see {@link Specs}). */
    CommandSpec model() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name("server").versionProvider(new Main.VersionProvider());
        spec.usageMessage().description(DESCRIPTION).sortOptions(false);
        common.addTo(spec);
        spec.addOption(Specs.option(OptionSpec.builder("--cert").paramLabel("FILE").defaultValue("server.crt")
                .description("Server certificate (default: ${DEFAULT-VALUE})."), Path.class, () -> cert, v -> cert = v));
        spec.addOption(Specs.option(OptionSpec.builder("--key").paramLabel("FILE").defaultValue("server.key")
                .description("Server private key, PEM: PKCS#1 or PKCS#8, RSA or EC (default: ${DEFAULT-VALUE})."), Path.class, () -> key, v -> key = v));
        spec.addOption(Specs.option(OptionSpec.builder("--crl").paramLabel("FILE")
                .description("Certificate revocation list to refuse revoked clients with; re-read within a second when it changes, without a restart."
                        + " Default: crl.pem beside the --ca file, else ca/crl.pem there (where 'rqst ca' keeps it), if either exists."),
                Path.class, () -> crl, v -> crl = v));
        spec.addOption(Specs.option(OptionSpec.builder("--port").paramLabel("PORT").defaultValue("3456")
                .description("UDP port (default: ${DEFAULT-VALUE})."), int.class, () -> port, v -> port = v));
        spec.addOption(Specs.strings(OptionSpec.builder("--listen").paramLabel("ADDRESS")
                .description("Listen on this address only (repeatable; default: all IPv4 and IPv6 addresses)."), () -> listen, v -> listen = v));
        spec.addOption(Specs.option(OptionSpec.builder("--tap").paramLabel("NAME").defaultValue("rqst-up0")
                .description("Name of the uplink TAP to create (default: ${DEFAULT-VALUE})."), String.class, () -> tap, v -> tap = v));
        spec.addOption(Specs.strings(OptionSpec.builder("--address").paramLabel("CIDR")
                .description("Address for the uplink TAP, e.g. 10.8.0.1/24 (repeatable; also announced to clients as their gateway)."),
                () -> addresses, v -> addresses = v));
        spec.addOption(Specs.option(OptionSpec.builder("--mtu").paramLabel("BYTES").defaultValue("1280")
                .description("MTU of the uplink and the tunnel (default: ${DEFAULT-VALUE}, RQST's). QUIC's packets grow "
                        + "to carry it: a client's path must take packets of MTU + 90 bytes over IPv4, + 110 over IPv6."), int.class, () -> mtu, v -> mtu = v));
        spec.addOption(Specs.option(OptionSpec.builder("--max-macs").paramLabel("N").defaultValue("64")
                .description("MAC addresses one client may use at once (default: ${DEFAULT-VALUE})."), int.class, () -> maxMacs, v -> maxMacs = v));
        spec.addOption(Specs.option(OptionSpec.builder("--threads").paramLabel("N")
                .description("Threads serving clients, each client served by one, each with its own UDP socket on the port"
                        + " and its own queue of the uplink TAP (default: one per CPU, here " + defaultThreads() + ")."),
                Integer.class, () -> threads, v -> threads = v));
        spec.mixinStandardHelpOptions(true);
        return spec;
    }

    @Override
    public Integer call() throws Exception {
        common.configureLogging();
        QuicSettings quic = common.quic();
        common.checkPaths();
        if (port < 1 || port > 65535) {
            throw new Main.UsageError("--port " + port + " is out of range 1-65535");
        }
        if (mtu < 576 || mtu > 9000) {
            throw new Main.UsageError("--mtu " + mtu + " is out of range 576-9000");
        }
        if (maxMacs < 1 || maxMacs > 4096) {
            throw new Main.UsageError("--max-macs " + maxMacs + " is out of range 1-4096");
        }
        if (threads != null && (threads < 1 || threads > MAX_THREADS)) {
            throw new Main.UsageError("--threads " + threads + " is out of range 1-" + MAX_THREADS);
        }
        checkTapName(tap);
        List<Cidr> cidrs = parseCidrs(addresses);
        List<InetSocketAddress> bind = listenAddresses();
        Credentials.Server credentials = Credentials.server(common, cert, key, crl);
        Tls tls = credentials.tls();
        if (common.disableVerify) {
            Warnings.testMode("server", "any client can connect: client certificates are not checked");
        }
        HostNet hostNet;
        try {
            hostNet = HostNets.open(common.stateDir.resolve("server-" + tap + ".json"));
        } catch (HostNetException e) { // e.g. another rqst with this TAP name still runs: the user's to fix
            System.err.println("rqst: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
        VpnServer server = new VpnServer(new VpnServer.Config(bind, quic, tap, mtu, cidrs, maxMacs, Optional.ofNullable(common.pcap),
                threads == null ? defaultThreads() : threads),
                tls, common.taps(), hostNet);
        // a reconnecting client resumes its TLS session, for which BoringSSL does not ask the verifier again:
        // the server judges the certificate again at accept (dates, CRL), and its live sessions when the CRL changes
        credentials.verifier().ifPresent(v -> server.admission(v::recheck));
        Optional<CrlWatcher> crlWatcher = credentials.crl();
        try {
            server.start();
        } catch (IOException | HostNetException e) {
            System.err.println("rqst: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
        crlWatcher.ifPresent(w -> w.start(CRL_POLL, server::recheck));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            crlWatcher.ifPresent(CrlWatcher::close);
            server.close();
            stopped.countDown();
        }, "rqst-shutdown"));
        stopped.await();
        return 0;
    }

    /** More would only add sockets: a thread serves a client's whole connection. */
    static final int MAX_THREADS = 256;

    /** One event loop per CPU this process may run on. */
    static int defaultThreads() {
        return Math.max(1, Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors()));
    }

    private List<InetSocketAddress> listenAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        if (listen.isEmpty()) {
            boolean v6 = Ipv6.available();
            out.add(new InetSocketAddress(InetAddress.ofLiteral(v6 ? "::" : "0.0.0.0"), port));
            return out;
        }
        for (String l : listen) {
            try {
                out.add(ListenAddress.parse(l, port));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError("--listen: " + e.getMessage());
            }
        }
        return out;
    }

    /** Refuses a TAP name the kernel would refuse, before anything is set up (or, for a client, connected). */
    static void checkTapName(String name) {
        try {
            LinuxTap.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("--tap: " + e.getMessage());
        }
    }

    static List<Cidr> parseCidrs(List<String> texts) {
        List<Cidr> out = new ArrayList<>();
        for (String t : texts) {
            try {
                out.add(Cidr.parse(t));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError("--address: " + e.getMessage());
            }
        }
        return out;
    }
}
