package io.rqst.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import io.rqst.pki.Revocation;
import io.rqst.pki.RevocationReason;

/**
 * The CA's cryptography, without files: makes the CA certificate, issues server and client certificates, and
 * signs CRLs. The time and the randomness come from outside, so tests can pin them.
 *
 * <p>What it makes (all X.509 v3, SHA-256 signatures):
 * <ul>
 * <li>CA: subject {@code CN=<name>}, self-signed, basicConstraints critical CA:true pathlen:0 (it signs leaves
 *     only), keyUsage critical keyCertSign+cRLSign, subject and authority key identifiers.
 * <li>Leaves: subject {@code CN=<name>}, basicConstraints critical CA:false, keyUsage critical
 *     digitalSignature (+keyEncipherment for RSA), extendedKeyUsage serverAuth or clientAuth, a server's
 *     subjectAltNames, key identifiers, a new key of the CA's family.
 * <li>CRLs: v2, thisUpdate now, nextUpdate, CRL number, authority key identifier, each entry's reason (omitted
 *     when unspecified, RFC 5280 §5.3.1).
 * </ul>
 * Serial numbers are 16 random bytes (positive): unlike a counter they cannot collide when a CA directory is
 * restored from an old backup or copied, and nothing can be learnt from them (CA/Browser Forum: at least 64 bits
 * of randomness).
 */
public final class CertificateAuthority {
    /** Default lifetime of a CA certificate: 10 years. */
    public static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** Default lifetime of a server or client certificate: 2 years. */
    public static final Duration LEAF_VALIDITY = Duration.ofDays(730);
    /** Default time from one CRL to the next (the RQST manual's {@code default_crl_days = 30}). */
    public static final Duration CRL_VALIDITY = Duration.ofDays(30);
    /** Validity starts this long before now, so that a peer whose clock is a little behind accepts it. */
    public static final Duration BACKDATE = Duration.ofHours(1);
    /** Random bytes in a serial number. */
    public static final int SERIAL_BYTES = 16;

    /** A new key and the certificate issued for it. */
    public record Issued(CertificateKind kind, String name, PrivateKey key, X509Certificate certificate) {}

    private final PrivateKey key;
    private final X509Certificate certificate;
    private final KeyAlgorithm algorithm;
    private final Clock clock;
    private final SecureRandom random;

    /**
     * A CA from its key and certificate (which must belong together; {@link CaStore#unlock} checks).
     *
     * @param key         the CA's private key
     * @param certificate the CA certificate
     * @param clock       what "now" is
     * @param random      for keys and serial numbers
     */
    public CertificateAuthority(PrivateKey key, X509Certificate certificate, Clock clock, SecureRandom random) {
        this.key = Objects.requireNonNull(key);
        this.certificate = Objects.requireNonNull(certificate);
        this.algorithm = KeyAlgorithm.of(certificate.getPublicKey());
        this.clock = clock;
        this.random = random;
    }

