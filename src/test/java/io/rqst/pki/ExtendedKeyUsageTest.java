package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rqst.ca.AltNames;
import io.rqst.ca.CertificateAuthority;
import io.rqst.ca.CertificateKind;
import io.rqst.ca.KeyAlgorithm;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The extended key usage rule both verifiers apply: a certificate that names purposes must name the one it is
 * used for (or anyExtendedKeyUsage); one that names none, like the RQST manual's, is fine.
 */
class ExtendedKeyUsageTest {
    private static CertificateAuthority ca;
    private static X509Certificate server;
    private static X509Certificate client;

    @BeforeAll
    static void issue() {
        ca = CertificateAuthority.create("EKU Test CA", KeyAlgorithm.EC_P256, Duration.ofDays(30), Clock.systemUTC(),
                new SecureRandom());
        Instant now = Instant.now();
        server = ca.issue(CertificateKind.SERVER, "rqst.example.com", List.of(AltNames.forHost("rqst.example.com")),
                now.minusSeconds(60), now.plusSeconds(3600)).certificate();
        client = ca.issue(CertificateKind.CLIENT, "alice", List.of(), now.minusSeconds(60), now.plusSeconds(3600))
                .certificate();
    }

    private static Optional<String> asClient(X509Certificate cert) {
        return ClientCertificateVerifierTest.verify(new ClientCertificateVerifier(List.of(ca.certificate())), cert);
    }

    private static Optional<String> asServer(X509Certificate cert) {
        var verifier = new ServerCertificateVerifier(List.of(ca.certificate()), "rqst.example.com");
        try {
            verifier.checkServerTrusted(new X509Certificate[] {cert}, "EC");
            return Optional.empty();
        } catch (CertificateException e) {
            assertEquals(CertificateRefusedException.Reason.WRONG_PURPOSE,
                    assertInstanceOf(CertificateRefusedException.class, e).reason(), e.getMessage());
            return Optional.of(e.getMessage());
        }
    }

    @Test
    void eachCertificateWorksForItsOwnPurpose() {
        assertEquals(Optional.empty(), asClient(client));
        assertEquals(Optional.empty(), asServer(server));
    }

    @Test
    void aServerCertificateCannotLogInAsAClient() {
        var verifier = new ClientCertificateVerifier(List.of(ca.certificate()));
        var e = assertThrows(CertificateRefusedException.class,
                () -> verifier.checkClientTrusted(new X509Certificate[] {server}, "EC"));
        assertEquals(CertificateRefusedException.Reason.WRONG_PURPOSE, e.reason());
        assertEquals("client certificate \"CN=rqst.example.com\" is not for client use: its extended key usage is"
                + " serverAuth only (a client certificate needs clientAuth, or no extended key usage)", e.getMessage());
    }

    @Test
    void aClientCertificateCannotServe() {
        // the client certificate has no subjectAltName either; the purpose is what is refused first
        assertEquals(Optional.of("server certificate \"CN=alice\" is not for server use: its extended key usage is"
                + " clientAuth only (a server certificate needs serverAuth, or no extended key usage)"), asServer(client));
    }

    @Test
    void noExtendedKeyUsageOrAnyOrBothArePassed() throws Exception {
        X509Certificate none = leaf(null);
        X509Certificate any = leaf(new ExtendedKeyUsage(KeyPurposeId.anyExtendedKeyUsage));
        X509Certificate both = leaf(new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth,
                KeyPurposeId.id_kp_clientAuth}));
        for (X509Certificate cert : List.of(none, any, both)) {
            assertEquals(Optional.empty(), asClient(cert));
            assertEquals(Optional.empty(), asServer(cert));
        }
        X509Certificate mail = leaf(new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_emailProtection,
                KeyPurposeId.id_kp_codeSigning}));
        assertEquals(Optional.of("client certificate \"CN=rqst.example.com\" is not for client use: its extended key"
                + " usage is emailProtection, codeSigning (a client certificate needs clientAuth, or no extended key"
                + " usage)"), asClient(mail));
    }

    @Test
    void theManualsCertificatesCarryNoExtendedKeyUsageAndPass() throws Exception {
        ManualPki pki = ManualPki.shared();
        X509Certificate manualServer = pki.cert("certs/server.crt");
        X509Certificate manualClient = pki.cert("certs/client.crt");
        assertEquals(null, manualServer.getExtendedKeyUsage());
        assertEquals(null, manualClient.getExtendedKeyUsage());
        assertEquals(Optional.empty(), ClientCertificateVerifierTest.verify(new ClientCertificateVerifier(pki.ca()), manualClient));
        // the manual's server certificate could log in as a client too: without an EKU nothing says otherwise
        assertEquals(Optional.empty(), ClientCertificateVerifierTest.verify(new ClientCertificateVerifier(pki.ca()), manualServer));
    }

    /** A leaf for rqst.example.com with the given EKU (none if null), signed by the CA. */
    private static X509Certificate leaf(ExtendedKeyUsage eku) throws Exception {
        var keys = TestCerts.ecKey("secp256r1");
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(ca.certificate(), java.math.BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), new X500Name("CN=rqst.example.com"),
                keys.getPublic())
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.dNSName, "rqst.example.com")));
        if (eku != null) {
            builder.addExtension(Extension.extendedKeyUsage, false, eku);
        }
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.key())));
    }
}
