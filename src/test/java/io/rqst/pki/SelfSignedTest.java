package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Throwaway identities for test mode. */
class SelfSignedTest {
    @Test
    void makesAnEcP256KeyAndASelfSignedCertificateThatVerify() throws Exception {
        Instant before = Instant.now();
        Identity id = SelfSigned.generate("rqst.example.com");
        X509Certificate cert = id.certificate();

        assertEquals("EC", id.key().getAlgorithm());
        assertEquals(256, ((ECPublicKey) cert.getPublicKey()).getParams().getCurve().getField().getFieldSize());
        assertTrue(Identity.belongTogether(id.key(), cert.getPublicKey()));
        cert.verify(cert.getPublicKey());
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertEquals("rqst.example.com", id.subjectCn());
        assertEquals(List.of(List.of(2, "rqst.example.com")), List.copyOf(cert.getSubjectAlternativeNames()));
        assertWithin(before.minus(Duration.ofHours(1)), cert.getNotBefore().toInstant());
        assertWithin(before.plus(Duration.ofDays(30)), cert.getNotAfter().toInstant());

        // pinned as its own CA, both verifiers accept it
        var server = new ServerCertificateVerifier(List.of(cert), "rqst.example.com");
        assertEquals(Optional.empty(), ServerCertificateVerifierTest.verify(server, cert));
        assertEquals(Optional.empty(),
                ClientCertificateVerifierTest.verify(new ClientCertificateVerifier(List.of(cert)), cert));
        assertEquals(Optional.of("server certificate \"CN=rqst.example.com\" names rqst.example.com, not \"other\""),
                ServerCertificateVerifierTest.verify(new ServerCertificateVerifier(List.of(cert), "other"), cert));
        // and each generation is a new key
        assertTrue(!SelfSigned.generate("rqst.example.com").key().equals(id.key()));
    }

    @Test
    void anAddressGetsAnIpSubjectAltName() throws Exception {
        X509Certificate v4 = SelfSigned.generate("192.0.2.1").certificate();
        assertEquals(List.of(List.of(7, "192.0.2.1")), List.copyOf(v4.getSubjectAlternativeNames()));
        assertEquals(Optional.empty(), ServerCertificateVerifierTest.verify(
                new ServerCertificateVerifier(List.of(v4), "192.0.2.1"), v4));
        X509Certificate v6 = SelfSigned.generate("::1").certificate();
        assertEquals(Optional.empty(), ServerCertificateVerifierTest.verify(
                new ServerCertificateVerifier(List.of(v6), "[0:0::1]"), v6));
        assertThrows(IllegalArgumentException.class, () -> SelfSigned.generate(" "));
    }

    private static void assertWithin(Instant expected, Instant actual) {
        assertTrue(Duration.between(expected, actual).abs().compareTo(Duration.ofMinutes(1)) < 0,
                () -> actual + " is not within a minute of " + expected);
    }
}
