package io.rqst.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throwaway identities for test mode ({@code -d}), where no key or certificate files exist and the peer does not
 * verify us: a fresh EC P-256 key and a self-signed certificate for it.
 */
public final class SelfSigned {
    /** How far back the certificate's validity starts, to tolerate a peer whose clock is behind. */
    public static final Duration BACKDATE = Duration.ofHours(1);
    /** How long the certificate stays valid. */
    public static final Duration LIFETIME = Duration.ofDays(30);

    private SelfSigned() {}

    /**
     * Makes a new key and a self-signed certificate with subject {@code CN=commonName}, valid from one hour ago
     * for 30 days, with subjectAltName {@code DNS:commonName} ({@code IP:commonName} if it is an IP literal).
     *
     * @param commonName the host name (or IP literal) the certificate is for
     * @return the key and its one-certificate chain
     * @throws IllegalArgumentException if commonName is blank or not a valid DNS name or IP literal
     */
    public static Identity generate(String commonName) {
        if (commonName == null || commonName.isBlank()) {
            throw new IllegalArgumentException("a self-signed certificate needs a name");
        }
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            Instant now = Instant.now();
            GeneralName altName = HostNames.ipLiteral(commonName)
                    .map(ip -> new GeneralName(GeneralName.iPAddress, ip.getHostAddress()))
                    .orElseGet(() -> new GeneralName(GeneralName.dNSName, commonName));
            var builder = new JcaX509v3CertificateBuilder(name, new BigInteger(159, new SecureRandom()),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(LIFETIME)), name, pair.getPublic())
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altName))
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
            return new Identity(pair.getPrivate(), List.of(cert));
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot make a self-signed certificate: " + e.getMessage(), e);
        }
    }
}
