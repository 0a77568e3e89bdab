package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.ca.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRL in force follows its file: a new usable CRL replaces it; a broken, foreign, older or deleted one does
 * not (the previous list stays in force).
 */
class CrlWatcherTest {
    private static CertificateAuthority ca;
    private static X509Certificate alice;
    private static List<X509Certificate> cas;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCa() {
        ca = CrlTest.newCa("RQST CA");
        alice = CrlTest.client(ca, "alice");
        cas = List.of(ca.certificate());
    }

    private Path publish(X509CRL crl) throws Exception {
        Path file = dir.resolve("crl.pem");
        AtomicFiles.write(file, Pem.encode(crl), AtomicFiles.PUBLIC);
        return file;
    }

    private static Optional<String> refusal(CrlWatcher watcher) {
        return watcher.check("client").check(List.of(alice));
    }

    private static Revocation aliceRevoked() {
        return new Revocation(alice.getSerialNumber(), CrlTest.REVOKED_AT, RevocationReason.KEY_COMPROMISE);
    }

    @Test
    void aNewCrlIsPutInForceAndAnUnchangedFileIsNot() throws Exception {
        Path file = publish(CrlTest.crl(ca, 1));
        try (CrlWatcher watcher = CrlWatcher.open(file, cas, Clock.systemUTC())) {
            assertEquals(Optional.empty(), refusal(watcher));
            assertFalse(watcher.poll(), "nothing changed");
            publish(CrlTest.crl(ca, 2, aliceRevoked()));
            assertTrue(watcher.poll());
            assertTrue(refusal(watcher).orElseThrow().contains("is revoked (keyCompromise"));
            assertFalse(watcher.poll(), "the same file again");
        }
    }

    @Test
    void unusableReplacementsLeaveThePreviousCrlInForce() throws Exception {
        Path file = publish(CrlTest.crl(ca, 5, aliceRevoked()));
        try (CrlWatcher watcher = CrlWatcher.open(file, cas, Clock.systemUTC())) {
            Files.writeString(file, "-----BEGIN X509 CRL-----\nnot base64 at all!\n-----END X509 CRL-----\n");
            assertFalse(watcher.poll(), "corrupt");
            publish(CrlTest.crl(CrlTest.newCa("RQST CA"), 9));
            assertFalse(watcher.poll(), "signed by another key");
            publish(CrlTest.crl(ca, 4));
            assertFalse(watcher.poll(), "an older CRL number");
            Files.delete(file);
            assertFalse(watcher.poll(), "deleted");
            assertTrue(refusal(watcher).isPresent(), "alice stays revoked through all of it");
            assertEquals(Optional.of(java.math.BigInteger.valueOf(5)), watcher.current().number());
            publish(CrlTest.crl(ca, 6));
            assertTrue(watcher.poll(), "a good newer CRL is taken again");
            assertEquals(Optional.empty(), refusal(watcher));
        }
    }

    @Test
    void aMissingOrUnusableCrlAtStartIsAnError() throws Exception {
        Path missing = dir.resolve("nope.pem");
        assertEquals(missing + ": no such file",
                assertThrows(PkiException.class, () -> CrlWatcher.open(missing, cas, Clock.systemUTC())).getMessage());
        Path foreign = publish(CrlTest.crl(CrlTest.newCa("Other CA"), 1));
        assertTrue(assertThrows(PkiException.class, () -> CrlWatcher.open(foreign, cas, Clock.systemUTC())).getMessage()
                .contains("not by our CA \"CN=RQST CA\""));
    }

    @Test
    void theWatcherThreadNoticesAChangeAndCallsBack() throws Exception {
        Path file = publish(CrlTest.crl(ca, 1));
        CountDownLatch changed = new CountDownLatch(1);
        try (CrlWatcher watcher = CrlWatcher.open(file, cas, Clock.systemUTC())) {
            watcher.start(Duration.ofMillis(100), changed::countDown);
            publish(CrlTest.crl(ca, 2, aliceRevoked()));
            assertTrue(changed.await(5, TimeUnit.SECONDS), "no callback within 5 s");
            assertTrue(refusal(watcher).isPresent());
            assertTrue(watcher.check("client").check(List.of(alice)).isPresent());
        }
    }

    @Test
    void aStaleCrlIsStillUsed() throws Exception {
        Path file = publish(CrlTest.crl(ca, 1, aliceRevoked()));
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(45));
        try (CrlWatcher watcher = CrlWatcher.open(file, cas, later)) {
            assertTrue(watcher.current().isStale(later.instant()));
            assertTrue(refusal(watcher).isPresent());
        }
    }
}
