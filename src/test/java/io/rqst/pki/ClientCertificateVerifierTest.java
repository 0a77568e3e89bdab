package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server's check of client certificates, against the manual's certificates and some made here. */
class ClientCertificateVerifierTest {
    private static final Instant NEW_YEAR_2026 = Instant.parse("2026-01-01T00:00:00Z");
    private static ManualPki pki;
    private static List<X509Certificate> ca;

    @BeforeAll
    static void buildPki() throws Exception {
        pki = ManualPki.shared();
        ca = pki.ca();
    }

    /** The refusal for chain, or empty if accepted; checks the thrown text and lastFailure() agree. */
    static Optional<String> verify(PeerCertificateVerifier verifier, X509Certificate... chain) {
        try {
            verifier.checkClientTrusted(chain, "UNKNOWN");
            return Optional.empty();
        } catch (CertificateException e) {
            assertEquals(Optional.of(e.getMessage()), verifier.lastFailure());
            return Optional.of(e.getMessage());
        }
    }

    @Test
    void theManualsV1ClientCertificatesAreAccepted() throws Exception {
        X509Certificate alice = pki.cert("certs/client.crt");
        assertEquals(1, alice.getVersion());
        assertNull(alice.getNonCriticalExtensionOIDs());
        assertNull(alice.getCriticalExtensionOIDs());
        var verifier = new ClientCertificateVerifier(ca);
        for (String file : List.of("certs/client.crt", "certs/client2.crt", "certs/client-ec.crt")) {
            assertEquals(Optional.empty(), verify(verifier, pki.cert(file)), file);
        }
        assertEquals(Optional.empty(), verify(verifier, alice, ca.getFirst()), "with the CA certificate sent along");
        assertEquals(Optional.empty(), verifier.lastFailure());
    }

    @Test
    void aClientOfAnotherCaIsRefusedEvenWithTheSameName() throws Exception {
        var verifier = new ClientCertificateVerifier(ca);
        assertEquals(Optional.of("client certificate \"CN=alice\" is not issued by our CA \"CN=RQST CA\" (it is"
                + " issued by \"CN=Other CA\")"), verify(verifier, pki.cert("other/other-client.crt")));

        // someone ran the manual again: a new CA with the very same name signs another "alice"
        var twin = TestCerts.ca(X500Name.getInstance(ca.getFirst().getSubjectX500Principal().getEncoded()));
        X509Certificate impostor = TestCerts.leaf(twin, new X500Name("C=JP,CN=alice"), Instant.now().minusSeconds(60),
                Instant.now().plusSeconds(3600)).cert();
        assertEquals(Optional.of("client certificate \"CN=alice\" is not issued by our CA \"CN=RQST CA\" (it names"
                + " \"CN=RQST CA\" as issuer, but its signature does not verify with our CA's key; was the CA created"
                + " again?)"), verify(verifier, impostor));
    }

    // Promise: a CA whose name differs from ours only past the CN is shown by its whole name, as is ours, so that the
    // refusal does not read "not issued by "CN=RQST CA" (it is issued by "CN=RQST CA")".
    @Test
    void aCaThatDiffersOnlyPastItsCommonNameIsShownWhole() throws Exception {
        var home = TestCerts.ca(new X500Name("O=home,CN=RQST CA"));
        var office = TestCerts.ca(new X500Name("O=office,CN=RQST CA"));
        X509Certificate alice = TestCerts.leaf(office, new X500Name("CN=alice"), Instant.now().minusSeconds(60),
                Instant.now().plusSeconds(3600)).cert();
        assertEquals(Optional.of("client certificate \"CN=alice\" is not issued by our CA \"O=home,CN=RQST CA\" (it is"
                + " issued by \"O=office,CN=RQST CA\")"), verify(new ClientCertificateVerifier(List.of(home.cert())), alice));
    }

