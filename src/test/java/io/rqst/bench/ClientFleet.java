package io.rqst.bench;

import io.rqst.cli.ParsedCommonOptions;
import io.rqst.config.VpnUrl;
import io.rqst.hostnet.HostNets;
import io.rqst.pki.Identity;
import io.rqst.pki.Pem;
import io.rqst.pki.PkiException;
import io.rqst.pki.ServerCertificateVerifier;
import io.rqst.session.VpnClient;
import io.rqst.transport.EventLoops;
import io.rqst.transport.QuicSettings;
import io.rqst.transport.Tls;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.X509TrustManager;

/**
 * A benchmark's load generator (bench/compare.sh, not a product command): N complete rqst clients in one
 * JVM, each its own {@link VpnClient} with its own QUIC connection, event loop and TAP {@code PREFIXi},
 * so that a many-client run on one small machine measures the server rather than N cold JVMs competing
 * for its cores. The caller moves each TAP into a namespace of its own once it appears, and addresses it.
 *
 * <p>Usage: {@code ClientFleet N URL TAP_PREFIX STATE_DIR [LOOPS [OPTIONS...]]} in a directory holding
 * {@code ca.crt}, {@code client.crt} and {@code client.key}; runs until SIGTERM. With LOOPS &gt; 0 the clients
 * share that many event loops (client i runs on loop i mod LOOPS, as if LOOPS machines held N/LOOPS clients
 * each); with 0, the default, every client has a loop of its own, as {@code rqst client} has. OPTIONS are
 * those both {@code rqst server} and {@code rqst client} take (compare.sh passes its {@code RQST_ARGS}),
 * applied to every client.
 */
public final class ClientFleet {
    private ClientFleet() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: ClientFleet N vpn://HOST[:PORT] TAP_PREFIX STATE_DIR [LOOPS [OPTIONS...]]"
                    + " (OPTIONS: those both rqst server and client take, e.g. --rx-aqm on)");
            System.exit(2);
        }
        int n = Integer.parseInt(args[0]);
        VpnUrl server = VpnUrl.parse(args[1]);
        String prefix = args[2];
        Path state = Path.of(args[3]);
        int loops = args.length >= 5 ? Integer.parseInt(args[4]) : 0;
        String[] optionArgs = Arrays.copyOfRange(args, Math.min(5, args.length), args.length);
        ParsedCommonOptions options;
        QuicSettings quic;
        try {
            options = new ParsedCommonOptions(optionArgs);
            quic = options.quic();
        } catch (RuntimeException e) { // picocli's ParameterException, or a value the CLI refuses
            System.err.println("ClientFleet: options " + String.join(" ", optionArgs) + ": " + e.getMessage()
                    + " (the fleet takes only the options both rqst server and client take, e.g. --rx-aqm on)");
            System.exit(2);
            return;
        }
        List<EventLoopGroup> shared = new ArrayList<>();
        for (int i = 0; i < loops; i++) {
            shared.add(EventLoops.group(1, "fleet-loop-" + i));
        }
        Identity id;
        X509TrustManager verifier;
        try {
            id = Identity.load(Path.of("client.key"), Path.of("client.crt"));
            verifier = new ServerCertificateVerifier(Pem.readCertificates(Path.of("ca.crt")), server.tlsName());
        } catch (PkiException e) {
            System.err.println("ClientFleet: " + e.getMessage() + " (run it in a directory holding ca.crt, client.crt and client.key)");
            System.exit(2);
            return;
        }
        List<VpnClient> clients = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 1; i <= n; i++) {
            Tls tls = Tls.client(Optional.of(id), Optional.of(verifier), quic.alpn(), Optional.empty());
            VpnClient c = new VpnClient(new VpnClient.Config(server, quic, prefix + i, OptionalInt.empty(), List.of(), false,
                    List.of(), false, Optional.empty(), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30)),
                    tls, options.taps(), HostNets.open(state.resolve("fleet-" + i + ".json")),
                    loops > 0 ? shared.get((i - 1) % loops) : null);
            clients.add(c);
            int k = i;
            Thread.ofPlatform().name("fleet-" + i).start(() -> {
                try {
                    c.run();
                } catch (VpnClient.ClientFailure e) {
                    System.err.println("client " + k + ": " + e.getMessage());
                } finally {
                    done.countDown();
                }
            });
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            clients.forEach(VpnClient::stop);
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        done.await();
    }
}
