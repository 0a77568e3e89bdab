package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.it.Capture.Frame;
import io.rqst.it.Testbed.PingResult;
import io.rqst.it.VpnBed.Site;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a client can be refused, against a server with the manual's certificates: another CA,
 * no certificate, a server name the certificate does not hold (an alias, the raw IP), a wrong ALPN.
 * Each time the refused client (in site C) exits non-zero within a bounded time with one clear
 * {@code rqst: } line and no stack trace, never creates its TAP, puts no frame on the server's
 * uplink, and client B, connected all along, keeps working.
 */
@Tag("netns")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RejectionIT {

    private static final String TAP = "rqst0";
    private static final String UPLINK = "rqst-up0";
    /**
     * How long a refused client may take to give up: a cold start, then the slowest case, a refused ALPN,
     * waits out QUIC's draining; a refusal whose CONNECTION_CLOSE is lost waits out the 10 s hello timeout.
     * 25 s was missed once on a VM losing ~40 % of its CPU to the hypervisor; never-giving-up still fails.
     */
    private static final Duration REFUSAL_BOUND = Duration.ofSeconds(40);
    private static final Pattern STACK_TRACE = Pattern.compile("Exception|\tat |^\\s+at ", Pattern.MULTILINE);

    private Path work;

    private VpnBed bed;
    private Testbed tb;
    private Site b;
    private Site c;
    private Site d;
    private Spawned server;
    /** MACs that may appear on the uplink: its own and those of the accepted clients. */
    private final Set<String> knownMacs = new LinkedHashSet<>();
    private String macB;

    /** How one refused attempt went. */
    private record Attempt(Spawned client, int exitCode, boolean tapSeen, List<Frame> uplink, PingResult pingFromB,
                           int serverMark) {
        String stderr() {
            return client.log();
        }
    }

    @BeforeAll
    void startServerAndClientB(@TempDir Path work) {
        this.work = work;
        bed = new VpnBed(work, "RejectionIT");
        tb = bed.tb;
        b = bed.site("b");
        c = bed.site("c");
        d = bed.site("d");
        server = bed.startServer(bed.serverDir(), "--address", "10.8.0.1/24");
        bed.startClient(b.ns(), bed.clientDir("b", "certs/client2.crt", "private/client2.key"), "client-b",
                "--address", "10.8.0.3/24", "vpn://" + VpnBed.NAME);
        macB = tb.macOf(b.ns(), TAP);
        knownMacs.add(tb.macOf(bed.server, UPLINK));
        knownMacs.add(macB);
        bed.assertPings(b.ns(), "10.8.0.1", 2);
    }

    @AfterAll
    void tearDown() {
        if (bed != null) {
            bed.close();
        }
    }

    /** Promise: a certificate from another CA is refused, and both ends say it is about the CA. */
    @Test
    void clientCertificateOfAnotherCaIsRefused() {
        Path dir = bed.dir("c-other-ca", Map.of("ca.crt", VpnBed.pki("certs/ca.crt"),
                "client.crt", VpnBed.pki("other/other-client.crt"), "client.key", VpnBed.pki("other/other-client.key")));
        Attempt attempt = attempt(dir, "vpn://" + VpnBed.NAME);
        assertRefused(attempt, "certificate", "CA", "not issued");
        assertServerRefused(attempt, "client certificate \"CN=alice\" is not issued by our CA");
    }

    /** Promise: a client without a certificate ({@code -d}, no files at all) is refused by a verifying server. */
    @Test
    void clientWithoutCertificateIsRefused() {
        Attempt attempt = attempt(bed.emptyDir("c-no-cert"), "-d", "vpn://" + VpnBed.NAME);
        assertRefused(attempt, "requires a client certificate", "sent none");
        assertServerRefused(attempt, "the client sent no certificate");
    }

    /** Promise: the client refuses a server reached under a name (an alias in the hosts file) its certificate does not hold. */
    @Test
    void serverNameNotInItsCertificateIsRefused() {
        Attempt attempt = attempt(bed.clientDir("c-alias", "certs/client.crt", "private/client.key"), "vpn://" + VpnBed.ALIAS);
        assertRefused(attempt, "certificate", "names", "\"" + VpnBed.ALIAS + "\"");
        assertServerToldOfRefusal(attempt);
    }

    /** Promise: the server's raw IP address is not a name in its certificate either. */
    @Test
    void serverAddressInsteadOfItsNameIsRefused() {
        Attempt attempt = attempt(bed.clientDir("c-raw-ip", "certs/client.crt", "private/client.key"), "vpn://" + c.serverV4());
        assertRefused(attempt, "certificate", "names", "\"" + c.serverV4() + "\"");
        assertServerToldOfRefusal(attempt);
    }

    /** Promise: a client speaking another protocol (ALPN) is refused, and is told so instead of retrying for ever. */
    @Test
    void wrongAlpnIsRefused() {
        Attempt attempt = attempt(bed.clientDir("c-alpn", "certs/client.crt", "private/client.key"), "--alpn", "xyz",
                "vpn://" + VpnBed.NAME);
        assertRefused(attempt, "ALPN", "protocol", "xyz");
        assertServerRefused(attempt, "no common application protocol (ALPN)");
    }

    /**
     * Promise: while one client is being refused, the server accepts and serves another that connects
     * at the same moment (client D, started right after the refused one).
     */
    @Test
    void serverServesASecondClientWhileTheFirstIsRefused() {
        Path refusedDir = bed.dir("c-concurrent", Map.of("ca.crt", VpnBed.pki("certs/ca.crt"),
                "client.crt", VpnBed.pki("other/other-client.crt"), "client.key", VpnBed.pki("other/other-client.key")));
        Path dirD = bed.clientDir("d", "certs/client.crt", "private/client.key");
        List<Spawned> clientD = new ArrayList<>();
        Attempt attempt = attempt(refusedDir, () -> clientD.add(bed.client(d.ns(), dirD, "client-d",
                "--address", "10.8.0.4/24", "vpn://" + VpnBed.NAME)), "vpn://" + VpnBed.NAME);
        clientD.getFirst().awaitLog(VpnBed.CONNECTED, VpnBed.START);
        knownMacs.add(tb.macOf(d.ns(), TAP));
        assertRefused(attempt, "certificate", "CA");
        assertServerRefused(attempt, "is not issued by our CA");
        bed.assertPings(d.ns(), "10.8.0.1", 3);
        assertTrue(clientD.getFirst().isAlive(), clientD.getFirst().logTail());
    }

    // ---------------------------------------------------------------- helpers

    private Attempt attempt(Path dir, String... clientArgs) {
        return attempt(dir, () -> { }, clientArgs);
    }

    /**
     * Starts a client in site C from {@code dir} while capturing on the uplink and pinging from B, runs
     * {@code meanwhile}, watches for the client's TAP until it exits (within {@link #REFUSAL_BOUND}).
     */
    private Attempt attempt(Path dir, Runnable meanwhile, String... clientArgs) {
        int serverMark = VpnBed.mark(server);
        Spawned pingFromB = tb.spawn(b.ns(), work.resolve("ping-b-" + System.nanoTime() + ".log"),
                "ping", "-n", "-i", "0.2", "-W", "1", "10.8.0.1");
        try (Capture uplink = tb.capture(bed.server, UPLINK, work.resolve("uplink-" + System.nanoTime() + ".pcap"))) {
            Spawned client = bed.client(c.ns(), dir, "refused", clientArgs);
            meanwhile.run();
            boolean tapSeen = false;
            long deadline = System.nanoTime() + REFUSAL_BOUND.toNanos();
            while (client.isAlive() && System.nanoTime() - deadline < 0) {
                tapSeen |= tb.linkExists(c.ns(), TAP);
                Testbed.sleep(Duration.ofMillis(50));
            }
            assertTrue(client.waitFor(Duration.ZERO), "the refused client still runs after " + REFUSAL_BOUND.toSeconds()
                    + " s; its log ends with:\n" + client.logTail());
            tapSeen |= tb.linkExists(c.ns(), TAP);
            pingFromB.signal("INT");
            assertTrue(pingFromB.waitFor(Duration.ofSeconds(5)), "ping from B did not stop");
            return new Attempt(client, client.exitCode().orElseThrow(), tapSeen, uplink.stop(), PingResult.parse(pingFromB.log()),
                    serverMark);
        }
    }

    /** The client's side of a refusal, and that nothing of it reached the tunnel while B kept working. */
    private void assertRefused(Attempt attempt, String... keywords) {
        String stderr = attempt.stderr();
        assertEquals(1, attempt.exitCode(), () -> "exit code of the refused client; stderr:\n" + stderr);
        List<String> reasons = stderr.lines().filter(l -> l.startsWith("rqst: ")).toList();
        assertEquals(1, reasons.size(), () -> "one 'rqst: ' line on stderr:\n" + stderr);
        for (String keyword : keywords) {
            assertTrue(reasons.getFirst().toLowerCase(Locale.ROOT).contains(keyword.toLowerCase(Locale.ROOT)),
                    () -> "the reason does not say '" + keyword + "': " + reasons.getFirst());
        }
        assertFalse(STACK_TRACE.matcher(stderr).find(), () -> "a stack trace on stderr:\n" + stderr);
        assertFalse(stderr.contains(" is up"), () -> "the refused client brought a TAP up:\n" + stderr);
        assertFalse(attempt.tapSeen(), "the refused client created a TAP");

        Set<String> unknown = new LinkedHashSet<>(VpnBed.sources(attempt.uplink()));
        assertTrue(unknown.contains(macB), "the uplink capture saw nothing of B's pings: " + attempt.uplink());
        unknown.removeAll(knownMacs);
        assertEquals(Set.of(), unknown, "frames on the uplink from MACs that are neither the uplink's nor an accepted client's");

        PingResult during = attempt.pingFromB();
        assertTrue(during.transmitted() >= 3 && during.received() >= during.transmitted() - 1,
                "B's pings while C was refused: " + during.output());
        bed.assertPings(b.ns(), "10.8.0.1", 2);
    }

    /** The server logged that it refused C, with {@code reason}. */
    private void assertServerRefused(Attempt attempt, String reason) {
        Pattern refused = Pattern.compile("WARN refused " + Pattern.quote(c.v4()) + ":\\d+: .*" + Pattern.quote(reason));
        VpnBed.awaitLogAfter(server, attempt.serverMark(), refused, Duration.ofSeconds(10));
        assertNoSessionFromC(attempt);
    }

    /**
     * The server logged that C refused it, with C's TLS alert, soon: the client's CONNECTION_CLOSE reached
     * it (it used to be lost, and the server logged an idle timeout 30 s later).
     */
    private void assertServerToldOfRefusal(Attempt attempt) {
        Pattern told = Pattern.compile("WARN " + Pattern.quote(c.v4()) + ":\\d+ refused this server's TLS handshake: [a-z_]+ ");
        VpnBed.awaitLogAfter(server, attempt.serverMark(), told, Duration.ofSeconds(10));
        assertNoSessionFromC(attempt);
    }

    private void assertNoSessionFromC(Attempt attempt) {
        Pattern fromC = Pattern.compile("open: user \\S+ from " + Pattern.quote(c.v4()) + ":");
        assertEquals(List.of(), VpnBed.lines(server.log().substring(attempt.serverMark()), fromC),
                "the server opened a session for the refused client");
    }
}
