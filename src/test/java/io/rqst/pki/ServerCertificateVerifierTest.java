package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client's check of the server certificate, against the manual's certificates and some made here. */
class ServerCertificateVerifierTest {
    private static ManualPki pki;
    private static List<X509Certificate> ca;
    private static X509Certificate server;

    @BeforeAll
    static void buildPki() throws Exception {
        pki = ManualPki.shared();
        ca = pki.ca();
        server = pki.cert("certs/server.crt");
    }

    /** The refusal for chain, or empty if accepted; checks the thrown text and lastFailure() agree. */
    static Optional<String> verify(PeerCertificateVerifier verifier, X509Certificate... chain) {
        try {
            verifier.checkServerTrusted(chain, "RSA");
            return Optional.empty();
        } catch (CertificateException e) {
            assertEquals(Optional.of(e.getMessage()), verifier.lastFailure());
            return Optional.of(e.getMessage());
        }
    }

    private static Optional<String> verifyFor(String host, X509Certificate... chain) {
        return verify(new ServerCertificateVerifier(ca, host), chain);
    }

    @Test
    void theManualsServerCertificateIsAcceptedForBothItsNames() throws Exception {
        assertEquals(3, server.getVersion());
        assertNull(server.getExtendedKeyUsage());
        for (String host : List.of("rqst.example.com", "rqst4.example.com", "RQST4.Example.COM", "rqst.example.com.")) {
            var verifier = new ServerCertificateVerifier(ca, host);
            assertEquals(Optional.empty(), verify(verifier, server), host);
            assertEquals(Optional.empty(), verifier.lastFailure());
        }
        // a server may send the CA certificate along
        assertEquals(Optional.empty(), verifyFor("rqst.example.com", server, ca.getFirst()));
    }

    // Promise: warming up runs the chain check on the side, and neither a chain from our CA nor one from
    // elsewhere changes what the verifier reports or decides afterwards.
    @Test
    void warmingUpLeavesNoTrace() throws Exception {
        var verifier = new ServerCertificateVerifier(ca, "rqst.example.com");
        Thread ours = verifier.warmUp(List.of(pki.cert("certs/client.crt")));
        Thread foreign = verifier.warmUp(SelfSigned.generate("elsewhere").chain());
        ours.join(30_000);
        foreign.join(30_000);
        assertFalse(ours.isAlive() || foreign.isAlive());
        assertEquals(Optional.empty(), verifier.lastFailure());
        assertEquals(Optional.empty(), verify(verifier, server));
        assertTrue(verify(verifier, SelfSigned.generate("rqst.example.com").chain().getFirst()).isPresent());
    }

    @Test
    void otherNamesAndAddressesAreRefusedWithTheNamesTheCertificateHas() {
        for (String host : List.of("other.example.com", "example.com", "x.rqst.example.com", "rqst.example.co",
                "192.0.2.7", "::1")) {
            assertEquals(Optional.of("server certificate \"CN=rqst.example.com\" names rqst.example.com,"
                    + " rqst4.example.com, not \"" + host + "\""), verifyFor(host, server), host);
        }
    }

    @Test
    void aCertificateWithoutSubjectAltNameIsRefusedEvenIfItsCnMatches() throws Exception {
        // the manual's client certificate: v1, no extensions, signed by the same CA
        X509Certificate noSan = pki.cert("certs/client.crt");
        assertEquals(Optional.of("server certificate has no subjectAltName, so it cannot match \"alice\" (reissue it"
                + " with a SAN such as DNS:alice)"), verifyFor("alice", noSan));
        assertEquals(Optional.of("server certificate has no subjectAltName, so it cannot match \"192.0.2.1\""
                + " (reissue it with a SAN such as IP:192.0.2.1)"), verifyFor("192.0.2.1", noSan));
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        X509Certificate foreign = pki.cert("other/other-client.crt");
        assertEquals(Optional.of("server certificate \"CN=alice\" is not issued by our CA \"CN=RQST CA\" (it is"
                + " issued by \"CN=Other CA\")"), verifyFor("rqst.example.com", foreign));
    }

    @Test
    void wildcardsMatchOneLeftMostLabelAndAddressesCompareAsAddresses() throws Exception {
        var testCa = TestCerts.ca(new X500Name("CN=Test CA"));
        Instant now = Instant.now();
        X509Certificate cert = TestCerts.leaf(testCa, new X500Name("CN=wild"), now.minusSeconds(60),
                now.plusSeconds(3600), new GeneralName(GeneralName.dNSName, "*.Example.com"),
                new GeneralName(GeneralName.iPAddress, "192.0.2.1"),
                new GeneralName(GeneralName.iPAddress, "2001:db8::1")).cert();
        List<X509Certificate> anchors = List.of(testCa.cert());
        for (String host : List.of("a.example.com", "A.EXAMPLE.COM", "rqst.example.com.", "192.0.2.1",
                "2001:db8::1", "[2001:DB8:0:0:0:0:0:1]", "2001:db8::0:1")) {
            assertEquals(Optional.empty(), verify(new ServerCertificateVerifier(anchors, host), cert), host);
        }
        for (String host : List.of("example.com", "a.b.example.com", ".example.com", "192.0.2.2", "2001:db8::2",
                "a.example.org")) {
            assertEquals(Optional.of("server certificate \"CN=wild\" names *.Example.com, 192.0.2.1,"
                    + " 2001:db8:0:0:0:0:0:1, not \"" + host + "\""),
                    verify(new ServerCertificateVerifier(anchors, host), cert), host);
        }
    }

    @Test
    void dnsMatchingFollowsRfc6125() {
        assertTrue(HostNames.dnsMatches("*.example.com", "rqst.example.com"));
        assertFalse(HostNames.dnsMatches("*.com", "example.com"), "wildcard directly under a TLD");
        assertFalse(HostNames.dnsMatches("*", "localhost"));
        assertFalse(HostNames.dnsMatches("f*.example.com", "foo.example.com"), "partial-label wildcard");
        assertFalse(HostNames.dnsMatches("www.*.example.com", "www.a.example.com"), "wildcard not left-most");
        assertFalse(HostNames.dnsMatches("*.*.example.com", "a.b.example.com"));
        assertFalse(HostNames.dnsMatches("rqst.example.com", "rqst.example.com.evil"));
        assertTrue(HostNames.ipLiteral("rqst.example.com").isEmpty());
        assertTrue(HostNames.ipLiteral("1234").isEmpty(), "not a dotted quad, so a (strange) host name");
    }

    @Test
    void itVerifiesServersOnly() {
        var verifier = new ServerCertificateVerifier(ca, "rqst.example.com");
        var e = assertThrows(CertificateException.class, () -> verifier.checkClientTrusted(
                new X509Certificate[] {server}, "RSA"));
        assertEquals("ServerCertificateVerifier verifies server certificates, not client certificates",
                e.getMessage());
        assertArrayEquals(ca.toArray(), verifier.getAcceptedIssuers());
        assertThrows(IllegalArgumentException.class, () -> new ServerCertificateVerifier(ca, " "));
        assertThrows(IllegalArgumentException.class, () -> new ServerCertificateVerifier(List.of(), "x"));
    }
}
