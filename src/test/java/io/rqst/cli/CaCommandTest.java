package io.rqst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.ca.Trees;
import io.rqst.cli.MainTest.Run;
import io.rqst.pki.Bundle;
import io.rqst.pki.Crl;
import io.rqst.pki.Identity;
import io.rqst.pki.Pem;
import io.rqst.pki.RevocationList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rqst ca} through {@link Main#execute}: the whole life of a CA, and every mistake a user can make (wrong
 * passphrase, corrupt PEM, missing file, unknown name, a second init, files in the way) ending with exit code 2,
 * one {@code rqst: } line naming what is wrong, no stack trace, and the CA directory exactly as it was.
 */
class CaCommandTest {
    static final String PASS = "correct horse battery";

    @TempDir
    Path tmp;
    Path ca;
    Path pass;

    @BeforeEach
    void files() throws Exception {
        ca = tmp.resolve("ca");
        pass = Files.writeString(tmp.resolve("pass"), PASS + "\n");
        Passphrases.environment = name -> null;
    }

    @AfterEach
    void restoreEnvironment() {
        Passphrases.environment = System::getenv;
    }

    /** rqst ca ARGS with --dir and, for commands that sign, --passphrase-file added. */
    private Run ca(String... args) {
        List<String> a = new ArrayList<>(List.of("ca"));
        a.addAll(List.of(args));
        a.add(2, "--dir=" + ca);
        return MainTest.run(a.toArray(String[]::new));
    }

    private Run signing(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--passphrase-file=" + pass);
        return ca(a.toArray(String[]::new));
    }

    private static void assertOk(Run r) {
        assertEquals(0, r.code(), () -> "stdout: " + r.out() + "\nstderr: " + r.err());
    }

