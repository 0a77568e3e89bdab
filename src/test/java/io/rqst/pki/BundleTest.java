package io.rqst.pki;

import static io.rqst.pki.KeyAssertions.assertSameKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.ca.CertificateAuthority;
import io.rqst.ca.CertificateKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One-file client bundles: what is written is read back, blocks in any order; broken ones are named. */
class BundleTest {
    private static CertificateAuthority ca;
    private static Identity alice;

    @TempDir
    Path dir;

    @BeforeAll
    static void issue() {
        ca = CrlTest.newCa("RQST CA");
        Instant now = Instant.now();
        var issued = ca.issue(CertificateKind.CLIENT, "alice", List.of(), now.minusSeconds(60), now.plusSeconds(3600));
        alice = new Identity(issued.key(), List.of(issued.certificate()));
    }

    @Test
    void aBundleReadsBackAsWritten() throws Exception {
        Bundle bundle = new Bundle("vpn://rqst.example.com:3456", List.of(ca.certificate()), alice);
        Path file = dir.resolve("alice.rqst");
        AtomicFiles.write(file, bundle.encode("alice"), AtomicFiles.PRIVATE);
        Bundle read = Bundle.read(file);
        assertEquals("vpn://rqst.example.com:3456", read.server());
        assertEquals(List.of(ca.certificate()), read.caCertificates());
        assertEquals(alice.chain(), read.identity().chain());
        assertSameKey(alice.key(), read.identity().key());
        String text = Files.readString(file);
        assertTrue(text.contains("rqst-bundle: 1\nserver: vpn://rqst.example.com:3456\n"), text);
        assertTrue(text.indexOf("BEGIN CERTIFICATE") < text.indexOf("BEGIN PRIVATE KEY"), text);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void theBlocksMayComeInAnyOrder() throws Exception {
        Path file = Files.writeString(dir.resolve("x.rqst"), "rqst-bundle: 1\n# a comment\nserver: vpn://h\nfuture: ignored\n"
                + Pem.encode(alice.key()) + Pem.encode(alice.certificate()) + Pem.encode(ca.certificate()));
        Bundle read = Bundle.read(file);
        assertEquals("vpn://h", read.server());
        assertEquals(alice.certificate(), read.identity().certificate());
        assertEquals(List.of(ca.certificate()), read.caCertificates());
    }

    @Test
    void brokenBundlesAreNamedWithWhatIsMissing() throws Exception {
        String ca = Pem.encode(BundleTest.ca.certificate());
        String cert = Pem.encode(alice.certificate());
        String key = Pem.encode(alice.key());
        assertProblem("server: vpn://h\n" + ca + cert + key, ": is not an rqst bundle (it lacks the line \"rqst-bundle: 1\";"
                + " make one with: rqst ca bundle NAME --server vpn://HOST)");
        assertProblem("rqst-bundle: 2\nserver: vpn://h\n" + ca + cert + key, ": is an rqst bundle of version 2; this rqst reads version 1");
        assertProblem("rqst-bundle: 1\n" + ca + cert + key, ": names no server (a line \"server: vpn://HOST[:PORT]\")");
        assertProblem("rqst-bundle: 1\nserver: vpn://h\n" + ca + cert, ": holds no private key (a block -----BEGIN PRIVATE KEY-----)");
        assertProblem("rqst-bundle: 1\nserver: vpn://h\n" + cert + key, ": holds no CA certificate (only the client's own)");
        assertProblem("rqst-bundle: 1\nserver: vpn://h\n" + ca + key, ": its private key belongs to none of its certificates");
        assertProblem("rqst-bundle: 1\nserver: vpn://h\n" + key, ": holds no certificate (it needs the CA's and the client's)");
        Path missing = dir.resolve("missing.rqst");
        assertEquals(missing + ": no such file", assertThrows(PkiException.class, () -> Bundle.read(missing)).getMessage());
    }

    private void assertProblem(String text, String problem) throws Exception {
        Path file = Files.writeString(dir.resolve("b" + System.nanoTime() + ".rqst"), text);
        assertEquals(file + problem, assertThrows(PkiException.class, () -> Bundle.read(file)).getMessage());
    }

    @Test
    void anEncryptedKeyReadsWithItsPassphraseOnly() throws Exception {
        X509Certificate unused = alice.certificate();
        Path file = Files.writeString(dir.resolve("ca.key"),
                Pem.encodeEncrypted(alice.key(), "secret phrase".toCharArray(), 1000, new java.security.SecureRandom()));
        assertEquals(alice.key(), Pem.readEncryptedPrivateKey(file, "secret phrase".toCharArray()));
        assertEquals("wrong passphrase for " + file + " (or the key is corrupt)", assertThrows(PkiException.class,
                () -> Pem.readEncryptedPrivateKey(file, "secret phrasf".toCharArray())).getMessage());
        Path plain = Files.writeString(dir.resolve("plain.key"), Pem.encode(alice.key()));
        assertEquals(plain + " is not encrypted; a CA key must be kept encrypted with a passphrase",
                assertThrows(PkiException.class, () -> Pem.readEncryptedPrivateKey(plain, "x".toCharArray())).getMessage());
        assertTrue(unused != null);
    }

    /** Interop: the manual's CA key (openssl genrsa -aes256, OpenSSL 3: PKCS#8 PBES2) reads with its passphrase. */
    @Test
    void theManualsEncryptedCaKeyReadsWithItsPassphrase() throws Exception {
        ManualPki pki = ManualPki.shared();
        Path key = pki.path("private/ca.key");
        var read = Pem.readEncryptedPrivateKey(key, "rqst-manual-ca".toCharArray());
        assertTrue(Identity.belongTogether(read, pki.ca().getFirst().getPublicKey()));
        assertEquals("wrong passphrase for " + key + " (or the key is corrupt)", assertThrows(PkiException.class,
                () -> Pem.readEncryptedPrivateKey(key, "wrong".toCharArray())).getMessage());
    }
}
