package io.rqst.cli;

import io.rqst.config.Addresses;
import io.rqst.config.Cidr;
import io.rqst.config.VpnUrl;
import io.rqst.hostnet.HostNet;
import io.rqst.hostnet.HostNetException;
import io.rqst.hostnet.HostNets;
import io.rqst.pki.Bundle;
import io.rqst.pki.CrlWatcher;
import io.rqst.pki.PkiException;
import io.rqst.session.VpnClient;
import io.rqst.transport.QuicSettings;
import io.rqst.transport.Tls;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code rqst client vpn://HOST:PORT} (also {@code vpn-client}). */
final class ClientCommand implements Callable<Integer> {
    static final String[] DESCRIPTION = {"Connect to an rqst (or RQST) server and bring up a TAP joined to the server's network.",
        "The TAP comes up only once the server has accepted this client, and goes away on exit.",
        "Credentials are read from the working directory by default: ca.crt client.key client.crt;"
                + " or all from one bundle file made by 'rqst ca bundle' (--bundle).", ""};

    final CommonOptions common = new CommonOptions();
    private CommandSpec spec;
    String url;
    Path bundle;
    Path cert;
    Path key;
    String tap;
    List<String> addresses = new ArrayList<>();
    Integer mtu;
    boolean routeAll;
    List<String> gateways = new ArrayList<>();
    boolean rqstCompat;
    Path crl;

    /** This command's picocli model, bound to these fields (see {@link Specs}). */
    CommandSpec model() {
        spec = CommandSpec.wrapWithoutInspection(this).name("client").versionProvider(new Main.VersionProvider());
        spec.usageMessage().description(DESCRIPTION).sortOptions(false);
        spec.addPositional(Specs.positional(PositionalParamSpec.builder().index("0").arity("0..1").paramLabel("URL")
                .description("The server: vpn://HOST[:PORT]; HOST must be a name in the server certificate. Optional with --bundle (then it overrides the bundle's)."),
                () -> url, v -> url = v));
        common.addTo(spec);
        spec.addOption(Specs.option(OptionSpec.builder("--bundle").paramLabel("FILE")
                .description("Take the server URL, the CA certificate, the client certificate and its key from FILE, made by 'rqst ca bundle'."),
                Path.class, () -> bundle, v -> bundle = v));
        spec.addOption(Specs.option(OptionSpec.builder("--cert").paramLabel("FILE").description("Client certificate (default: client.crt)."),
                Path.class, () -> cert, v -> cert = v));
        spec.addOption(Specs.option(OptionSpec.builder("--key").paramLabel("FILE")
                .description("Client private key, PEM: PKCS#1 or PKCS#8, RSA or EC (default: client.key)."), Path.class, () -> key, v -> key = v));
        spec.addOption(Specs.option(OptionSpec.builder("--crl").paramLabel("FILE")
                .description("Certificate revocation list of the CA: refuse a server whose certificate it revokes; read again at each"
                        + " connection and every second while connected, so that revoking the server ends the session."
                        + " Default: crl.pem beside the --ca file, else ca/crl.pem there, if either exists."),
                Path.class, () -> crl, v -> crl = v));
        spec.addOption(Specs.option(OptionSpec.builder("--tap").paramLabel("NAME").defaultValue("rqst0")
                .description("Name of the TAP to create (default: ${DEFAULT-VALUE})."), String.class, () -> tap, v -> tap = v));
        spec.addOption(Specs.strings(OptionSpec.builder("--address").paramLabel("CIDR")
                .description("Address for the TAP, e.g. 10.8.0.2/24 (repeatable). Without it, run your own DHCP client on the TAP."),
                () -> addresses, v -> addresses = v));
        spec.addOption(Specs.option(OptionSpec.builder("--mtu").paramLabel("BYTES")
                .description("TAP MTU (default: what the server offers, 1280 unless it says otherwise). QUIC's packets follow it"
                        + " (MTU + 62 bytes, 1350 at least); without it they may reach 1472 bytes (1452 over IPv6), if the server's"
                        + " MTU asks for them, or less where this host's route to the server is narrower (PPPoE, a VPN under this"
                        + " one). Set it where a link beyond this host carries less than 1500-byte packets."), Integer.class, () -> mtu, v -> mtu = v));
        spec.addOption(Specs.option(OptionSpec.builder("--route-all")
                .description("Send all IPv4 and IPv6 traffic through the tunnel; the server stays reachable through the current gateway. Undone on exit."),
                boolean.class, () -> routeAll, v -> routeAll = v));
        spec.addOption(Specs.strings(OptionSpec.builder("--gateway").paramLabel("IP")
                .description("Gateway inside the tunnel for --route-all (repeatable, one per family; default: the server's uplink addresses)."),
                () -> gateways, v -> gateways = v));
        spec.addOption(Specs.option(OptionSpec.builder("--rqst-compat")
                .description("The server is an original RQST server (no control stream): bring the TAP up once the QUIC handshake is done."),
                boolean.class, () -> rqstCompat, v -> rqstCompat = v));
        spec.mixinStandardHelpOptions(true);
        return spec;
    }

