package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.ca.Openssl;
import io.rqst.hostnet.CommandRunner;
import io.rqst.it.VpnBed.Site;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in CA as a user runs it: {@code rqst ca init / issue / revoke / bundle} through the real launcher
 * make the server's and the clients' files, and the server (in its namespace, reading {@code ca/crl.pem} by
 * default) accepts what it should and refuses, through a real connection, each of: a revoked certificate, an
 * expired one, one not valid yet, a server certificate used as a client's (EKU), a client of another CA, and
 * (on the client side) a server reached by a name its certificate does not hold. A client connected when its
 * certificate is revoked is disconnected within 5 s with the reason, and its reconnect is refused; a bundle
 * connects a client with nothing else. Also: the manual's own OpenSSL CA with a CRL made by {@code openssl ca
 * -gencrl}, enforced the same way.
 */
@Tag("netns")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaIT {
    private static final String TAP = "rqst0";
    /** How long a refused client may take to give up. */
    private static final Duration REFUSAL_BOUND = Duration.ofSeconds(25);
    /** The issue's promise: a connected client whose certificate is revoked is gone within this. */
    private static final Duration REVOCATION_BOUND = Duration.ofSeconds(5);
    private static final Pattern STACK_TRACE = Pattern.compile("Exception|\tat |^\\s+at ", Pattern.MULTILINE);
    private static final String PASSPHRASE = "it's a CA passphrase";

    private Path work;
    private VpnBed bed;
    private Testbed tb;
    private Site b;
    private Site c;
    private Site d;
    private Path serverDir;
    private Path passFile;
    private Spawned server;

    @BeforeAll
    void makeCaAndStartServer(@TempDir Path work) throws IOException {
        this.work = work;
        bed = new VpnBed(work, "CaIT");
        tb = bed.tb;
        b = bed.site("b");
        c = bed.site("c");
        d = bed.site("d");
        passFile = Files.writeString(work.resolve("ca-pass"), PASSPHRASE + "\n");
        serverDir = bed.emptyDir("server-files");
        // the README's three commands, in the server's working directory
        ca(serverDir, "init", "--ec", "--name", "IT CA");
        ca(serverDir, "issue", "server", "--name", VpnBed.NAME, "--san", "DNS:" + VpnBed.NAME4 + ",DNS:" + VpnBed.NAME6);
        issueClient("alice");
        issueClient("carol");
        issueClient("mallory");
        issueClient("old", "--not-before", "2020-01-01", "--not-after", "2021-01-01T00:00:00Z");
        issueClient("early", "--not-before", "2035-01-01", "--not-after", "2035-06-01");
        String revoked = ca(serverDir, "revoke", "mallory", "--reason", "keyCompromise");
        assertTrue(revoked.startsWith("revoked client \"mallory\" (serial 0x"), revoked);
        String list = ca(serverDir, "list");
        assertTrue(list.lines().anyMatch(l -> l.contains("CN=old") && l.endsWith(" expired")), list);
        assertTrue(list.lines().anyMatch(l -> l.contains("CN=early") && l.endsWith(" not yet valid")), list);
        assertTrue(list.lines().anyMatch(l -> l.contains("CN=mallory") && l.endsWith("(keyCompromise)")), list);

        server = bed.startServer(serverDir, "--address", "10.8.0.1/24");
        server.awaitLog(Pattern.compile("INFO CRL ca/crl.pem: 1 revoked, number 2, "), VpnBed.START);
    }

    @AfterAll
    void tearDown() {
        if (bed != null) {
            bed.close();
        }
    }

    // ---------------------------------------------------------------- accepted

    /** Promise: {@code rqst ca bundle} writes one file with which {@code rqst client --bundle FILE} connects, nothing else given. */
    @Test
    void aBundleConnectsAClientWithNothingElse() throws IOException {
        ca(serverDir, "bundle", "alice", "--server", "vpn://" + VpnBed.NAME, "--out", "alice.rqst");
        Path clientDir = bed.emptyDir("b-bundle");
        Files.move(serverDir.resolve("alice.rqst"), clientDir.resolve("alice.rqst"));
        assertEquals("rw-------", mode(clientDir.resolve("alice.rqst")));
        int mark = VpnBed.mark(server);
        Spawned client = bed.client(b.ns(), clientDir, "client-bundle", "--bundle", "alice.rqst", "--address", "10.8.0.2/24");
        try {
            client.awaitLog(VpnBed.CONNECTED, VpnBed.START);
            VpnBed.awaitLogAfter(server, mark, Pattern.compile("INFO session \\w+ open: user alice from " + Pattern.quote(b.v4())),
                    Duration.ofSeconds(5));
            bed.awaitPing(b.ns(), "10.8.0.1", Duration.ofSeconds(10));
            bed.assertPings(b.ns(), "10.8.0.1", 3);
            try (Stream<Path> files = Files.list(clientDir)) {
                assertEquals(List.of("alice.rqst"), files.map(p -> p.getFileName().toString())
                        .filter(n -> !n.startsWith("state-")).toList(), "the client needed no other file");
            }
        } finally {
            client.signal("INT");
            assertTrue(client.waitFor(Duration.ofSeconds(15)), client.logTail());
        }
        assertFalse(client.log().contains("rqst: "), client.log());
    }

    // ---------------------------------------------------------------- refused by the server

    /** Promise: a revoked certificate is refused, and both ends say it is revoked. */
    @Test
    void aRevokedCertificateIsRefused() {
        Attempt a = attempt(clientDir("mallory"), "vpn://" + VpnBed.NAME);
        a.assertClientSays("revoked");
        a.assertServerSays("client certificate \"CN=mallory\" \\(serial 0x[0-9A-F]+\\) is revoked \\(keyCompromise, 20\\d\\d-");
    }

    /** Promise: an expired certificate is refused with its date. */
    @Test
    void anExpiredCertificateIsRefused() {
        Attempt a = attempt(clientDir("old"), "vpn://" + VpnBed.NAME);
        a.assertClientSays("expired");
        a.assertServerSays(Pattern.quote("client certificate \"CN=old\" expired on 2021-01-01T00:00:00Z"));
    }

    /** Promise: a certificate that is not valid yet is refused with its date. */
    @Test
    void aCertificateNotValidYetIsRefused() {
        Attempt a = attempt(clientDir("early"), "vpn://" + VpnBed.NAME);
        a.assertClientSays("not yet valid");
        a.assertServerSays(Pattern.quote("client certificate \"CN=early\" is not valid before 2035-01-01T00:00:00Z"));
    }

    /** Promise: a server certificate (EKU serverAuth only) cannot log in as a client. */
    @Test
    void aServerCertificateCannotLogInAsAClient() {
        Path dir = bed.dir("c-server-cert", Map.of("ca.crt", serverDir.resolve("ca.crt"),
                "client.crt", serverDir.resolve("server.crt"), "client.key", serverDir.resolve("server.key")));
        Attempt a = attempt(dir, "vpn://" + VpnBed.NAME);
        a.assertClientSays("not meant for client use", "extended key usage");
        a.assertServerSays(Pattern.quote("client certificate \"CN=" + VpnBed.NAME + "\" is not for client use: its extended key"
                + " usage is serverAuth only"));
    }

    /** Promise: a client certificate of another CA made by rqst ca is refused (and the names of the CAs are given). */
    @Test
    void aClientOfAnotherCaIsRefused() {
        Path other = bed.emptyDir("other-ca");
        ca(other, "init", "--ec", "--name", "Other CA");
        Path out = other.resolve("alice");
        ca(other, "issue", "client", "--name", "alice", "--out", out.toString());
        Path dir = bed.dir("c-other-ca", Map.of("ca.crt", serverDir.resolve("ca.crt"),
                "client.crt", out.resolve("client.crt"), "client.key", out.resolve("client.key")));
        Attempt a = attempt(dir, "vpn://" + VpnBed.NAME);
        a.assertClientSays("not issued by the server's CA");
        a.assertServerSays(Pattern.quote("client certificate \"CN=alice\" is not issued by our CA \"CN=IT CA\" (it is issued by"
                + " \"CN=Other CA\")"));
    }

    // ---------------------------------------------------------------- refused by the client

    /**
     * Promise: another user than the CA's owner is told that it may not read the CA and whose it is, not that there
     * is no CA (the CA directory is 0700, so to that user its files do not seem to exist).
     */
    @Test
    void aUserWhoMayNotReadTheCaIsToldSo() {
        Path caDir = serverDir.resolve("ca");
        CommandRunner.Result r = Testbed.runLocal(Duration.ofSeconds(120), "setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", "--", VpnBed.launcher().toString(), "ca", "list", "--dir", caDir.toString());
        assertEquals(2, r.exitCode(), () -> r.stderr() + r.stdout());
        List<String> reasons = r.stderr().lines().filter(l -> l.startsWith("rqst: ")).toList();
        assertEquals(List.of("rqst: " + caDir + ": permission denied: user nobody cannot read it (it belongs to root); run the"
                + " command as its owner, e.g. with sudo"), reasons, r.stderr());
        assertFalse(STACK_TRACE.matcher(r.stderr()).find(), r.stderr());
    }

    /** Promise: the client checks the server's name against the SAN list that rqst ca issue wrote. */
    @Test
    void aServerNameNotInItsCertificateIsRefusedByTheClient() {
        int mark = VpnBed.mark(server);
        Attempt a = attempt(clientDir("alice"), "vpn://" + VpnBed.ALIAS);
        a.assertClientSays("refusing the server", "names " + VpnBed.NAME + ", " + VpnBed.NAME4 + ", " + VpnBed.NAME6
                + ", not \"" + VpnBed.ALIAS + "\"");
        String after = server.log().substring(mark);
        assertFalse(after.contains("open: user alice from " + c.v4()), after);
    }

    // ---------------------------------------------------------------- revocation while connected

    /**
     * Promise: revoking a connected client ({@code rqst ca revoke} rewrites ca/crl.pem, the server re-reads it)
     * disconnects it within 5 s, with the reason on the client's stderr and in the server's log; its reconnect is
     * refused with the reason in both logs.
     */
    @Test
    void revokingAConnectedClientDisconnectsItWithinFiveSeconds() throws IOException {
        Path dir = clientDir("carol");
        int mark = VpnBed.mark(server);
        Spawned carol = bed.client(d.ns(), dir, "client-carol", "--address", "10.8.0.4/24", "vpn://" + VpnBed.NAME4);
        carol.awaitLog(VpnBed.CONNECTED, VpnBed.START);
        Matcher open = VpnBed.awaitLogAfter(server, mark, Pattern.compile("INFO session (\\w+) open: user carol from "
                + Pattern.quote(d.v4())), Duration.ofSeconds(5));
        bed.awaitPing(d.ns(), "10.8.0.1", Duration.ofSeconds(10));

        String out = ca(serverDir, "revoke", "carol", "--reason", "keyCompromise");
        long revoked = System.nanoTime();
        assertTrue(out.contains("revoked client \"carol\""), out);
        assertTrue(carol.waitFor(REVOCATION_BOUND), "carol still runs " + REVOCATION_BOUND.toSeconds()
                + " s after the revocation; her log ends with:\n" + carol.logTail() + "\nthe server's:\n" + server.logTail());
        long ms = (System.nanoTime() - revoked) / 1_000_000;
        System.out.println("CaIT: carol was disconnected " + ms + " ms after rqst ca revoke returned");
        assertEquals(1, carol.exitCode().orElseThrow(), carol.logTail());
        String stderr = carol.log();
        List<String> reasons = stderr.lines().filter(l -> l.startsWith("rqst: ")).toList();
        assertEquals(1, reasons.size(), stderr);
        assertTrue(reasons.getFirst().matches("rqst: the server refused this client: client certificate \"CN=carol\" \\(serial"
                + " 0x[0-9A-F]+\\) is revoked \\(keyCompromise, 20\\d\\d-.*\\)"), reasons.getFirst());
        assertFalse(STACK_TRACE.matcher(stderr).find(), stderr);
        VpnBed.awaitLogAfter(server, mark, Pattern.compile("INFO session " + open.group(1) + " closed: client certificate"
                + " \"CN=carol\" \\(serial 0x[0-9A-F]+\\) is revoked \\(keyCompromise, "), Duration.ofSeconds(2));
        VpnBed.awaitLogAfter(server, mark, Pattern.compile("INFO CRL ca/crl.pem changed: 2 revoked"), Duration.ofSeconds(2));
        assertFalse(tb.linkExists(d.ns(), TAP), "carol's TAP is gone");

        Attempt again = attempt(dir, "vpn://" + VpnBed.NAME);
        again.assertClientSays("revoked");
        again.assertServerSays("client certificate \"CN=carol\" \\(serial 0x[0-9A-F]+\\) is revoked \\(keyCompromise, ");
    }

    // ---------------------------------------------------------------- your own OpenSSL CA

    /**
     * Promise (README, "your own OpenSSL CA"): the manual's CA revokes bob with {@code openssl ca -revoke} and
     * {@code -gencrl}; a server with that crl.pem beside its ca.crt refuses bob and accepts alice.
     */
    @Test
    void theManualsOpensslCaRevokesWithItsOwnCrl() throws IOException {
        Path pki = Openssl.copyManualPki(VpnBed.pki(), work.resolve("manual-pki"));
        Files.writeString(pki.resolve("crlnumber"), "1000\n"); // README: the manual's setup.bat leaves it empty
        Openssl.ok(pki, "ca", "-config", "openssl.cfg", "-passin", "pass:rqst-manual-ca", "-revoke", "certs/client2.crt",
                "-crl_reason", "superseded");
        Openssl.ok(pki, "ca", "-config", "openssl.cfg", "-passin", "pass:rqst-manual-ca", "-gencrl", "-out", "crl.pem");
        Path dir = bed.dir("manual-server", Map.of("ca.crt", pki.resolve("certs/ca.crt"), "server.crt", pki.resolve("certs/server.crt"),
                "server.key", pki.resolve("private/server.key"), "crl.pem", pki.resolve("crl.pem")));
        Spawned manual = bed.startServer(dir, "--port", "4456", "--tap", "rqst-up1", "--address", "10.9.0.1/24");
        manual.awaitLog(Pattern.compile("INFO CRL crl.pem: 1 revoked, number 4096, "), Duration.ofSeconds(5));

        Spawned bob = bed.client(c.ns(), bed.clientDir("c-manual-bob", "certs/client2.crt", "private/client2.key"), "manual-bob",
                "vpn://" + VpnBed.NAME + ":4456");
        assertTrue(bob.waitFor(REFUSAL_BOUND), bob.logTail());
        assertEquals(1, bob.exitCode().orElseThrow(), bob.logTail());
        assertTrue(bob.log().contains("rqst: the server refused this client's certificate: it has been revoked"), bob.log());
        manual.awaitLog(Pattern.compile("WARN refused " + Pattern.quote(c.v4()) + ":\\d+: client certificate \"CN=bob\" \\(serial"
                + " 0x1002\\) is revoked \\(superseded, "), Duration.ofSeconds(5));

        Spawned alice = bed.client(c.ns(), bed.clientDir("c-manual-alice", "certs/client.crt", "private/client.key"),
                "manual-alice", "--address", "10.9.0.2/24", "vpn://" + VpnBed.NAME + ":4456");
        alice.awaitLog(VpnBed.CONNECTED, VpnBed.START);
        bed.awaitPing(c.ns(), "10.9.0.1", Duration.ofSeconds(10));
        alice.signal("INT");
        assertTrue(alice.waitFor(Duration.ofSeconds(15)), alice.logTail());
        manual.signal("INT");
        assertTrue(manual.waitFor(Duration.ofSeconds(15)), manual.logTail());
    }

    /**
     * Promise (client {@code --crl}, by default crl.pem beside its ca.crt): a client holding its CA's CRL refuses
     * a server whose certificate the CRL revokes (here the manual's CA revokes the server's with {@code openssl
     * ca}), says why, and the server never opens a session for it.
     */
    @Test
    void aClientWithItsCasCrlRefusesARevokedServer() throws IOException {
        Path pki = manualPki("manual-pki-server-revoked", "2000");
        manualCa(pki, "-revoke", "certs/server.crt", "-crl_reason", "keyCompromise");
        manualCa(pki, "-gencrl", "-out", "crl.pem");
        Spawned revokedServer = manualServer(pki, "revoked-server", "4457", "rqst-up2", "10.9.1.1/24");
        try {
            Path clientFiles = manualClientFiles(pki, "c-crl-alice");
            Spawned alice = bed.client(c.ns(), clientFiles, "crl-alice", "--address", "10.9.1.2/24", "vpn://" + VpnBed.NAME + ":4457");
            assertTrue(alice.waitFor(REFUSAL_BOUND), alice.logTail());
            assertEquals(1, alice.exitCode().orElseThrow(), alice.logTail());
            assertTrue(alice.log().contains("INFO CRL crl.pem: 1 revoked, number 8192, "), alice.log());
            assertTrue(Pattern.compile("refusing the server: server certificate \"CN=rqst.example.com\" \\(serial 0x[0-9A-F]+\\) is revoked"
                    + " \\(keyCompromise, 20\\d\\d-").matcher(alice.log()).find(), alice.log());
            assertFalse(revokedServer.log().contains("open: user"), revokedServer.log());
        } finally {
            revokedServer.signal("INT");
            assertTrue(revokedServer.waitFor(Duration.ofSeconds(15)), revokedServer.logTail());
        }
    }

    /**
     * Promise (client {@code --crl}): a connected client holding its CA's CRL leaves the server within 5 s of a new
     * CRL revoking the server's certificate (it reads the file every second), says why in one line on stderr, exits
     * 1 without reconnecting (a reconnect resumes its TLS session, which the verifier never sees), and its TAP
     * is gone.
     */
    @Test
    void aConnectedClientLeavesAServerItsNewCrlRevokes() throws IOException {
        Path pki = manualPki("manual-pki-server-revoked-later", "3000");
        manualCa(pki, "-gencrl", "-out", "crl.pem");
        Spawned laterRevoked = manualServer(pki, "later-revoked-server", "4458", "rqst-up3", "10.9.2.1/24");
        try {
            Path clientFiles = manualClientFiles(pki, "c-crl-later");
            Spawned alice = bed.client(c.ns(), clientFiles, "crl-later", "--address", "10.9.2.2/24", "vpn://" + VpnBed.NAME + ":4458");
            alice.awaitLog(VpnBed.CONNECTED, VpnBed.START);
            assertTrue(alice.log().contains("INFO CRL crl.pem: 0 revoked, number 12288, "), alice.log());
            bed.awaitPing(c.ns(), "10.9.2.1", Duration.ofSeconds(10));

            revokeServerForClient(pki, clientFiles);
            assertTrue(alice.waitFor(REVOCATION_BOUND), "the client still runs " + REVOCATION_BOUND.toSeconds()
                    + " s after its CRL revoked the server; its log ends with:\n" + alice.logTail());
            assertTrue(alice.log().contains("INFO CRL crl.pem changed: 1 revoked, number 12289, "), alice.log());
            assertLeftTheRevokedServer(alice);
            laterRevoked.awaitLog(Pattern.compile("INFO session \\w+ closed: peer closed: no_error \"the client refuses the server's certificate\""),
                    Duration.ofSeconds(5));
        } finally {
            laterRevoked.signal("INT");
            assertTrue(laterRevoked.waitFor(Duration.ofSeconds(15)), laterRevoked.logTail());
        }
    }

    /**
     * Promise (client {@code --crl}): a CRL that revokes the server while the client is between sessions (its path
     * to the server was cut, the session timed out) keeps it from the server when the path comes back: it exits 1
     * with the reason, and its second session with the server carries no frame. The reconnect resumes its TLS
     * session, which the verifier never sees (the server's log shows the session open); the client judges the
     * server again once the session is set up, and closes it.
     */
    @Test
    void aCrlRevokingTheServerBetweenSessionsKeepsTheClientAway() throws IOException {
        Path pki = manualPki("manual-pki-server-revoked-between", "4000");
        manualCa(pki, "-gencrl", "-out", "crl.pem");
        Spawned between = manualServer(pki, "between-server", "4459", "rqst-up4", "10.9.3.1/24");
        try {
            Path clientFiles = manualClientFiles(pki, "c-crl-between");
            Spawned alice = bed.client(c.ns(), clientFiles, "crl-between", "--idle-timeout", "3s", "--address", "10.9.3.2/24",
                    "vpn://" + VpnBed.NAME + ":4459");
            alice.awaitLog(VpnBed.CONNECTED, VpnBed.START);
            bed.awaitPing(c.ns(), "10.9.3.1", Duration.ofSeconds(10));

            bed.sh(c.ns(), "nft", "add", "table", "inet", "crlcut");
            bed.sh(c.ns(), "nft", "add", "chain", "inet", "crlcut", "out", "{ type filter hook output priority 0 ; }");
            bed.sh(c.ns(), "nft", "add", "rule", "inet", "crlcut", "out", "udp", "dport", "4459", "drop");
            alice.awaitLog(Pattern.compile("WARN connection lost"), Duration.ofSeconds(15));
            revokeServerForClient(pki, clientFiles);
            alice.awaitLog(Pattern.compile("INFO CRL crl.pem changed: 1 revoked"), Duration.ofSeconds(5));
            bed.sh(c.ns(), "nft", "delete", "table", "inet", "crlcut");

            assertTrue(alice.waitFor(REFUSAL_BOUND), "the client still runs after the path came back; its log ends with:\n"
                    + alice.logTail());
            assertLeftTheRevokedServer(alice);
            // the server hears why before it is stopped (under a full test run its loop may take a moment)
            between.awaitLog(Pattern.compile("closed: peer closed: no_error \"the client refuses the server's certificate\""),
                    Duration.ofSeconds(5));
        } finally {
            between.signal("INT");
            assertTrue(between.waitFor(Duration.ofSeconds(15)), between.logTail());
        }
        // the reconnect resumed its TLS session (the verifier was not asked): the server opened a second session, which
        // the client closed at once, before a frame crossed
        List<String> closes = between.log().lines().filter(l -> l.contains(" closed: ")).toList();
        assertEquals(2, closes.size(), between.log());
        assertTrue(closes.get(1).contains("closed: peer closed: no_error \"the client refuses the server's certificate\" (alice, in 0 frames"),
                between.log());
    }

    // ---------------------------------------------------------------- helpers

    /** A copy of the manual's OpenSSL CA in {@code name}, its next CRL numbered {@code crlNumberHex}. */
    private Path manualPki(String name, String crlNumberHex) throws IOException {
        Path pki = Openssl.copyManualPki(VpnBed.pki(), work.resolve(name));
        Files.writeString(pki.resolve("crlnumber"), crlNumberHex + "\n");
        return pki;
    }

    /** {@code openssl ca ARGS} with the manual CA's configuration and passphrase. */
    private static void manualCa(Path pki, String... args) {
        List<String> argv = new ArrayList<>(List.of("ca", "-config", "openssl.cfg", "-passin", "pass:rqst-manual-ca"));
        argv.addAll(List.of(args));
        Openssl.ok(pki, argv.toArray(String[]::new));
    }

    /** A server on the manual CA's server certificate, in a directory of its own. */
    private Spawned manualServer(Path pki, String dirName, String port, String tap, String address) throws IOException {
        Path dir = bed.dir(dirName, Map.of("ca.crt", pki.resolve("certs/ca.crt"), "server.crt", pki.resolve("certs/server.crt"),
                "server.key", pki.resolve("private/server.key")));
        return bed.startServer(dir, "--port", port, "--tap", tap, "--address", address);
    }

    /** A client's directory with the manual CA's client files and its crl.pem as it is now. */
    private Path manualClientFiles(Path pki, String dirName) throws IOException {
        return bed.dir(dirName, Map.of("ca.crt", pki.resolve("certs/ca.crt"), "client.crt", pki.resolve("certs/client.crt"),
                "client.key", pki.resolve("private/client.key"), "crl.pem", pki.resolve("crl.pem")));
    }

    /** The manual CA revokes its server's certificate; the new CRL replaces the client's crl.pem in one rename. */
    private static void revokeServerForClient(Path pki, Path clientFiles) throws IOException {
        manualCa(pki, "-revoke", "certs/server.crt", "-crl_reason", "keyCompromise");
        manualCa(pki, "-gencrl", "-out", "crl-next.pem");
        Files.move(pki.resolve("crl-next.pem"), clientFiles.resolve("crl.pem"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** The client has exited 1 with one line naming the revoked server certificate, connected once, and left no TAP. */
    private void assertLeftTheRevokedServer(Spawned client) {
        assertEquals(1, client.exitCode().orElseThrow(), client.logTail());
        String log = client.log();
        List<String> reasons = log.lines().filter(l -> l.startsWith("rqst: ")).toList();
        assertEquals(1, reasons.size(), log);
        assertTrue(reasons.getFirst().matches("rqst: refusing the server: server certificate \"CN=rqst.example.com\" \\(serial"
                + " 0x[0-9A-F]+\\) is revoked \\(keyCompromise, 20\\d\\d-.*\\)"), reasons.getFirst());
        assertEquals(1, log.lines().filter(l -> l.contains("INFO connected to")).count(), () -> "it reconnected:\n" + log);
        assertFalse(STACK_TRACE.matcher(log).find(), log);
        assertFalse(tb.linkExists(c.ns(), TAP), "the client's TAP is gone");
    }

    /** Runs {@code rqst ca ARGS} (the real launcher) in {@code dir} with the CA passphrase file; requires exit 0; returns stdout. */
    private String ca(Path dir, String... args) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "rqst-ca", dir.toString(),
                VpnBed.launcher().toString(), "ca"));
        argv.addAll(List.of(args));
        if (List.of("init", "issue", "revoke", "crl").contains(args[0])) {
            argv.add("--passphrase-file=" + passFile);
        }
        CommandRunner.Result r = Testbed.runLocal(Duration.ofSeconds(120), argv.toArray(String[]::new));
        assertEquals(0, r.exitCode(), () -> "rqst ca " + String.join(" ", args) + " in " + dir + ": " + r.stderr() + r.stdout());
        return r.stdout();
    }

    private void issueClient(String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("issue", "client", "--name", name, "--out", "clients/" + name));
        args.addAll(List.of(extra));
        ca(serverDir, args.toArray(String[]::new));
    }

    /** A client's working directory as rqst ca issue client --out made it. */
    private Path clientDir(String name) {
        Path issued = serverDir.resolve("clients").resolve(name);
        return bed.dir("c-" + name + "-" + System.nanoTime(), Map.of("ca.crt", issued.resolve("ca.crt"),
                "client.crt", issued.resolve("client.crt"), "client.key", issued.resolve("client.key")));
    }

    /** One refused attempt from site C. */
    private final class Attempt {
        final Spawned client;
        final int serverMark;

        Attempt(Spawned client, int serverMark) {
            this.client = client;
            this.serverMark = serverMark;
        }

        /** Exit code 1, one "rqst: " line holding every keyword, no stack trace, no TAP. */
        void assertClientSays(String... keywords) {
            String stderr = client.log();
            assertEquals(1, client.exitCode().orElseThrow(), () -> "exit code of the refused client; stderr:\n" + stderr);
            List<String> reasons = stderr.lines().filter(l -> l.startsWith("rqst: ")).toList();
            assertEquals(1, reasons.size(), () -> "one 'rqst: ' line on stderr:\n" + stderr);
            for (String k : keywords) {
                assertTrue(reasons.getFirst().toLowerCase(Locale.ROOT).contains(k.toLowerCase(Locale.ROOT)),
                        () -> "the reason does not say '" + k + "': " + reasons.getFirst());
            }
            assertFalse(STACK_TRACE.matcher(stderr).find(), () -> "a stack trace on stderr:\n" + stderr);
            assertFalse(stderr.contains(" is up"), () -> "the refused client brought a TAP up:\n" + stderr);
            assertFalse(tb.linkExists(c.ns(), TAP), "the refused client left a TAP");
        }

        /** The server logged one refusal of C matching {@code reason} (a regex), and opened no session for it. */
        void assertServerSays(String reason) {
            Pattern refused = Pattern.compile("WARN refused " + Pattern.quote(c.v4()) + ":\\d+: " + reason);
            VpnBed.awaitLogAfter(server, serverMark, refused, Duration.ofSeconds(10));
            String after = server.log().substring(serverMark);
            assertEquals(1, VpnBed.lines(after, Pattern.compile("WARN refused " + Pattern.quote(c.v4()) + ":")).size(), after);
            assertEquals(List.of(), VpnBed.lines(after, Pattern.compile("open: user \\S+ from " + Pattern.quote(c.v4()) + ":")),
                    "the server opened a session for the refused client");
        }
    }

    private Attempt attempt(Path dir, String... clientArgs) {
        int mark = VpnBed.mark(server);
        Spawned client = bed.client(c.ns(), dir, "refused", clientArgs);
        assertTrue(client.waitFor(REFUSAL_BOUND), () -> "the refused client still runs after " + REFUSAL_BOUND.toSeconds()
                + " s; its log ends with:\n" + client.logTail());
        return new Attempt(client, mark);
    }

    private static String mode(Path p) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
