package io.rqst.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.pki.AtomicFiles;
import io.rqst.pki.Identity;
import io.rqst.pki.Pem;
import io.rqst.pki.RevocationReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What rqst's CA makes, checked by OpenSSL itself: {@code openssl verify -crl_check} accepts its certificates and
 * refuses a revoked one, {@code openssl pkey} decrypts its key, {@code openssl x509 -text} shows the extensions,
 * {@code openssl pkcs12 -info} opens its PKCS#12 files (both kinds). The default CA key is RSA 4096 as in the
 * RQST manual.
 */
class OpensslInteropTest {
    static final String PASS = "correct horse battery";
    private final SecureRandom random = new SecureRandom();

    @TempDir
    Path tmp;

    private static Openssl.Run openssl(Path dir, String... args) {
        return Openssl.run(dir, args);
    }

    private static String ok(Path dir, String... args) {
        return Openssl.ok(dir, args);
    }

    @Test
    void theDefaultRsaCaIsVerifiedWithItsCrlByOpenssl() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("RQST CA", KeyAlgorithm.RSA_4096,
                CertificateAuthority.CA_VALIDITY, Clock.systemUTC(), random);
        check(ca, "RSA");
        String text = ok(tmp, "x509", "-in", "ca/ca.crt", "-noout", "-text");
        assertTrue(text.contains("Public-Key: (4096 bit)"), text);
        String leaf = ok(tmp, "x509", "-in", "server.crt", "-noout", "-text");
        assertTrue(leaf.contains("Public-Key: (2048 bit)"), leaf);
        assertTrue(leaf.contains("Digital Signature, Key Encipherment"), leaf);
    }

    @Test
    void anEcCaIsVerifiedWithItsCrlByOpenssl() throws Exception {
        check(CertificateAuthority.create("RQST EC CA", KeyAlgorithm.EC_P256, CertificateAuthority.CA_VALIDITY, Clock.systemUTC(), random), "EC");
    }

    private void check(CertificateAuthority ca, String family) throws Exception {
        CaStore store = CaStore.create(tmp.resolve("ca"), ca, PASS.toCharArray(), 30, random);
        Instant now = Instant.now();
        var server = ca.issue(CertificateKind.SERVER, "rqst.example.com",
                AltNames.parse("DNS:rqst.example.com,DNS:rqst4.example.com,IP:203.0.113.1"), now.minusSeconds(60), now.plus(Duration.ofDays(730)));
        var alice = ca.issue(CertificateKind.CLIENT, "alice", List.of(), now.minusSeconds(60), now.plus(Duration.ofDays(730)));
        var bob = ca.issue(CertificateKind.CLIENT, "bob", List.of(), now.minusSeconds(60), now.plus(Duration.ofDays(730)));
        CaIndex.Entry bobEntry;
        try (CaStore.Lock _ = store.lock()) {
            store.record(server);
            store.record(alice);
            bobEntry = store.record(bob);
        }
        Files.writeString(tmp.resolve("server.crt"), Pem.encode(server.certificate()));
        Files.writeString(tmp.resolve("alice.crt"), Pem.encode(alice.certificate()));
        Files.writeString(tmp.resolve("bob.crt"), Pem.encode(bob.certificate()));

        String verified = ok(tmp, "verify", "-CAfile", "ca/ca.crt", "-crl_check", "-CRLfile", "ca/crl.pem",
                "server.crt", "alice.crt", "bob.crt");
        assertEquals("server.crt: OK\nalice.crt: OK\nbob.crt: OK\n", verified);
        ok(tmp, "verify", "-CAfile", "ca/ca.crt", "-purpose", "sslserver", "server.crt");
        ok(tmp, "verify", "-CAfile", "ca/ca.crt", "-purpose", "sslclient", "alice.crt");
        Openssl.Run wrongPurpose = openssl(tmp, "verify", "-CAfile", "ca/ca.crt", "-purpose", "sslclient", "server.crt");
        assertTrue(wrongPurpose.code() != 0 && wrongPurpose.out().contains("unsuitable certificate purpose"), wrongPurpose.out());

        try (CaStore.Lock _ = store.lock()) {
            store.revoke(store.unlock(PASS.toCharArray(), Clock.systemUTC(), random), List.of(bobEntry), RevocationReason.KEY_COMPROMISE);
        }
        Openssl.Run revoked = openssl(tmp, "verify", "-CAfile", "ca/ca.crt", "-crl_check", "-CRLfile", "ca/crl.pem", "bob.crt");
        assertTrue(revoked.code() != 0 && revoked.out().contains("certificate revoked"), revoked.out());
        ok(tmp, "verify", "-CAfile", "ca/ca.crt", "-crl_check", "-CRLfile", "ca/crl.pem", "alice.crt");
        String crl = ok(tmp, "crl", "-in", "ca/crl.pem", "-noout", "-text");
        assertTrue(crl.contains("X509v3 CRL Number: \n                2"), crl);
        assertTrue(crl.contains("Key Compromise"), crl);
        assertTrue(crl.contains("Next Update: "), crl);

        Files.writeString(tmp.resolve("pass"), PASS + "\n");
        String key = ok(tmp, "pkey", "-in", "ca/ca.key", "-passin", "file:pass", "-text", "-noout");
        assertTrue(key.contains(family.equals("RSA") ? "Private-Key: (4096 bit" : "Private-Key: (256 bit)"), key);
        Openssl.Run wrong = openssl(tmp, "pkey", "-in", "ca/ca.key", "-passin", "pass:wrong", "-noout");
        assertTrue(wrong.code() != 0, wrong.out());

        String text = ok(tmp, "x509", "-in", "server.crt", "-noout", "-text");
        assertTrue(text.contains("TLS Web Server Authentication"), text);
        assertTrue(text.contains("DNS:rqst.example.com, DNS:rqst4.example.com, IP Address:203.0.113.1"), text);
        assertTrue(text.contains("CA:FALSE"), text);
        assertTrue(ok(tmp, "x509", "-in", "alice.crt", "-noout", "-text").contains("TLS Web Client Authentication"));
    }

    @Test
    void pkcs12FilesOpenWithOpensslInBothFlavours() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("RQST CA", KeyAlgorithm.EC_P256, Duration.ofDays(365), Clock.systemUTC(), random);
        Instant now = Instant.now();
        var alice = ca.issue(CertificateKind.CLIENT, "alice", List.of(), now.minusSeconds(60), now.plusSeconds(86_400));
        Identity id = new Identity(alice.key(), List.of(alice.certificate()));
        Files.writeString(tmp.resolve("p12pass"), "export me please\n");
        for (boolean legacy : List.of(false, true)) {
            Path file = tmp.resolve(legacy ? "legacy.p12" : "alice.p12");
            AtomicFiles.write(file, Pkcs12.encode(id, List.of(ca.certificate()), "alice", "export me please".toCharArray(), legacy, random),
                    AtomicFiles.PRIVATE);
            String info = ok(tmp, "pkcs12", "-info", "-in", file.getFileName().toString(), "-passin", "file:p12pass", "-nokeys");
            assertTrue(info.contains(legacy ? "MAC: sha1" : "MAC: sha256"), info);
            assertTrue(info.contains(legacy ? "pbeWithSHA1And3-KeyTripleDES-CBC" : "PBES2, PBKDF2, AES-256-CBC"), info);
            assertTrue(info.contains("friendlyName: alice") && info.contains("subject=CN = alice")
                    && info.contains("subject=CN = RQST CA"), info);
            // the key comes out and is alice's
            String keyPem = ok(tmp, "pkcs12", "-in", file.getFileName().toString(), "-passin", "file:p12pass", "-nocerts", "-nodes");
            Path keyFile = Files.writeString(tmp.resolve("out.key"), keyPem);
            assertEquals(alice.key(), Pem.readPrivateKey(keyFile));
            Openssl.Run wrong = openssl(tmp, "pkcs12", "-info", "-in", file.getFileName().toString(), "-passin", "pass:nope", "-nokeys");
            assertTrue(wrong.code() != 0 && wrong.out().contains("Mac verify error"), wrong.out());
        }
    }
}