    /** The bundle, if --bundle is given; it excludes --ca, --cert and --key. */
    private Optional<Bundle> readBundle() {
        if (bundle == null) {
            return Optional.empty();
        }
        for (String option : List.of("--ca", "--cert", "--key")) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new Main.UsageError(option + " and --bundle exclude each other: the bundle holds the CA, the certificate and the key");
            }
        }
        try {
            Bundle b = Bundle.read(bundle);
            Warnings.readableByOthers(bundle, "it holds a private key");
            return Optional.of(b);
        } catch (PkiException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        common.configureLogging();
        QuicSettings quic = common.quic();
        common.checkPaths();
        Optional<Bundle> fromBundle = readBundle();
        if (url == null && fromBundle.isEmpty()) {
            throw new Main.UsageError("Missing required parameter: 'URL' (the server, vpn://HOST[:PORT]), or --bundle FILE");
        }
        VpnUrl server;
        try {
            server = VpnUrl.parse(url != null ? url : fromBundle.get().server());
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError((url != null ? "" : bundle + ": server: ") + e.getMessage());
        }
        if (mtu != null && (mtu < 576 || mtu > 9000)) {
            throw new Main.UsageError("--mtu " + mtu + " is out of range 576-9000");
        }
        ServerCommand.checkTapName(tap);
        List<Cidr> cidrs = ServerCommand.parseCidrs(addresses);
        if (routeAll && cidrs.isEmpty()) {
            // the routes go through a gateway in the tunnel, which the kernel refuses without an address beside it
            throw new Main.UsageError("--route-all needs --address: its routes go through the server's address in the tunnel,"
                    + " which needs an address of the TAP in that subnet (with DHCP, add the routes yourself after dhclient)");
        }
        List<InetAddress> gws = new ArrayList<>();
        for (String g : gateways) {
            try {
                gws.add(Addresses.parseLiteral(g));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError("--gateway: " + e.getMessage());
            }
        }
        if (!gws.isEmpty() && !routeAll) {
            throw new Main.UsageError("--gateway is for --route-all, which is not given");
        }
        boolean certGiven = cert != null || key != null;
        Credentials.Client credentials = fromBundle.isPresent() ? Credentials.client(common, fromBundle.get(), server.tlsName(), crl)
                : Credentials.client(common, cert != null ? cert : Path.of("client.crt"), key != null ? key : Path.of("client.key"),
                        certGiven, server.tlsName(), crl);
        Tls tls = credentials.tls();
        if (common.disableVerify) {
            Warnings.testMode("client", "the server's identity is not checked: you may be talking to an impostor");
        }
        HostNet hostNet;
        try {
            hostNet = HostNets.open(common.stateDir.resolve("client-" + tap + ".json"));
        } catch (HostNetException e) { // e.g. another rqst with this TAP name still runs: the user's to fix
            System.err.println("rqst: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
        VpnClient client = new VpnClient(new VpnClient.Config(server, quic, tap, mtu == null ? OptionalInt.empty() : OptionalInt.of(mtu),
                cidrs, routeAll, gws, rqstCompat, Optional.ofNullable(common.pcap), Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(30)), tls, common.taps(), hostNet);
        // a reconnect resumes its TLS session, for which BoringSSL does not ask the verifier again: the client judges the
        // server's certificate again once each session is set up (dates, CRL), and the live session's when the CRL changes
        credentials.verifier().ifPresent(v -> client.admission(v::recheck));
        Optional<CrlWatcher> crlWatcher = credentials.crl();
        crlWatcher.ifPresent(w -> w.start(ServerCommand.CRL_POLL, client::recheck));
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            crlWatcher.ifPresent(CrlWatcher::close);
            client.stop();
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            client.close();
        }, "rqst-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            client.run();
            return 0;
        } catch (VpnClient.ClientFailure f) {
            System.err.println("rqst: " + f.getMessage());
            return Main.EXIT_FAILURE;
        } finally {
            finished.countDown();
        }
    }
}
