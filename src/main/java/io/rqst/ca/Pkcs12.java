package io.rqst.ca;

import io.rqst.pki.Identity;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

/**
 * PKCS#12 files ({@code .p12}) for systems that import a key and its certificates in one file, as Windows does
 * (double-click, "Local Machine"): the private key, its certificate and the CA certificate, the key and the
 * certificate paired by a local key id and named by a friendly name.
 *
 * <p>By default they are protected as OpenSSL 3 and Windows 10 (1709 and later) do it: PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC, and an HMAC-SHA256 MAC. {@code legacy} uses 3DES and SHA-1 instead (what
 * {@code openssl pkcs12 -export -legacy} uses for keys), for older Windows, macOS and iOS versions.
 */
public final class Pkcs12 {
    /** PBKDF2 and MAC iterations (the JDK's default; OpenSSL's is 2048). */
    static final int ITERATIONS = 10_000;
    /** Legacy: OpenSSL's default iteration count. */
    static final int LEGACY_ITERATIONS = 2048;
    private static final Provider BC = new BouncyCastleProvider();

    private Pkcs12() {}

    /**
     * Encodes a PKCS#12 file.
     *
     * @param identity     the key and its certificate (first of its chain)
     * @param caCerts      the CA certificates to include
     * @param friendlyName the name importers show, e.g. the client's name
     * @param passphrase   protects the key and the file (must not be empty: Windows needs one to import)
     * @param legacy       3DES/SHA-1 instead of AES-256/SHA-256
     * @param random       for salts and IVs
     * @return the DER bytes
     */
    public static byte[] encode(Identity identity, List<X509Certificate> caCerts, String friendlyName, char[] passphrase,
            boolean legacy, SecureRandom random) {
        if (passphrase.length == 0) {
            throw new IllegalArgumentException("a PKCS#12 file needs a passphrase");
        }
        try {
            SubjectKeyIdentifier localKeyId = new JcaX509ExtensionUtils()
                    .createSubjectKeyIdentifier(identity.certificate().getPublicKey());
            List<PKCS12SafeBag> certs = new ArrayList<>();
            PKCS12SafeBagBuilder leaf = new JcaPKCS12SafeBagBuilder(identity.certificate());
            leaf.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, new DERBMPString(friendlyName));
            leaf.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId);
            certs.add(leaf.build());
            for (X509Certificate ca : caCerts) {
                PKCS12SafeBagBuilder bag = new JcaPKCS12SafeBagBuilder(ca);
                bag.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName,
                        new DERBMPString(Identity.commonName(ca)));
                certs.add(bag.build());
            }
            PKCS12SafeBagBuilder key = new JcaPKCS12SafeBagBuilder(identity.key(), encryptor(legacy, passphrase, random));
            key.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, new DERBMPString(friendlyName));
            key.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId);

            PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
            pfx.addEncryptedData(encryptor(legacy, passphrase, random), certs.toArray(PKCS12SafeBag[]::new));
            pfx.addData(key.build());
            ASN1ObjectIdentifier macDigest = legacy ? OIWObjectIdentifiers.idSHA1 : NISTObjectIdentifiers.id_sha256;
            return pfx.build(new JcePKCS12MacCalculatorBuilder(macDigest)
                            .setIterationCount(legacy ? LEGACY_ITERATIONS : ITERATIONS).setProvider(BC), passphrase)
                    .getEncoded(ASN1Encoding.DER);
        } catch (GeneralSecurityException | IOException | OperatorCreationException | PKCSException e) {
            throw new IllegalStateException("cannot make a PKCS#12 file: " + e.getMessage(), e);
        }
    }

    private static OutputEncryptor encryptor(boolean legacy, char[] passphrase, SecureRandom random)
            throws OperatorCreationException {
        JcePKCSPBEOutputEncryptorBuilder builder = legacy
                ? new JcePKCSPBEOutputEncryptorBuilder(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC)
                        .setIterationCount(LEGACY_ITERATIONS)
                : new JcePKCSPBEOutputEncryptorBuilder(NISTObjectIdentifiers.id_aes256_CBC)
                        .setPRF(new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256, DERNull.INSTANCE))
                        .setIterationCount(ITERATIONS);
        return builder.setProvider(BC).setRandom(random).build(passphrase);
    }
}
