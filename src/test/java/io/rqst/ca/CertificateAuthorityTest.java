package io.rqst.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.pki.Revocation;
import io.rqst.pki.RevocationReason;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the CA makes: the extensions, dates and serials of its certificates, and its CRLs. */
class CertificateAuthorityTest {
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static CertificateAuthority ec;

    @BeforeAll
    static void makeCa() {
        ec = CertificateAuthority.create("RQST CA", KeyAlgorithm.EC_P256, CertificateAuthority.CA_VALIDITY, CLOCK, new SecureRandom());
    }

    @Test
    void theCaCertificateCanSignLeavesAndCrlsOnly() throws Exception {
        X509Certificate ca = ec.certificate();
        assertEquals("CN=RQST CA", ca.getSubjectX500Principal().getName());
        assertEquals(ca.getSubjectX500Principal(), ca.getIssuerX500Principal());
        ca.verify(ca.getPublicKey());
        assertEquals(3, ca.getVersion());
        assertEquals(0, ca.getBasicConstraints(), "CA:true, pathlen 0");
        assertTrue(ca.getCriticalExtensionOIDs().containsAll(Set.of(Extension.basicConstraints.getId(), Extension.keyUsage.getId())));
        boolean[] usage = ca.getKeyUsage();
        assertTrue(usage[5] && usage[6], "keyCertSign and cRLSign");
        assertEquals(NOW.minus(CertificateAuthority.BACKDATE), ca.getNotBefore().toInstant());
        assertEquals(NOW.plus(Duration.ofDays(3650)), ca.getNotAfter().toInstant());
        assertArrayEquals(keyId(ca, Extension.subjectKeyIdentifier), authorityKeyId(ca));
    }

