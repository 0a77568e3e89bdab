package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.ca.CertificateAuthority;
import io.rqst.ca.CertificateKind;
import io.rqst.ca.KeyAlgorithm;
import io.rqst.ca.Openssl;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CRLs: verified against our CA before they are believed, and the check that refuses what they revoke. */
class CrlTest {
    static final Instant REVOKED_AT = Instant.parse("2026-03-04T05:06:07Z");
    private static CertificateAuthority ca;
    private static X509Certificate alice;
    private static X509Certificate bob;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCa() {
        ca = newCa("RQST CA");
        alice = client(ca, "alice");
        bob = client(ca, "bob");
    }

    static CertificateAuthority newCa(String name) {
        return CertificateAuthority.create(name, KeyAlgorithm.EC_P256, Duration.ofDays(30), Clock.systemUTC(), new SecureRandom());
    }

    static X509Certificate client(CertificateAuthority ca, String name) {
        Instant now = Instant.now();
        return ca.issue(CertificateKind.CLIENT, name, List.of(), now.minusSeconds(60), now.plusSeconds(3600)).certificate();
    }

    static X509CRL crl(CertificateAuthority ca, long number, Revocation... revoked) {
        return ca.crl(List.of(revoked), BigInteger.valueOf(number), Duration.ofDays(30));
    }