    /** Exit 2; exactly one "rqst: " line on stderr, containing {@code problem}; no stack trace; nothing on stdout. */
    static void assertRefused(Run r, String problem) {
        String all = "stdout: " + r.out() + "\nstderr: " + r.err();
        assertEquals(Main.EXIT_USAGE, r.code(), all);
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("Try '")).toList();
        assertEquals(1, lines.size(), all);
        assertTrue(lines.getFirst().startsWith("rqst: "), all);
        assertTrue(lines.getFirst().contains(problem), "expected '" + problem + "' in: " + lines.getFirst());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception") || r.err().contains("internal error"), all);
        assertEquals("", r.out(), all);
    }

    private void initCa() {
        assertOk(signing("init", "--ec", "--name", "Test CA"));
    }

    @Test
    void aCaFromInitToBundle() throws Exception {
        Run init = signing("init", "--ec", "--name", "Test CA", "--crl-days", "7");
        assertOk(init);
        assertTrue(init.out().contains("CA \"CN=Test CA\" made in " + ca + "/ (EC P-256, valid until "), init.out());
        assertEquals("rwx------", Trees.mode(ca));

        Path srv = tmp.resolve("srv");
        Run server = signing("issue", "server", "--name", "rqst.example.com", "--san", "DNS:rqst4.example.com,IP:203.0.113.1",
                "--out", srv.toString());
        assertOk(server);
        assertTrue(server.out().contains("names DNS:rqst.example.com, DNS:rqst4.example.com, IP:203.0.113.1"), server.out());
        Identity serverId = Identity.load(srv.resolve("server.key"), srv.resolve("server.crt"));
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), serverId.certificate().getExtendedKeyUsage());
        assertEquals("rw-------", Trees.mode(srv.resolve("server.key")));
        assertEquals(Files.readString(ca.resolve("ca.crt")), Files.readString(srv.resolve("ca.crt")));

        Path alice = tmp.resolve("alice");
        assertOk(signing("issue", "client", "--name", "alice", "--out", alice.toString()));
        assertEquals("alice", Identity.load(alice.resolve("client.key"), alice.resolve("client.crt")).subjectCn());
        assertOk(signing("issue", "client", "--name", "bob", "--out", tmp.resolve("bob").toString()));

        Run list = ca("list");
        assertOk(list);
        assertEquals(4, list.out().lines().count(), list.out());
        assertTrue(list.out().lines().skip(1).allMatch(l -> l.endsWith(" valid")), list.out());
        assertTrue(list.out().contains(" server CN=rqst.example.com "), list.out());

        Run revoke = signing("revoke", "bob", "--reason", "key-compromise");
        assertOk(revoke);
        assertTrue(revoke.out().startsWith("revoked client \"bob\" (serial 0x"), revoke.out());
        X509Certificate bob = Pem.readCertificates(tmp.resolve("bob/client.crt")).getFirst();
        RevocationList crl = Crl.load(ca.resolve("crl.pem"), Pem.readCertificates(ca.resolve("ca.crt")));
        assertTrue(crl.find(bob).isPresent());
        assertTrue(ca("list").out().lines().anyMatch(l -> l.contains("CN=bob") && l.contains("revoked ") && l.endsWith("(keyCompromise)")));
        assertRefused(signing("revoke", "bob"), "every certificate named \"bob\" is revoked already");

        assertOk(signing("crl"));
        assertEquals(crl.number().orElseThrow().add(java.math.BigInteger.ONE),
                Crl.load(ca.resolve("crl.pem"), Pem.readCertificates(ca.resolve("ca.crt"))).number().orElseThrow());

        Path p12pass = Files.writeString(tmp.resolve("p12pass"), "export passphrase\n");
        Path p12 = tmp.resolve("alice.p12");
        assertOk(ca("export", "alice", "--p12", "--out", p12.toString(), "--passphrase-file", p12pass.toString()));
        assertEquals("rw-------", Trees.mode(p12));
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(Files.newInputStream(p12), "export passphrase".toCharArray());
        assertEquals(List.of("alice"), java.util.Collections.list(ks.aliases()));
        assertEquals(2, ks.getCertificateChain("alice").length, "client and CA");

        Path pem = tmp.resolve("pem");
        assertOk(ca("export", "alice", "--pem", "--out", pem.toString()));
        assertEquals("rw-------", Trees.mode(pem.resolve("alice.key")));
        assertTrue(Files.exists(pem.resolve("alice.crt")) && Files.exists(pem.resolve("ca.crt")));

        Path bundleFile = tmp.resolve("alice.rqst");
        Run made = ca("bundle", "alice", "--server", "vpn://rqst.example.com", "--out", bundleFile.toString());
        assertOk(made);
        assertEquals("", made.err(), "the CA's server certificate names rqst.example.com: no warning");
        assertEquals("rw-------", Trees.mode(bundleFile));
        // a host no server certificate of the CA names: written all the same (the server's may come from elsewhere), with a warning
        Run other = ca("bundle", "alice", "--server", "vpn://other.example.com", "--out", tmp.resolve("other.rqst").toString());
        assertOk(other);
        assertTrue(other.err().startsWith("warning: no valid server certificate of this CA names other.example.com: server"
                + " certificate \"CN=rqst.example.com\" names rqst.example.com"), other.err());
        assertTrue(Files.exists(tmp.resolve("other.rqst")));
        Bundle bundle = Bundle.read(bundleFile);
        assertEquals("vpn://rqst.example.com:3456", bundle.server());
        assertEquals("alice", bundle.identity().subjectCn());
        assertRefused(ca("bundle", "bob", "--server", "vpn://rqst.example.com", "--out", tmp.resolve("b.rqst").toString()),
                "\"bob\" has no valid certificate (revoked; see rqst ca list)");
        assertRefused(ca("bundle", "rqst.example.com", "--server", "vpn://rqst.example.com", "--out", tmp.resolve("s.rqst").toString()),
                "is not a client certificate; a bundle is for a client");
    }

    @Test
    void theDefaultsWriteWhereServerAndClientLookAndTheCaIsTheRsaOfTheManual() throws Exception {
        Path cwd = Files.createDirectories(tmp.resolve("work"));
        // ca init without --ec: RSA 4096 as the manual's CA; issue without --out: the working directory (here: --out .)
        assertOk(signing("init"));
        assertEquals("RSA", Pem.readCertificates(ca.resolve("ca.crt")).getFirst().getPublicKey().getAlgorithm());
        assertEquals(4096, ((java.security.interfaces.RSAPublicKey) Pem.readCertificates(ca.resolve("ca.crt")).getFirst()
                .getPublicKey()).getModulus().bitLength());
        assertOk(signing("issue", "server", "--name", "rqst.example.com", "--out", cwd.toString()));
        assertTrue(Files.exists(cwd.resolve("server.key")) && Files.exists(cwd.resolve("server.crt")) && Files.exists(cwd.resolve("ca.crt")));
        assertEquals(2048, ((java.security.interfaces.RSAPublicKey) Pem.readCertificates(cwd.resolve("server.crt")).getFirst()
                .getPublicKey()).getModulus().bitLength());
    }

    @Test
    void aSecondInitRefusesAndLeavesTheCaAsItWas() throws Exception {
        initCa();
        String before = Trees.fingerprint(ca);
        assertRefused(signing("init", "--ec"), ca + ": holds a CA already; refusing to overwrite it");
        assertEquals(before, Trees.fingerprint(ca));
    }

    @Test
    void aWrongPassphraseIsOneLineAndChangesNothing() throws Exception {
        initCa();
        assertOk(signing("issue", "client", "--name", "alice", "--out", tmp.resolve("alice").toString()));
        String before = Trees.fingerprint(ca);
        Path wrong = Files.writeString(tmp.resolve("wrong"), "not the passphrase\n");
        String expected = "wrong passphrase for " + ca.resolve("ca.key") + " (or the key is corrupt)";
        Path out = tmp.resolve("bob");
        assertRefused(ca("issue", "client", "--name", "bob", "--out", out.toString(), "--passphrase-file", wrong.toString()), expected);
        assertFalse(Files.exists(out), "nothing written for bob");
        assertRefused(ca("revoke", "alice", "--passphrase-file", wrong.toString()), expected);
        assertRefused(ca("crl", "--passphrase-file", wrong.toString()), expected);
        assertEquals(before, Trees.fingerprint(ca));
    }

    @Test
    void corruptPemInTheCaIsNamed() throws Exception {
        initCa();
        String key = Files.readString(ca.resolve("ca.key"));
        Files.writeString(ca.resolve("ca.key"), key.substring(0, 40) + "####" + key.substring(44));
        String before = Trees.fingerprint(ca);
        assertRefused(signing("issue", "client", "--name", "alice", "--out", tmp.resolve("a").toString()),
                ca.resolve("ca.key") + ": is corrupt: the base64 text of a PEM block does not decode");
        assertEquals(before, Trees.fingerprint(ca));

        Files.writeString(ca.resolve("ca.key"), key);
        Files.writeString(ca.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        String before2 = Trees.fingerprint(ca);
        assertRefused(ca("list"), ca.resolve("ca.crt") + ": the CERTIFICATE block is corrupt (its content is not valid DER)");
        assertRefused(signing("revoke", "alice"), ca.resolve("ca.crt") + ": the CERTIFICATE block is corrupt");
        assertEquals(before2, Trees.fingerprint(ca));
    }

    @Test
    void missingFilesAreNamed() throws Exception {
        assertRefused(ca("list"), ca + ": no CA here (no " + ca.resolve("index.json") + "); make one with: rqst ca init --dir " + ca);
        initCa();
        String before = Trees.fingerprint(ca);
        Path nowhere = tmp.resolve("nowhere");
        assertRefused(ca("issue", "client", "--name", "alice", "--out", tmp.resolve("a").toString(), "--passphrase-file", nowhere.toString()),
                nowhere + ": no such file (--passphrase-file)");
        Files.delete(ca.resolve("ca.key"));
        String withoutKey = Trees.fingerprint(ca);
        assertRefused(signing("crl"), ca.resolve("ca.key") + ": no such file");
        assertEquals(withoutKey, Trees.fingerprint(ca));
        assertFalse(before.equals(withoutKey));
    }

    // Promise: a CA whose key other users can read (copied or restored with the wrong mode) is worked with, with one
    // warning line that says how to mend it; a key of mode 0600, as init writes it, gets none.
    @Test
    void aCaKeyOthersCanReadIsWarnedAbout() throws Exception {
        initCa();
        Run quiet = ca("list");
        assertOk(quiet);
        assertEquals("", quiet.err(), "init wrote the key 0600: no warning");
        Path key = ca.resolve("ca.key");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Run warned = ca("list");
        assertOk(warned);
        assertEquals("warning: " + key + " can be read by other users (rw-r--r--) and it is the CA's key (the passphrase is all"
                + " that guards it then): chmod 600 " + key + "\n", warned.err());
    }

    @Test
    void unknownNamesAreNamed() throws Exception {
        initCa();
        String before = Trees.fingerprint(ca);
        String unknown = "no certificate named or numbered \"carol\" in this CA (see: rqst ca list)";
        assertRefused(signing("revoke", "carol"), unknown);
        assertRefused(ca("export", "carol", "--pem", "--out", tmp.resolve("x").toString()), unknown);
        assertRefused(ca("bundle", "carol", "--server", "vpn://h", "--out", tmp.resolve("c.rqst").toString()), unknown);
        assertRefused(signing("revoke", "ABCDEF"), "no certificate named or numbered \"ABCDEF\"");
        assertEquals(before, Trees.fingerprint(ca));
    }

    @Test
    void withoutAPassphraseSourceItSaysWhereToPutOne() throws Exception {
        Run r = ca("init", "--ec");
        assertRefused(r, "no passphrase for the CA key: give --passphrase-file FILE or set RQST_CA_PASSPHRASE (there is no terminal to ask on)");
        assertFalse(Files.exists(ca));
        Passphrases.environment = Map.of("RQST_CA_PASSPHRASE", PASS)::get;
        assertOk(ca("init", "--ec"));
        assertOk(ca("issue", "client", "--name", "alice", "--out", tmp.resolve("a").toString()));
        Passphrases.environment = Map.of("RQST_CA_PASSPHRASE", "short")::get;
        Path other = tmp.resolve("other");
        assertRefused(MainTest.run("ca", "init", "--ec", "--dir", other.toString()),
                "the passphrase for the CA key from $RQST_CA_PASSPHRASE is too short (at least 8 characters)");
        assertFalse(Files.exists(other));
    }

    @Test
    void issuedFilesAreNotOverwrittenNorNamesReusedWithoutForce() throws Exception {
        initCa();
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("client.key"), "my precious key");
        String before = Trees.fingerprint(ca);
        assertRefused(signing("issue", "client", "--name", "alice", "--out", out.toString()),
                out.resolve("client.key") + ": exists already; refusing to overwrite it (use --force, or --out elsewhere)");
        assertEquals("my precious key", Files.readString(out.resolve("client.key")));
        assertEquals(before, Trees.fingerprint(ca), "nothing issued");
        assertOk(signing("issue", "client", "--name", "alice", "--out", out.toString(), "--force"));
        assertRefused(signing("issue", "client", "--name", "alice", "--out", tmp.resolve("again").toString()),
                "\"alice\" has a valid certificate already (client \"alice\" (serial 0x");
        assertOk(signing("issue", "client", "--name", "alice", "--out", tmp.resolve("again").toString(), "--force"));
        Run revoke = signing("revoke", "alice");
        assertOk(revoke);
        assertEquals(2, revoke.out().lines().filter(l -> l.startsWith("revoked client \"alice\"")).count(), revoke.out());
    }

    @Test
    void anOutThatCannotBeWrittenChangesNothing() throws Exception {
        initCa();
        Path file = Files.writeString(tmp.resolve("afile"), "x");
        String before = Trees.fingerprint(ca);
        assertRefused(signing("issue", "client", "--name", "erin", "--out", file.toString()),
                file.resolve("client.key") + ": cannot be written: " + file + " is a file, not a directory");
        assertRefused(signing("crl", "--out", file.resolve("crl.pem").toString()), "is a file, not a directory");
        Path dir = Files.createDirectories(tmp.resolve("adir"));
        assertRefused(signing("crl", "--out", dir.toString()), dir + ": is a directory; name a file to write");
        assertEquals(before, Trees.fingerprint(ca), "a refused command issued nothing and made no new CRL");
        assertFalse(signing("list").out().contains("erin"));
        // a --out whose directories do not exist yet is made
        Path deep = tmp.resolve("new/dir/crl.pem");
        assertOk(signing("crl", "--out", deep.toString()));
        assertTrue(Files.readString(deep).startsWith("-----BEGIN X509 CRL-----"));
    }

    @Test
    void badOptionValuesAreNamed() throws Exception {
        initCa();
        String before = Trees.fingerprint(ca);
        assertRefused(signing("issue", "server", "--name", "h.example", "--san", "DNS:bad_name", "--out", tmp.resolve("s").toString()),
                "\"bad_name\" is not a DNS name");
        assertRefused(signing("issue", "client", "--name", "alice", "--san", "DNS:x.example", "--out", tmp.resolve("c").toString()),
                "--san is for server certificates");
        assertRefused(signing("issue", "router", "--name", "x", "--out", tmp.resolve("r").toString()), "\"router\" is not a certificate type (server or client)");
        assertRefused(signing("issue", "client", "--name", "a/b", "--out", tmp.resolve("r").toString()), "contains a control character, '/' or '\\'");
        assertRefused(signing("revoke", "alice", "--reason", "boredom"), "\"boredom\" is not a revocation reason (one of unspecified, keyCompromise");
        assertRefused(ca("bundle", "alice", "--server", "http://x", "--out", tmp.resolve("x.rqst").toString()), "http://x");
        assertRefused(ca("export", "alice"), "Error: Missing required argument (specify one of these): (--p12 | --pem)");
        assertEquals(before, Trees.fingerprint(ca));
        assertRefused(MainTest.run("ca", "init", "--ec", "--rsa", "2048", "--dir", tmp.resolve("x").toString()), "mutually exclusive");
        assertRefused(MainTest.run("ca", "init", "--rsa", "1024", "--dir", tmp.resolve("x").toString(), "--passphrase-file", pass.toString()),
                "--rsa 1024: RSA keys are 2048, 3072 or 4096 bits");
    }

    @Test
    void theClientTakesEverythingFromABundleOrSaysWhatIsWrongWithIt() throws Exception {
        initCa();
        assertOk(signing("issue", "client", "--name", "alice", "--out", tmp.resolve("alice").toString()));
        Path bundle = tmp.resolve("alice.rqst");
        assertOk(ca("bundle", "alice", "--server", "vpn://rqst.example.com:4433", "--out", bundle.toString()));
        String state = "--state-dir=" + tmp.resolve("state");
        // the bundle is read and its URL parsed: the run gets as far as the next check (--mtu)
        MainTest.assertUsageError(MainTest.run("client", state, "--bundle", bundle.toString(), "--mtu", "1"), "--mtu 1 is out of range");
        MainTest.assertUsageError(MainTest.run("client", state, "--bundle", bundle.toString(), "--ca", "ca.crt"),
                "--ca and --bundle exclude each other");
        Path broken = Files.writeString(tmp.resolve("broken.rqst"), Files.readString(bundle).replace("rqst-bundle: 1", "x"));
        MainTest.assertUsageError(MainTest.run("client", state, "--bundle", broken.toString()), broken + ": is not an rqst bundle");
        Path badUrl = Files.writeString(tmp.resolve("badurl.rqst"), Files.readString(bundle).replace("vpn://rqst.example.com:4433", "ftp://x"));
        Files.setPosixFilePermissions(badUrl, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        MainTest.assertUsageError(MainTest.run("client", state, "--bundle", badUrl.toString()), badUrl + ": server: ");
        // a bundle others can read is used, with a warning
        Path open = Files.writeString(tmp.resolve("open.rqst"), Files.readString(bundle));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Run warned = MainTest.run("client", state, "--bundle", open.toString(), "--mtu", "1");
        assertEquals(Main.EXIT_USAGE, warned.code());
        assertTrue(warned.err().startsWith("warning: " + open + " can be read by other users (rw-r--r--) and it holds a private key:"
                + " chmod 600 " + open + "\nrqst: --mtu 1 is out of range"), warned.err());
        MainTest.assertUsageError(MainTest.run("client", state, "--bundle", tmp.resolve("none.rqst").toString()),
                tmp.resolve("none.rqst") + ": no such file");
        MainTest.assertUsageError(MainTest.run("client", state), "Missing required parameter: 'URL' (the server, vpn://HOST[:PORT]), or --bundle FILE");
    }

    @Test
    void theServerNamesAMissingOrForeignCrl() throws Exception {
        initCa();
        Path srv = tmp.resolve("srv");
        assertOk(signing("issue", "server", "--name", "rqst.example.com", "--out", srv.toString()));
        List<String> args = serverWith(srv, "server");
        args.addAll(List.of("--crl", tmp.resolve("nope.pem").toString()));
        MainTest.assertUsageError(MainTest.run(args.toArray(String[]::new)), tmp.resolve("nope.pem") + ": no such file (--crl)");

        Path otherCa = tmp.resolve("other");
        assertOk(MainTest.run("ca", "init", "--ec", "--name", "Other CA", "--dir", otherCa.toString(), "--passphrase-file", pass.toString()));
        args.set(args.size() - 1, otherCa.resolve("crl.pem").toString());
        MainTest.assertUsageError(MainTest.run(args.toArray(String[]::new)),
                otherCa.resolve("crl.pem") + ": is issued by \"CN=Other CA\", not by our CA \"CN=Test CA\"");
    }

    /** {@code rqst server} with a state dir under tmp and {@code dir}'s ca.crt, KIND.crt and KIND.key as its files. */
    private List<String> serverWith(Path dir, String kind) {
        return new ArrayList<>(List.of("server", "--state-dir=" + tmp.resolve("state"), "--ca", dir.resolve("ca.crt").toString(),
                "--cert", dir.resolve(kind + ".crt").toString(), "--key", dir.resolve(kind + ".key").toString()));
    }

    // Promise: a server started with a certificate or key that every client's handshake would refuse says so at start
    // (exit 2), instead of running and failing each client: a client certificate, an Ed25519 key.
    @Test
    void theServerRefusesAnIdentityNoClientWouldAccept() throws Exception {
        initCa();
        Path cli = tmp.resolve("cli");
        assertOk(signing("issue", "client", "--name", "alice", "--out", cli.toString()));
        String state = "--state-dir=" + tmp.resolve("state");
        MainTest.assertUsageError(MainTest.run(serverWith(cli, "client").toArray(String[]::new)),
                cli.resolve("client.crt") + ": \"CN=alice\" is not a server certificate (its extended key usage does not include"
                        + " serverAuth): clients refuse it; issue one with rqst ca issue server");
        // an EC server identity is fine
        Path ecCa = tmp.resolve("ec");
        assertOk(MainTest.run("ca", "init", "--ec", "--name", "EC CA", "--dir", ecCa.toString(), "--passphrase-file", pass.toString()));
        Path srv = tmp.resolve("ecsrv");
        assertOk(MainTest.run("ca", "issue", "server", "--name", "rqst.example.com", "--dir", ecCa.toString(), "--out", srv.toString(),
                "--passphrase-file", pass.toString()));
        Credentials.checkServerIdentity(io.rqst.pki.Identity.load(srv.resolve("server.key"), srv.resolve("server.crt")),
                srv.resolve("server.crt"), srv.resolve("server.key"));
        // a server certificate of another CA than the one given with --ca: a warning (clients trusting only that CA refuse it)
        List<java.security.cert.X509Certificate> ours = io.rqst.pki.Pem.readCertificates(ca.resolve("ca.crt"));
        List<java.security.cert.X509Certificate> ecChain = io.rqst.pki.Pem.readCertificates(srv.resolve("server.crt"));
        assertEquals(java.util.Optional.of(srv.resolve("server.crt") + " is not issued by " + ca.resolve("ca.crt")
                        + " (it is issued by \"CN=EC CA\"): clients that trust only " + ca.resolve("ca.crt") + " will refuse this server"),
                Credentials.notIssuedBy(ours, ecChain, srv.resolve("server.crt"), ca.resolve("ca.crt")));
        assertEquals(java.util.Optional.empty(), Credentials.notIssuedBy(io.rqst.pki.Pem.readCertificates(ecCa.resolve("ca.crt")),
                ecChain, srv.resolve("server.crt"), ecCa.resolve("ca.crt")));
        // Ed25519, made by openssl
        Path ed = tmp.resolve("ed.key");
        Path edCrt = tmp.resolve("ed.crt");
        Process p = new ProcessBuilder("sh", "-c", "openssl genpkey -algorithm ed25519 -out " + ed + " && openssl req -x509 -key " + ed
                + " -out " + edCrt + " -subj /CN=rqst.example.com -days 2").redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
        MainTest.assertUsageError(MainTest.run("server", state, "--ca", edCrt.toString(), "--cert", edCrt.toString(), "--key", ed.toString()),
                ed + ": its key type is ");
    }

    @Test
    void helpTextsExist() {
        for (String sub : List.of("init", "issue", "list", "revoke", "crl", "export", "bundle")) {
            Run r = MainTest.run("ca", sub, "--help");
            assertEquals(0, r.code(), sub + ": " + r.err());
            assertTrue(r.out().contains("Usage: rqst ca " + sub), r.out());
        }
        Run ca = MainTest.run("ca");
        assertEquals(0, ca.code());
        assertTrue(ca.out().contains("rqst ca issue server --name rqst.example.com"), ca.out());
        assertTrue(MainTest.run("server", "--help").out().contains("--crl=FILE"));
        assertTrue(MainTest.run("client", "--help").out().contains("--bundle=FILE"));
    }
}