    /**
     * Makes a new CA: a key and a self-signed certificate valid from now (minus {@link #BACKDATE}) for
     * {@code validity}.
     *
     * @param name      the CA's common name, e.g. {@code RQST CA}
     * @param algorithm its key
     * @param validity  how long its certificate lasts
     */
    public static CertificateAuthority create(String name, KeyAlgorithm algorithm, Duration validity, Clock clock,
            SecureRandom random) {
        AltNames.checkName(name);
        KeyPair pair = algorithm.generate(random);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        X500Name subject = commonName(name);
        try {
            JcaX509ExtensionUtils ids = new JcaX509ExtensionUtils();
            SubjectKeyIdentifier ski = ids.createSubjectKeyIdentifier(pair.getPublic());
            var builder = new JcaX509v3CertificateBuilder(subject, serial(random), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(validity)), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ski)
                    .addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(ski.getKeyIdentifier()));
            X509Certificate cert = sign(builder, pair.getPrivate(), algorithm);
            return new CertificateAuthority(pair.getPrivate(), cert, clock, random);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the CA certificate: " + e.getMessage(), e);
        }
    }

    /** {@return the CA certificate} */
    public X509Certificate certificate() {
        return certificate;
    }

    /** {@return the CA's private key} */
    public PrivateKey key() {
        return key;
    }

    /** {@return now, by this CA's clock, in whole seconds (as X.509 and CRLs record times)} */
    public Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * Issues a certificate for a new key.
     *
     * @param kind      server or client
     * @param name      the common name (a server's host name; a client's user name)
     * @param altNames  subjectAltNames (a server's names; empty for a client)
     * @param notBefore start of validity
     * @param notAfter  end of validity
     * @throws IllegalArgumentException if the dates are the wrong way round or outlast the CA
     */
    public Issued issue(CertificateKind kind, String name, List<GeneralName> altNames, Instant notBefore, Instant notAfter) {
        AltNames.checkName(name);
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException("the certificate would end (" + notAfter + ") before it begins (" + notBefore + ")");
        }
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            throw new IllegalArgumentException("the certificate would outlast the CA certificate, which ends "
                    + certificate.getNotAfter().toInstant());
        }
        KeyAlgorithm leafAlgorithm = algorithm.forLeaves();
        KeyPair pair = leafAlgorithm.generate(random);
        try {
            JcaX509ExtensionUtils ids = new JcaX509ExtensionUtils();
            int usage = KeyUsage.digitalSignature | (leafAlgorithm.algorithm().equals("RSA") ? KeyUsage.keyEncipherment : 0);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(random),
                    Date.from(notBefore), Date.from(notAfter), commonName(name), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(kind.purpose()))
                    .addExtension(Extension.subjectKeyIdentifier, false, ids.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier());
            if (!altNames.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(AltNames.distinct(altNames).toArray(GeneralName[]::new)));
            }
            return new Issued(kind, name, pair.getPrivate(), sign(builder, key, algorithm));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue a certificate for " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Signs a CRL listing {@code revoked}, valid from now until now + {@code validity} (its nextUpdate).
     *
     * @param revoked  the revoked certificates
     * @param number   its CRL number (each CRL's larger than the last)
     * @param validity time to nextUpdate
     */
    public X509CRL crl(Collection<Revocation> revoked, BigInteger number, Duration validity) {
        Instant now = now();
        X509v2CRLBuilder builder = new X509v2CRLBuilder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                Date.from(now));
        builder.setNextUpdate(Date.from(now.plus(validity)));
        try {
            for (Revocation r : sorted(revoked)) {
                Extensions entry = null;
                if (r.reason() != RevocationReason.UNSPECIFIED) {
                    ExtensionsGenerator extensions = new ExtensionsGenerator();
                    extensions.addExtension(Extension.reasonCode, false, CRLReason.lookup(r.reason().code()));
                    entry = extensions.generate();
                }
                builder.addCRLEntry(r.serial(), Date.from(r.date()), entry);
            }
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            builder.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier());
            ContentSigner signer = new JcaContentSignerBuilder(algorithm.signatureAlgorithm()).build(key);
            return new JcaX509CRLConverter().getCRL(builder.build(signer));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a CRL: " + e.getMessage(), e);
        }
    }

    private static List<Revocation> sorted(Collection<Revocation> revoked) {
        List<Revocation> list = new ArrayList<>(revoked);
        list.sort((a, b) -> a.serial().compareTo(b.serial()));
        return list;
    }

    /** The AKI of what this CA signs: the CA certificate's own subject key identifier. */
    private AuthorityKeyIdentifier authorityKeyIdentifier() throws IOException, GeneralSecurityException {
        byte[] ski = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ski == null) {
            return new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate.getPublicKey());
        }
        return new AuthorityKeyIdentifier(ASN1OctetString.getInstance(
                JcaX509ExtensionUtils.parseExtensionValue(ski)).getOctets());
    }

    private static X500Name commonName(String name) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    }

    /** A random positive serial number of {@link #SERIAL_BYTES} bytes (never zero). */
    private static BigInteger serial(SecureRandom random) {
        byte[] bytes = new byte[SERIAL_BYTES];
        BigInteger serial;
        do {
            random.nextBytes(bytes);
            bytes[0] &= 0x7f; // positive and at most 16 bytes in DER
            serial = new BigInteger(1, bytes);
        } while (serial.signum() == 0);
        return serial;
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey, KeyAlgorithm algorithm)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer = new JcaContentSignerBuilder(algorithm.signatureAlgorithm()).build(signingKey);
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }
}