    Path write(String name, X509CRL crl) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, Pem.encode(crl));
        return file;
    }

    @Test
    void aCrlOfOurCaIsReadWithItsEntriesAndRevokesWhatItLists() throws Exception {
        Path file = write("crl.pem", crl(ca, 7, new Revocation(alice.getSerialNumber(), REVOKED_AT, RevocationReason.KEY_COMPROMISE)));
        RevocationList list = Crl.load(file, List.of(ca.certificate()));
        assertEquals(ca.certificate().getSubjectX500Principal(), list.issuer());
        assertEquals(Optional.of(BigInteger.valueOf(7)), list.number());
        assertEquals(Optional.of(list.thisUpdate().plus(Duration.ofDays(30))), list.nextUpdate());
        assertEquals(Optional.of(new Revocation(alice.getSerialNumber(), REVOKED_AT, RevocationReason.KEY_COMPROMISE)), list.find(alice));
        assertEquals(Optional.empty(), list.find(bob));
        assertFalse(list.isStale(Instant.now()));
        assertTrue(list.isStale(Instant.now().plus(Duration.ofDays(31))));

        var verifier = new ClientCertificateVerifier(List.of(ca.certificate()),
                List.of(Crl.check("client", () -> Optional.of(list))), Clock.systemUTC());
        var e = assertThrows(CertificateRefusedException.class,
                () -> verifier.checkClientTrusted(new X509Certificate[] {alice}, "EC"));
        assertEquals(CertificateRefusedException.Reason.REVOKED, e.reason());
        assertEquals("client certificate \"CN=alice\" (serial " + Serials.describe(alice.getSerialNumber())
                + ") is revoked (keyCompromise, 2026-03-04T05:06:07Z)", e.getMessage());
        assertEquals(Optional.empty(), ClientCertificateVerifierTest.verify(verifier, bob));
    }

    /** What a server applies at accept (a resumed TLS session skips the verifier) and when the CRL changes. */
    @Test
    void recheckJudgesTheDatesAndTheChecksAgain() throws Exception {
        Instant now = Instant.now();
        java.util.concurrent.atomic.AtomicReference<Optional<RevocationList>> inForce = new java.util.concurrent.atomic.AtomicReference<>(Optional.empty());
        Clock[] clock = {Clock.systemUTC()};
        Clock moving = new Clock() {
            @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return clock[0].instant(); }
        };
        var verifier = new ClientCertificateVerifier(List.of(ca.certificate()), List.of(Crl.check("client", inForce::get)), moving);
        assertEquals(Optional.empty(), verifier.recheck(alice));
        inForce.set(Optional.of(Crl.load(write("crl.pem", crl(ca, 3,
                new Revocation(alice.getSerialNumber(), REVOKED_AT, RevocationReason.CESSATION_OF_OPERATION))), List.of(ca.certificate()))));
        assertEquals(Optional.of("client certificate \"CN=alice\" (serial " + Serials.describe(alice.getSerialNumber())
                + ") is revoked (cessationOfOperation, 2026-03-04T05:06:07Z)"), verifier.recheck(alice));
        assertEquals(Optional.empty(), verifier.recheck(bob));
        clock[0] = Clock.fixed(bob.getNotAfter().toInstant().plusSeconds(1), ZoneOffset.UTC);
        assertEquals(Optional.of("client certificate \"CN=bob\" expired on " + bob.getNotAfter().toInstant()), verifier.recheck(bob));
        clock[0] = Clock.fixed(now.minusSeconds(3600), ZoneOffset.UTC);
        assertEquals(Optional.of("client certificate \"CN=bob\" is not valid before " + bob.getNotBefore().toInstant()),
                verifier.recheck(bob));
    }

    @Test
    void anUnspecifiedReasonIsNamedSo() throws Exception {
        Path file = write("crl.pem", crl(ca, 1, new Revocation(bob.getSerialNumber(), REVOKED_AT, RevocationReason.UNSPECIFIED)));
        RevocationList list = Crl.load(file, List.of(ca.certificate()));
        assertEquals(Optional.of("client certificate \"CN=bob\" (serial " + Serials.describe(bob.getSerialNumber())
                + ") is revoked (unspecified, 2026-03-04T05:06:07Z)"), Crl.refusal("client", bob, Optional.of(list)));
    }

    @Test
    void aCrlOfAnotherCaOrOfANamesakeIsNotBelieved() throws Exception {
        CertificateAuthority other = newCa("Other CA");
        Path otherFile = write("other.pem", crl(other, 1));
        assertEquals(otherFile + ": is issued by \"CN=Other CA\", not by our CA \"CN=RQST CA\"",
                assertThrows(PkiException.class, () -> Crl.load(otherFile, List.of(ca.certificate()))).getMessage());

        CertificateAuthority twin = newCa("RQST CA");
        Path twinFile = write("twin.pem", crl(twin, 1));
        assertEquals(twinFile + ": its signature does not verify with the key of our CA \"CN=RQST CA\" (is it from an"
                + " older CA of the same name?)",
                assertThrows(PkiException.class, () -> Crl.load(twinFile, List.of(ca.certificate()))).getMessage());
        // with both CAs trusted, each CRL is checked against its own
        assertEquals(twin.certificate().getSubjectX500Principal(),
                Crl.load(twinFile, List.of(ca.certificate(), twin.certificate())).issuer());
    }

    @Test
    void aCrlRevokesOnlyCertificatesOfItsOwnIssuer() throws Exception {
        CertificateAuthority other = newCa("Other CA");
        X509Certificate otherAlice = client(other, "alice");
        // same serial as our alice, other issuer: not revoked by our CRL
        Path file = write("crl.pem", crl(ca, 1, new Revocation(otherAlice.getSerialNumber(), REVOKED_AT, RevocationReason.SUPERSEDED)));
        RevocationList list = Crl.load(file, List.of(ca.certificate()));
        assertEquals(Optional.empty(), list.find(otherAlice));
    }

    @Test
    void brokenFilesAreNamedWithWhatIsWrong() throws Exception {
        List<X509Certificate> cas = List.of(ca.certificate());
        Path missing = dir.resolve("missing.pem");
        assertEquals(missing + ": no such file", assertThrows(PkiException.class, () -> Crl.load(missing, cas)).getMessage());
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        assertEquals(empty + ": is empty", assertThrows(PkiException.class, () -> Crl.load(empty, cas)).getMessage());
        Path cert = Files.writeString(dir.resolve("cert.pem"), Pem.encode(alice));
        assertEquals(cert + ": contains a certificate, not a certificate revocation list (BEGIN X509 CRL) (are the key and"
                + " certificate file names swapped?)", assertThrows(PkiException.class, () -> Crl.load(cert, cas)).getMessage());
        String good = Pem.encode(crl(ca, 1));
        Path two = Files.writeString(dir.resolve("two.pem"), good + good);
        assertEquals(two + ": holds 2 CRLs; rqst reads one, that of the CA in the CA file",
                assertThrows(PkiException.class, () -> Crl.load(two, cas)).getMessage());
        String[] lines = good.split("\n");
        lines[3] = "A" + lines[3].substring(1); // flip bytes inside the signed part
        Path tampered = Files.writeString(dir.resolve("tampered.pem"), String.join("\n", lines) + "\n");
        String message = assertThrows(PkiException.class, () -> Crl.load(tampered, cas)).getMessage();
        assertTrue(message.startsWith(tampered + ": "), message);
        Path truncated = Files.writeString(dir.resolve("truncated.pem"), good.substring(0, good.length() / 2));
        assertEquals(truncated + ": is not valid PEM (-----END X509 CRL----- not found)",
                assertThrows(PkiException.class, () -> Crl.load(truncated, cas)).getMessage());
    }

    /** Interop: the manual's OpenSSL CA revokes alice with openssl ca -revoke and -gencrl; rqst believes that CRL. */
    @Test
    void aCrlMadeByTheManualsOpensslCaIsBelieved() throws Exception {
        ManualPki shared = ManualPki.shared();
        Path copy = Openssl.copyManualPki(shared.dir(), dir.resolve("manual"));
        String pass = "pass:rqst-manual-ca";
        // the manual's setup.bat leaves crlnumber empty, which openssl ca -gencrl refuses (README: put a number in it)
        Files.writeString(copy.resolve("crlnumber"), "1000\n");
        Openssl.ok(copy, "ca", "-config", "openssl.cfg", "-passin", pass, "-revoke", "certs/client.crt", "-crl_reason", "keyCompromise");
        Openssl.ok(copy, "ca", "-config", "openssl.cfg", "-passin", pass, "-gencrl", "-out", "crl.pem");
        List<X509Certificate> manualCa = Pem.readCertificates(copy.resolve("certs/ca.crt"));
        RevocationList list = Crl.load(copy.resolve("crl.pem"), manualCa);
        assertEquals(Optional.of(BigInteger.valueOf(0x1000)), list.number());
        assertEquals(1, list.revoked().size());
        X509Certificate manualAlice = Pem.readCertificates(copy.resolve("certs/client.crt")).getFirst();
        X509Certificate manualBob = Pem.readCertificates(copy.resolve("certs/client2.crt")).getFirst();
        var verifier = new ClientCertificateVerifier(manualCa, List.of(Crl.check("client", () -> Optional.of(list))),
                Clock.systemUTC());
        Optional<String> refusal = ClientCertificateVerifierTest.verify(verifier, manualAlice);
        assertTrue(refusal.orElseThrow().startsWith("client certificate \"CN=alice\" (serial 0x1001) is revoked (keyCompromise, "),
                refusal.get());
        assertEquals(Optional.empty(), ClientCertificateVerifierTest.verify(verifier, manualBob));
    }

    @Test
    void revocationTimesAreWholeSecondsAsInTheCrl() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-05-06T07:08:09.987654321Z"), ZoneOffset.UTC);
        var fixed = new CertificateAuthority(ca.key(), ca.certificate(), clock, new SecureRandom());
        X509CRL crl = fixed.crl(List.of(new Revocation(alice.getSerialNumber(), fixed.now(), RevocationReason.SUPERSEDED)),
                BigInteger.TWO, Duration.ofDays(1));
        assertEquals(Instant.parse("2026-05-06T07:08:09Z"), fixed.now());
        RevocationList list = Crl.verify(Path.of("x"), crl, List.of(ca.certificate()));
        assertEquals(fixed.now(), list.find(alice).orElseThrow().date());
        assertEquals(fixed.now(), list.thisUpdate());
        assertEquals(fixed.now().plus(1, ChronoUnit.DAYS), list.nextUpdate().orElseThrow());
    }
}
