package io.rqst.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates made with BouncyCastle for cases OpenSSL's CA would not produce (expired, impostor CAs, ...). */
final class TestCerts {
    private static final AtomicLong SERIAL = new AtomicLong(1);

    /** A key and its certificate. */
    record Issued(KeyPair keys, X509Certificate cert) {
        X500Name name() {
            return X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
        }
    }

    private TestCerts() {}

    static KeyPair ecKey(String curve) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }

    /** A self-signed CA valid for a year around now. */
    static Issued ca(X500Name name) throws Exception {
        KeyPair keys = ecKey("secp256r1");
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(86_400)),
                Date.from(now.plusSeconds(365 * 86_400L)), name, keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return new Issued(keys, sign(builder, keys));
    }

    /** An intermediate CA certificate for a new key, issued by ca, with the given validity. */
    static Issued intermediate(Issued ca, X500Name subject, Instant notBefore, Instant notAfter) throws Exception {
        KeyPair keys = ecKey("secp256r1");
        var builder = new JcaX509v3CertificateBuilder(ca.name(), serial(), Date.from(notBefore), Date.from(notAfter),
                subject, keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return new Issued(keys, sign(builder, ca.keys()));
    }

    /** A leaf certificate for a new key, issued by ca, with the given validity and subjectAltNames. */
    static Issued leaf(Issued ca, X500Name subject, Instant notBefore, Instant notAfter, GeneralName... sans)
            throws Exception {
        KeyPair keys = ecKey("secp256r1");
        var builder = new JcaX509v3CertificateBuilder(ca.name(), serial(), Date.from(notBefore),
                Date.from(notAfter), subject, keys.getPublic());
        if (sans.length > 0) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
        }
        return new Issued(keys, sign(builder, ca.keys()));
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) throws Exception {
        var contentSigner = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.getAndIncrement());
    }
}
