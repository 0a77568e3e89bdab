package io.rqst.ca;

import static io.rqst.pki.KeyAssertions.assertSameKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.pki.Crl;
import io.rqst.pki.Identity;
import io.rqst.pki.PkiException;
import io.rqst.pki.RevocationList;
import io.rqst.pki.RevocationReason;
import io.rqst.pki.Serials;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA directory: its layout and modes, the register, revocation with a new CRL, and refusals that change nothing. */
class CaStoreTest {
    static final char[] PASS = "correct horse battery".toCharArray();
    private static CertificateAuthority ca;
    private final SecureRandom random = new SecureRandom();

    @TempDir
    Path tmp;

    @BeforeAll
    static void makeCa() {
        ca = CertificateAuthority.create("RQST CA", KeyAlgorithm.EC_P256, Duration.ofDays(365), Clock.systemUTC(), new SecureRandom());
    }

    private CaStore create(Path dir) throws Exception {
        return CaStore.create(dir, ca, PASS, 30, random);
    }

    @Test
    void aNewCaHasItsFilesWithTheirModesAndAnEmptyCrl() throws Exception {
        Path dir = tmp.resolve("ca");
        CaStore store = create(dir);
        assertEquals("rwx------", Trees.mode(dir));
        assertEquals("rw-------", Trees.mode(dir.resolve("ca.key")));
        assertEquals("rwx------", Trees.mode(dir.resolve("private")));
        assertEquals("rw-r--r--", Trees.mode(dir.resolve("ca.crt")));
        assertEquals("rw-r--r--", Trees.mode(dir.resolve("crl.pem")));
        assertTrue(Files.readString(dir.resolve("ca.key")).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assertEquals(ca.certificate(), store.caCertificate());
        assertEquals(List.of(), store.index().certificates());
        assertEquals(BigInteger.ONE, store.index().crlNumber());
        RevocationList crl = Crl.load(store.crlFile(), List.of(ca.certificate()));
        assertEquals(0, crl.revoked().size());
        assertEquals(Optional.of(BigInteger.ONE), crl.number());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(dir), left.toList(), "no temporary directory left behind");
        }
    }

    @Test
    void aSecondInitRefusesAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("ca");
        create(dir);
        String before = Trees.fingerprint(dir);
        assertEquals(dir + ": holds a CA already; refusing to overwrite it (to start over, move it away first; its"
                + " certificates then stop being trusted)", assertThrows(PkiException.class, () -> create(dir)).getMessage());
        assertEquals(before, Trees.fingerprint(dir));

        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("notes.txt"), "mine");
        String busyBefore = Trees.fingerprint(busy);
        assertEquals(busy + ": is not empty; a new CA needs a new or empty directory",
                assertThrows(PkiException.class, () -> create(busy)).getMessage());
        assertEquals(busyBefore, Trees.fingerprint(busy));

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        create(empty); // an empty directory is fine
        assertTrue(Files.exists(empty.resolve("index.json")));
    }

    @Test
    void openingNothingSaysHowToMakeACa() {
        Path none = tmp.resolve("none");
        assertEquals(none + ": no CA here (no " + none.resolve("index.json") + "); make one with: rqst ca init --dir "
                + none + ", or point --dir at yours", assertThrows(PkiException.class, () -> CaStore.open(none)).getMessage());
    }

    @Test
    void theKeyOpensWithItsPassphraseOnly() throws Exception {
        CaStore store = create(tmp.resolve("ca"));
        assertEquals(ca.key(), store.unlock(PASS, Clock.systemUTC(), random).key());
        assertEquals("wrong passphrase for " + tmp.resolve("ca/ca.key") + " (or the key is corrupt)",
                assertThrows(PkiException.class, () -> store.unlock("wrong".toCharArray(), Clock.systemUTC(), random)).getMessage());
    }

    @Test
    void issuedCertificatesAreRecordedWithTheirKeysAndRevokedIntoTheCrl() throws Exception {
        CaStore store = create(tmp.resolve("ca"));
        Instant now = Instant.now();
        var issued = ca.issue(CertificateKind.CLIENT, "alice", List.of(), now.minusSeconds(60), now.plusSeconds(3600));
        CaIndex.Entry alice;
        try (CaStore.Lock _ = store.lock()) {
            alice = store.record(issued);
        }
        assertEquals("CN=alice", alice.subject());
        assertEquals("rw-------", Trees.mode(store.keyFile(alice)));
        Identity id = store.identity(alice);
        assertEquals(issued.certificate(), id.certificate());
        assertSameKey(issued.key(), id.key());

        CaStore reopened = CaStore.open(store.dir());
        assertEquals(store.index(), reopened.index());
        assertEquals(List.of(alice), reopened.index().select("alice"));
        assertEquals(List.of(alice), reopened.index().select(Serials.hex(alice.serial()).toLowerCase()));
        assertEquals("no certificate named or numbered \"carol\" in this CA (see: rqst ca list)",
                assertThrows(PkiException.class, () -> reopened.index().select("carol")).getMessage());

        try (CaStore.Lock _ = reopened.lock()) {
            reopened.revoke(reopened.unlock(PASS, Clock.systemUTC(), random), List.of(alice), RevocationReason.KEY_COMPROMISE);
        }
        CaIndex.Entry revoked = CaStore.open(store.dir()).index().bySerial(alice.serial()).orElseThrow();
        assertTrue(revoked.isRevoked());
        assertEquals(Optional.of(RevocationReason.KEY_COMPROMISE), revoked.reason());
        assertEquals("revoked", revoked.status(Instant.now()));
        RevocationList crl = Crl.load(store.crlFile(), List.of(ca.certificate()));
        assertEquals(Optional.of(BigInteger.TWO), crl.number());
        assertEquals(revoked.revoked().orElseThrow(), crl.find(issued.certificate()).orElseThrow().date());
        assertEquals("every certificate named \"alice\" is revoked already",
                assertThrows(PkiException.class, () -> reopened.index().select("alice")).getMessage());

        try (CaStore.Lock _ = reopened.lock()) {
            reopened.refreshCrl(reopened.unlock(PASS, Clock.systemUTC(), random));
        }
        RevocationList refreshed = Crl.load(store.crlFile(), List.of(ca.certificate()));
        assertEquals(Optional.of(BigInteger.valueOf(3)), refreshed.number());
        assertTrue(refreshed.find(issued.certificate()).isPresent(), "revocations are kept in every later CRL");
    }

    @Test
    void oneCommandAtATimeChangesTheCa() throws Exception {
        CaStore store = create(tmp.resolve("ca"));
        try (CaStore.Lock _ = store.lock()) {
            CaStore other = CaStore.open(store.dir());
            PkiException e = assertThrows(PkiException.class, other::lock);
            assertTrue(e.getMessage().startsWith(store.dir() + ": another rqst ca command is changing this CA right now"),
                    e.getMessage());
        }
        try (CaStore.Lock again = CaStore.open(store.dir()).lock()) {
            assertFalse(again == null);
        }
    }

    @Test
    void aCorruptRegisterIsNamed() throws Exception {
        CaStore store = create(tmp.resolve("ca"));
        Path index = store.dir().resolve("index.json");
        Files.writeString(index, "{ not json");
        assertTrue(assertThrows(PkiException.class, () -> CaStore.open(store.dir())).getMessage()
                .startsWith(index + ": is corrupt (not JSON: "));
        Files.writeString(index, "{\"format\":\"rqst-ca-index\",\"version\":1,\"crlDays\":30,\"crlNumber\":1,"
                + "\"certificates\":[{\"serial\":\"zz\"}]}");
        assertEquals(index + ": is corrupt (an entry has no text field \"status\")",
                assertThrows(PkiException.class, () -> CaStore.open(store.dir())).getMessage());
        Files.writeString(index, "[]");
        assertEquals(index + ": is not an rqst CA register (no \"format\": \"rqst-ca-index\")",
                assertThrows(PkiException.class, () -> CaStore.open(store.dir())).getMessage());
    }

    @Test
    void theRegisterReadsBackWhatItWrites() throws Exception {
        Instant t = Instant.parse("2026-01-02T03:04:05Z");
        CaIndex index = CaIndex.empty(30)
                .with(new CaIndex.Entry(BigInteger.valueOf(0xABCDEF), "rqst.example.com", CertificateKind.SERVER,
                        "CN=rqst.example.com", t, t.plusSeconds(99), Optional.empty(), Optional.empty()))
                .with(new CaIndex.Entry(BigInteger.valueOf(0x0A), "alice", CertificateKind.CLIENT, "CN=alice", t,
                        t.plusSeconds(99), Optional.empty(), Optional.empty()))
                .revoke(java.util.Set.of(BigInteger.valueOf(0x0A)), t.plusSeconds(5), RevocationReason.SUPERSEDED)
                .nextCrl();
        assertEquals(index, CaIndex.parse(Path.of("index.json"), index.toJson()));
        String json = new String(index.toJson(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(json.contains("\"serial\" : \"0A\""), json);
        assertTrue(json.contains("\"reason\" : \"superseded\""), json);
    }
}