    @Test
    void serverAndClientCertificatesCarryTheirPurposeAndNames() throws Exception {
        var server = ec.issue(CertificateKind.SERVER, "rqst.example.com",
                AltNames.parse("DNS:rqst.example.com,DNS:rqst4.example.com,IP:203.0.113.1,IP:2001:db8::1"),
                NOW.minusSeconds(3600), NOW.plus(Duration.ofDays(730)));
        X509Certificate s = server.certificate();
        s.verify(ec.certificate().getPublicKey());
        assertEquals("CN=rqst.example.com", s.getSubjectX500Principal().getName());
        assertEquals(ec.certificate().getSubjectX500Principal(), s.getIssuerX500Principal());
        assertEquals(-1, s.getBasicConstraints(), "CA:false");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), s.getExtendedKeyUsage());
        assertEquals(List.of(List.of(2, "rqst.example.com"), List.of(2, "rqst4.example.com"), List.of(7, "203.0.113.1"),
                List.of(7, "2001:db8:0:0:0:0:0:1")), s.getSubjectAlternativeNames().stream().map(List::copyOf).toList());
        boolean[] usage = s.getKeyUsage();
        assertTrue(usage[0] && !usage[2] && !usage[5], "digitalSignature only for an EC key");
        assertArrayEquals(keyId(ec.certificate(), Extension.subjectKeyIdentifier), authorityKeyId(s));
        assertEquals("EC", server.key().getAlgorithm());

        X509Certificate c = ec.issue(CertificateKind.CLIENT, "alice", List.of(), NOW, NOW.plusSeconds(60)).certificate();
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage());
        assertNull(c.getSubjectAlternativeNames());
    }

    @Test
    void serialsAreRandomPositiveAndAtMostSixteenBytes() {
        List<BigInteger> serials = java.util.stream.IntStream.range(0, 20).mapToObj(i ->
                ec.issue(CertificateKind.CLIENT, "c" + i, List.of(), NOW, NOW.plusSeconds(60)).certificate().getSerialNumber()).toList();
        assertEquals(20, Set.copyOf(serials).size());
        for (BigInteger s : serials) {
            assertTrue(s.signum() > 0 && s.bitLength() <= 127 && s.bitLength() > 64, s.toString(16));
        }
    }

    @Test
    void anRsaCaGivesRsa2048LeavesWithKeyEncipherment() {
        var rsa = CertificateAuthority.create("RSA CA", KeyAlgorithm.RSA_2048, Duration.ofDays(10), CLOCK, new SecureRandom());
        var leaf = rsa.issue(CertificateKind.SERVER, "h.example", List.of(AltNames.forHost("h.example")), NOW, NOW.plusSeconds(60));
        assertEquals(2048, ((RSAPublicKey) leaf.certificate().getPublicKey()).getModulus().bitLength());
        assertEquals("SHA256withRSA", leaf.certificate().getSigAlgName());
        assertTrue(leaf.certificate().getKeyUsage()[2], "keyEncipherment");
    }

    @Test
    void datesMustMakeSenseAndStayWithinTheCa() {
        assertEquals("the certificate would end (2026-06-01T12:00:00Z) before it begins (2026-06-01T12:00:00Z)",
                assertThrows(IllegalArgumentException.class,
                        () -> ec.issue(CertificateKind.CLIENT, "a", List.of(), NOW, NOW)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ec.issue(CertificateKind.CLIENT, "a", List.of(), NOW,
                NOW.plus(Duration.ofDays(4000)))).getMessage().startsWith("the certificate would outlast the CA certificate"));
    }

    @Test
    void theCrlListsEntriesWithReasonsNumberNextUpdateAndKeyId() throws Exception {
        BigInteger a = BigInteger.valueOf(0x1234);
        BigInteger b = BigInteger.valueOf(0x99);
        X509CRL crl = ec.crl(List.of(new Revocation(a, NOW.minusSeconds(10), RevocationReason.KEY_COMPROMISE),
                new Revocation(b, NOW.minusSeconds(5), RevocationReason.UNSPECIFIED)), BigInteger.valueOf(42), Duration.ofDays(30));
        crl.verify(ec.certificate().getPublicKey());
        assertEquals(2, crl.getVersion());
        assertEquals(NOW, crl.getThisUpdate().toInstant());
        assertEquals(NOW.plus(Duration.ofDays(30)), crl.getNextUpdate().toInstant());
        assertEquals(BigInteger.valueOf(42), io.rqst.pki.Crl.verify(java.nio.file.Path.of("crl"), crl,
                List.of(ec.certificate())).number().orElseThrow());
        X509CRLEntry ea = crl.getRevokedCertificate(a);
        assertEquals(java.security.cert.CRLReason.KEY_COMPROMISE, ea.getRevocationReason());
        assertEquals(NOW.minusSeconds(10), ea.getRevocationDate().toInstant());
        assertNull(crl.getRevokedCertificate(b).getRevocationReason(), "RFC 5280: no reason code for unspecified");
        byte[] aki = crl.getExtensionValue(Extension.authorityKeyIdentifier.getId());
        assertArrayEquals(keyId(ec.certificate(), Extension.subjectKeyIdentifier),
                AuthorityKeyIdentifier.getInstance(JcaX509ExtensionUtils.parseExtensionValue(aki)).getKeyIdentifierOctets());
    }

    @Test
    void namesAreCheckedAndSanListsParsed() {
        assertEquals("--name: a certificate needs a name", assertThrows(IllegalArgumentException.class, () -> AltNames.checkName("")).getMessage());
        assertEquals("--name: \"a/b\" contains a control character, '/' or '\\'",
                assertThrows(IllegalArgumentException.class, () -> AltNames.checkName("a/b")).getMessage());
        assertEquals("--name: \"-x\" must not start with '-' or a space, nor end with a space",
                assertThrows(IllegalArgumentException.class, () -> AltNames.checkName("-x")).getMessage());
        assertEquals("Alice Smith", AltNames.checkName("Alice Smith"));
        assertEquals(List.of("DNS:rqst.example.com", "DNS:rqst4.example.com", "IP:203.0.113.1", "DNS:*.example.org"),
                AltNames.parse("DNS: rqst.example.com, DNS:rqst4.example.com,203.0.113.1,*.example.org").stream()
                        .map(AltNames::describe).toList());
        assertEquals("\"URI:http://x\" is not DNS:NAME or IP:ADDRESS (rqst servers are known by DNS names and addresses)",
                assertThrows(IllegalArgumentException.class, () -> AltNames.parse("URI:http://x")).getMessage());
        assertEquals("\"bad_name\" is not a DNS name (letters, digits and hyphens in dot-separated labels; a wildcard only as"
                + " *.example.com)", assertThrows(IllegalArgumentException.class, () -> AltNames.parse("DNS:bad_name")).getMessage());
        assertEquals("\"IP:300.1.1.1\" is not an IP address",
                assertThrows(IllegalArgumentException.class, () -> AltNames.parse("IP:300.1.1.1")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AltNames.parse("a,,b")).getMessage().contains("empty entry"));
        assertEquals("\"foo:bar\" is not DNS:NAME or IP:ADDRESS", assertThrows(IllegalArgumentException.class, () -> AltNames.parse("foo:bar")).getMessage());
        assertEquals(List.of("IP:fe80:0:0:0:0:0:0:1"), AltNames.parse("fe80::1").stream().map(AltNames::describe).toList());
        assertNotEquals(AltNames.forHost("203.0.113.1"), AltNames.forHost("rqst.example.com"));
    }

    static byte[] keyId(X509Certificate cert, org.bouncycastle.asn1.ASN1ObjectIdentifier oid) throws Exception {
        return ASN1OctetString.getInstance(JcaX509ExtensionUtils.parseExtensionValue(cert.getExtensionValue(oid.getId()))).getOctets();
    }

    static byte[] authorityKeyId(X509Certificate cert) throws Exception {
        return AuthorityKeyIdentifier.getInstance(JcaX509ExtensionUtils.parseExtensionValue(
                cert.getExtensionValue(Extension.authorityKeyIdentifier.getId()))).getKeyIdentifierOctets();
    }
}