    @Test
    void expiredAndNotYetValidCertificatesAreRefusedWithTheirDates() throws Exception {
        var testCa = TestCerts.ca(new X500Name("CN=Test CA"));
        var verifier = new ClientCertificateVerifier(List.of(testCa.cert()));
        X509Certificate expired = TestCerts.leaf(testCa, new X500Name("CN=alice"),
                NEW_YEAR_2026.minusSeconds(86_400 * 365), NEW_YEAR_2026).cert();
        assertEquals(Optional.of("client certificate \"CN=alice\" expired on 2026-01-01T00:00:00Z"),
                verify(verifier, expired));
        Instant future = Instant.parse("2031-02-03T04:05:06Z");
        X509Certificate early = TestCerts.leaf(testCa, new X500Name("CN=alice"), future,
                future.plusSeconds(86_400)).cert();
        assertEquals(Optional.of("client certificate \"CN=alice\" is not valid before 2031-02-03T04:05:06Z"),
                verify(verifier, early));

        // the manual's client certificate, checked at a time after its 5000 days
        X509Certificate alice = pki.cert("certs/client.crt");
        Clock later = Clock.fixed(alice.getNotAfter().toInstant().plusSeconds(1), ZoneOffset.UTC);
        assertEquals(Optional.of("client certificate \"CN=alice\" expired on " + alice.getNotAfter().toInstant()),
                verify(new ClientCertificateVerifier(ca, List.of(), later), alice));
    }

    @Test
    void chainsThroughAnIntermediateAreFollowedAndItsProblemsNamed() throws Exception {
        var root = TestCerts.ca(new X500Name("CN=Test Root"));
        Instant now = Instant.now();
        var sub = TestCerts.intermediate(root, new X500Name("CN=Test Sub"), now.minusSeconds(3600),
                now.plusSeconds(3600));
        X509Certificate leaf = TestCerts.leaf(sub, new X500Name("CN=alice"), now.minusSeconds(60),
                now.plusSeconds(600)).cert();
        var verifier = new ClientCertificateVerifier(List.of(root.cert()));
        assertEquals(Optional.empty(), verify(verifier, leaf, sub.cert()));
        assertEquals(Optional.empty(), verify(verifier, leaf, sub.cert(), root.cert()));
        assertEquals(Optional.of("client certificate \"CN=alice\" is not issued by our CA \"CN=Test Root\" (it is"
                + " issued by \"CN=Test Sub\")"), verify(verifier, leaf), "intermediate missing");

        var expiredSub = TestCerts.intermediate(root, new X500Name("CN=Old Sub"), NEW_YEAR_2026.minusSeconds(3600),
                NEW_YEAR_2026);
        X509Certificate orphan = TestCerts.leaf(expiredSub, new X500Name("CN=alice"), now.minusSeconds(60),
                now.plusSeconds(600)).cert();
        assertEquals(Optional.of("CA certificate \"CN=Old Sub\" in the client's chain expired on 2026-01-01T00:00:00Z"),
                verify(verifier, orphan, expiredSub.cert()));
        // the manual's CA is not the root of this chain
        assertEquals(Optional.of("client certificate \"CN=alice\" is not issued by our CA \"CN=RQST CA\" (its chain"
                + " ends at \"CN=Test Root\")"), verify(new ClientCertificateVerifier(ca), leaf, sub.cert()));
    }

    @Test
    void aClientWithoutCertificateIsRefused() {
        var verifier = new ClientCertificateVerifier(ca);
        assertEquals(Optional.of("client sent no certificate"), verify(verifier));
        assertEquals(Optional.of("client sent no certificate"), verify(verifier, (X509Certificate[]) null));
    }

    @Test
    void extraChecksRunAfterTheChainIsValid() throws Exception {
        CertificateCheck noBob = chain -> Names.commonName(chain.getFirst().getSubjectX500Principal())
                .filter("bob"::equals).map(cn -> "client certificate \"CN=bob\" is barred");
        var verifier = new ClientCertificateVerifier(ca, List.of(noBob), Clock.systemUTC());
        assertEquals(Optional.empty(), verify(verifier, pki.cert("certs/client.crt")));
        assertEquals(Optional.of("client certificate \"CN=bob\" is barred"),
                verify(verifier, pki.cert("certs/client2.crt")));
        // a chain that fails validation never reaches the checks
        assertEquals(Optional.of("client certificate \"CN=alice\" is not issued by our CA \"CN=RQST CA\" (it is"
                + " issued by \"CN=Other CA\")"), verify(verifier, pki.cert("other/other-client.crt")));
    }

    @Test
    void itVerifiesClientsOnlyAndAdvertisesTheCa() throws Exception {
        var verifier = new ClientCertificateVerifier(ca);
        var e = assertThrows(CertificateException.class, () -> verifier.checkServerTrusted(
                new X509Certificate[] {pki.cert("certs/server.crt")}, "RSA"));
        assertEquals("ClientCertificateVerifier verifies client certificates, not server certificates",
                e.getMessage());
        assertArrayEquals(ca.toArray(), verifier.getAcceptedIssuers());
    }
}
