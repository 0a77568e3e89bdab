package io.rqst.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Reads the PEM files OpenSSL writes: unencrypted private keys (PKCS#8 {@code BEGIN PRIVATE KEY}, PKCS#1
 * {@code BEGIN RSA PRIVATE KEY}, SEC1 {@code BEGIN EC PRIVATE KEY} with or without an {@code EC PARAMETERS}
 * block) and certificates ({@code BEGIN CERTIFICATE}, one or more). Text around the blocks is ignored.
 *
 * Also reads passphrase-encrypted private keys (the CA key), CRLs ({@code BEGIN X509 CRL}), and writes PEM.
 *
 * <p>Every problem is a {@link PkiException} whose one-line message names the file: missing, unreadable,
 * empty, not PEM, corrupt base64 or DER, encrypted, or the wrong kind of file (a certificate where a key is
 * expected, or the other way round).
 */
public final class Pem {
    private static final AlgorithmIdentifier RSA = new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption,
            DERNull.INSTANCE);

    private Pem() {}

    /**
     * Reads the first private key in a PEM file.
     *
     * @param file a PEM file holding an unencrypted RSA or EC private key (other blocks, such as
     *             certificates, may come with it and are ignored)
     * @return the key
     * @throws PkiException if the file holds no usable unencrypted private key; the message says why
     */
    public static PrivateKey readPrivateKey(Path file) throws PkiException {
        return readPrivateKey(file, read(file));
    }

    /** {@link #readPrivateKey(Path)} of bytes already read from {@code file}. */
    static PrivateKey readPrivateKey(Path file, byte[] bytes) throws PkiException {
        List<PemObject> blocks = blocks(file, bytes, "PRIVATE KEY", "pkey");
        ASN1Encodable curve = null;
        for (PemObject block : blocks) {
            if (block.getType().equals("EC PARAMETERS")) {
                curve = parse(file, block, () -> ASN1Primitive.fromByteArray(block.getContent()));
            }
        }
        for (PemObject block : blocks) {
            String type = block.getType();
            if (type.equals("ENCRYPTED PRIVATE KEY") || isEncrypted(block)) {
                throw new PkiException(file + " is encrypted with a passphrase; rqst needs an unencrypted key"
                        + " (decrypt it with: openssl pkey -in " + file + " -out " + plainName(file) + ")");
            }
            ASN1Encodable namedCurve = curve;
            PrivateKeyInfo info = switch (type) {
                case "PRIVATE KEY" -> parse(file, block, () -> PrivateKeyInfo.getInstance(block.getContent()));
                case "RSA PRIVATE KEY" -> parse(file, block,
                        () -> new PrivateKeyInfo(RSA, RSAPrivateKey.getInstance(block.getContent())));
                case "EC PRIVATE KEY" -> parse(file, block, () -> ecKeyInfo(file, block, namedCurve));
                default -> null;
            };
            if (info != null) {
                return toKey(file, block, info);
            }
        }
        throw wrongKind(file, blocks, "a private key");
    }

    /**
     * Reads all certificates in a PEM file, in file order (for a chain: the certificate first, then its
     * issuers).
     *
     * @param file a PEM file with one or more {@code BEGIN CERTIFICATE} blocks
     * @return the certificates, never empty
     * @throws PkiException if the file holds no certificate or a corrupt one; the message says why
     */
    public static List<X509Certificate> readCertificates(Path file) throws PkiException {
        return readCertificates(file, read(file));
    }

    /** {@link #readCertificates(Path)} of bytes already read from {@code file}. */
    static List<X509Certificate> readCertificates(Path file, byte[] bytes) throws PkiException {
        List<PemObject> blocks = blocks(file, bytes, "CERTIFICATE", "x509");
        List<X509Certificate> certs = new ArrayList<>();
        var converter = new JcaX509CertificateConverter();
        for (PemObject block : blocks) {
            if (block.getType().equals("CERTIFICATE") || block.getType().equals("X509 CERTIFICATE")) {
                certs.add(parse(file, block,
                        () -> converter.getCertificate(new X509CertificateHolder(block.getContent()))));
            }
        }
        if (certs.isEmpty()) {
            throw wrongKind(file, blocks, "a certificate");
        }
        return List.copyOf(certs);
    }

    /**
     * Reads the first private key in a PEM file that is encrypted with a passphrase: PKCS#8
     * ({@code BEGIN ENCRYPTED PRIVATE KEY}, as {@link #encodeEncrypted} and OpenSSL 3 write it) or OpenSSL's
     * traditional format ({@code Proc-Type: 4,ENCRYPTED}).
     *
     * @param file       the key file
     * @param passphrase its passphrase
     * @return the key
     * @throws PkiException if the file holds no encrypted key, or the passphrase is wrong (which cannot be told
     *                      apart from a corrupt key: {@code wrong passphrase for FILE (or the key is corrupt)})
     */
    public static PrivateKey readEncryptedPrivateKey(Path file, char[] passphrase) throws PkiException {
        List<PemObject> blocks = readBlocks(file, "ENCRYPTED PRIVATE KEY", "pkey");
        for (PemObject block : blocks) {
            if (block.getType().equals("ENCRYPTED PRIVATE KEY")) {
                PKCS8EncryptedPrivateKeyInfo info = parse(file, block, () -> new PKCS8EncryptedPrivateKeyInfo(block.getContent()));
                try {
                    PrivateKeyInfo plain = info.decryptPrivateKeyInfo(
                            new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(passphrase));
                    return toKey(file, block, plain);
                } catch (PKCSException | OperatorCreationException | RuntimeException e) {
                    throw wrongPassphrase(file, e);
                }
            }
            if (isEncrypted(block)) {
                try (PEMParser parser = new PEMParser(new StringReader(pemText(block)))) {
                    if (parser.readObject() instanceof PEMEncryptedKeyPair pair) {
                        return new JcaPEMKeyConverter().getKeyPair(
                                pair.decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(passphrase))).getPrivate();
                    }
                } catch (IOException | RuntimeException e) {
                    throw wrongPassphrase(file, e);
                }
            }
            if (block.getType().endsWith("PRIVATE KEY")) {
                throw new PkiException(file + " is not encrypted; a CA key must be kept encrypted with a passphrase");
            }
        }
        throw wrongKind(file, blocks, "an encrypted private key");
    }

    private static PkiException wrongPassphrase(Path file, Exception e) {
        return new PkiException("wrong passphrase for " + file + " (or the key is corrupt)", e);
    }

    /**
     * Reads a certificate revocation list ({@code BEGIN X509 CRL}, as {@code openssl ca -gencrl} writes it).
     * The CRL is parsed, not verified: see {@link Crl#verify}.
     *
     * @param file a PEM file with exactly one CRL
     * @return the CRL
     * @throws PkiException if the file holds no CRL, more than one, or a corrupt one
     */
    public static X509CRL readCrl(Path file) throws PkiException {
        return readCrl(file, read(file));
    }

    /** {@link #readCrl(Path)} of bytes already read from {@code file}. */
    static X509CRL readCrl(Path file, byte[] bytes) throws PkiException {
        List<PemObject> blocks = blocks(file, bytes, "X509 CRL", "crl");
        List<PemObject> crls = blocks.stream().filter(b -> b.getType().equals("X509 CRL")).toList();
        if (crls.isEmpty()) {
            throw wrongKind(file, blocks, "a certificate revocation list (BEGIN X509 CRL)");
        }
        if (crls.size() > 1) {
            throw new PkiException(file + ": holds " + crls.size() + " CRLs; rqst reads one, that of the CA in the CA file");
        }
        PemObject block = crls.getFirst();
        return parse(file, block, () -> {
            try {
                return (X509CRL) CertificateFactory.getInstance("X.509")
                        .generateCRL(new ByteArrayInputStream(block.getContent()));
            } catch (CRLException e) {
                throw new IOException(e);
            }
        });
    }

    /** {@return a certificate as a PEM block ({@code BEGIN CERTIFICATE})} */
    public static String encode(X509Certificate cert) {
        try {
            return pemText(new PemObject("CERTIFICATE", cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot encode certificate " + Names.quoted(cert), e);
        }
    }

    /** {@return a CRL as a PEM block ({@code BEGIN X509 CRL})} */
    public static String encode(X509CRL crl) {
        try {
            return pemText(new PemObject("X509 CRL", crl.getEncoded()));
        } catch (CRLException e) {
            throw new IllegalArgumentException("cannot encode a CRL", e);
        }
    }

    /** {@return an unencrypted private key as a PKCS#8 PEM block ({@code BEGIN PRIVATE KEY})} */
    public static String encode(PrivateKey key) {
        return pemText(new PemObject("PRIVATE KEY", key.getEncoded()));
    }

    /**
     * {@link #encode(PrivateKey)}, and for an EC key with its public point inside (RFC 5915's optional
     * {@code publicKey}, as OpenSSL writes it; the JDK leaves it out): a loader then pairs the key with its
     * certificate by comparing points instead of signing, which is much cheaper on a cold start.
     *
     * @param key       the private key
     * @param publicKey its public half (from the certificate), or null
     * @return the PEM block
     */
    public static String encode(PrivateKey key, PublicKey publicKey) {
        if (key instanceof java.security.interfaces.ECPrivateKey ec && publicKey != null && publicKey.getEncoded() != null) {
            try {
                PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
                ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
                if (inner.getPublicKey() == null) {
                    var point = SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()).getPublicKeyData();
                    var withPoint = new ECPrivateKey(ec.getParams().getOrder().bitLength(), ec.getS(), point, inner.getParametersObject());
                    return pemText(new PemObject("PRIVATE KEY", new PrivateKeyInfo(info.getPrivateKeyAlgorithm(), withPoint).getEncoded()));
                }
            } catch (IOException | RuntimeException e) {
                // unusual encoding: write it as it is
            }
        }
        return encode(key);
    }

    /**
     * Encrypts a private key the way {@code openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256} does:
     * PKCS#8 with PBES2, PBKDF2 with HMAC-SHA256 and AES-256-CBC ({@code BEGIN ENCRYPTED PRIVATE KEY}), which
     * {@code openssl pkey -in FILE} decrypts.
     *
     * @param key        the key
     * @param passphrase the passphrase
     * @param iterations PBKDF2 iterations
     * @param random     for the salt and IV
     * @return the PEM block
     */
    public static String encodeEncrypted(PrivateKey key, char[] passphrase, int iterations, SecureRandom random) {
        try {
            var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setPRF(PKCS8Generator.PRF_HMACSHA256)
                    .setIterationCount(iterations)
                    .setRandom(random)
                    .setPassword(passphrase)
                    .setProvider(Bc.PROVIDER)
                    .build();
            return pemText(new JcaPKCS8Generator(key, encryptor).generate());
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot encrypt a private key: " + e.getMessage(), e);
        }
    }

    /** BouncyCastle's JCA provider, for ciphers the JDK names differently (AES/CBC/PKCS7Padding); not registered globally. */
    private static final class Bc {
        static final java.security.Provider PROVIDER = new org.bouncycastle.jce.provider.BouncyCastleProvider();
    }

    private static String pemText(PemObject block) {
        StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text)) {
            writer.writeObject(block);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringWriter does not fail
        }
        return text.toString();
    }

    private static PrivateKeyInfo ecKeyInfo(Path file, PemObject block, ASN1Encodable curve)
            throws IOException, PkiException {
        ECPrivateKey key = ECPrivateKey.getInstance(block.getContent());
        ASN1Encodable params = key.getParametersObject() != null ? key.getParametersObject() : curve;
        if (params == null) {
            throw new PkiException(file + ": the EC PRIVATE KEY block names no curve and no EC PARAMETERS block"
                    + " precedes it");
        }
        return new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, params), key);
    }

    private static PrivateKey toKey(Path file, PemObject block, PrivateKeyInfo info) throws PkiException {
        try {
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) {
            throw new PkiException(file + ": the " + block.getType() + " block is corrupt or of an unsupported"
                    + " algorithm (" + info.getPrivateKeyAlgorithm().getAlgorithm() + ")", e);
        }
    }

    /** Reads the file and splits it into PEM blocks; at least one, else a PkiException. */
    private static List<PemObject> readBlocks(Path file, String expectedType, String opensslCommand)
            throws PkiException {
        return blocks(file, read(file), expectedType, opensslCommand);
    }

    /**
     * Reads a whole file, with the messages the other methods give for a missing, unreadable or directory path.
     *
     * @return the file's bytes
     * @throws PkiException naming the file and what is wrong
     */
    public static byte[] read(Path file) throws PkiException {
        if (Files.isDirectory(file)) {
            throw new PkiException(file + ": is a directory, not a file");
        }
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_FILE + 1); // a device such as /dev/zero never ends
            if (bytes.length > MAX_FILE) {
                throw new PkiException(file + ": longer than " + (MAX_FILE >> 10) + " KiB, not a key, certificate or CRL file");
            }
            return bytes;
        } catch (IOException e) {
            throw readFailure(file, e);
        }
    }

    /** The longest file {@link #read} takes: far above any key, certificate chain or CRL a VPN's CA makes. */
    public static final int MAX_FILE = 16 << 20;

    /** The one-line reason for a failed read of {@code file}: missing, permission denied, or the system's words. */
    static PkiException readFailure(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new PkiException(file + ": no such file", e);
        }
        if (e instanceof AccessDeniedException) {
            return new PkiException(file + ": permission denied (rqst runs as user " + System.getProperty("user.name") + ")", e);
        }
        return new PkiException(file + ": cannot be read (" + e.getMessage() + ")", e);
    }

    /** {@return the types of the PEM blocks in bytes read from file ({@code CERTIFICATE}, {@code PRIVATE KEY}, ...)} */
    static List<String> blockTypes(Path file, byte[] bytes) throws PkiException {
        return blocks(file, bytes, "CERTIFICATE", "x509").stream().map(PemObject::getType).toList();
    }

    /** Splits bytes read from file into PEM blocks; at least one, else a PkiException naming the file. */
    private static List<PemObject> blocks(Path file, byte[] bytes, String expectedType, String opensslCommand)
            throws PkiException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            throw new PkiException(file + ": is empty");
        }
        if (!text.contains("-----BEGIN ")) {
            if (bytes[0] == 0x30) { // an ASN.1 SEQUENCE: DER
                throw new PkiException(file + ": is binary DER, not PEM (convert it with: openssl " + opensslCommand
                        + " -inform DER -in " + file + " -out " + file + ".pem)");
            }
            throw new PkiException(file + ": contains no PEM block (expected a line -----BEGIN " + expectedType
                    + "-----)");
        }
        List<PemObject> blocks = new ArrayList<>();
        try (PemReader reader = new PemReader(new StringReader(text.replace("\uFEFF", "")))) {
            for (PemObject block; (block = reader.readPemObject()) != null; ) {
                blocks.add(block);
            }
        } catch (IOException e) {
            throw new PkiException(file + ": is not valid PEM (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) { // org.bouncycastle.util.encoders.DecoderException
            throw new PkiException(file + ": is corrupt: the base64 text of a PEM block does not decode", e);
        }
        if (blocks.isEmpty()) {
            throw new PkiException(file + ": contains no complete PEM block (expected -----BEGIN " + expectedType
                    + "----- ... -----END " + expectedType + "-----)");
        }
        return blocks;
    }

    private static PkiException wrongKind(Path file, List<PemObject> blocks, String expected) {
        String found = kindOf(blocks.getFirst().getType());
        String hint = found.equals("a certificate") || found.equals("a private key")
                ? " (are the key and certificate file names swapped?)" : "";
        return new PkiException(file + ": contains " + found + ", not " + expected + hint);
    }

    private static String kindOf(String type) {
        if (type.contains("PRIVATE KEY")) {
            return "a private key";
        } else if (type.contains("CERTIFICATE REQUEST")) {
            return "a certificate request (CSR)";
        } else if (type.contains("CERTIFICATE")) {
            return "a certificate";
        } else if (type.contains("PUBLIC KEY")) {
            return "a public key";
        } else if (type.equals("EC PARAMETERS")) {
            return "only EC parameters";
        } else if (type.contains("CRL")) {
            return "a certificate revocation list";
        }
        return "a \"" + type + "\" block";
    }

    private static boolean isEncrypted(PemObject block) {
        for (Object header : block.getHeaders()) {
            if (header instanceof PemHeader h && h.getName().equalsIgnoreCase("Proc-Type")
                    && h.getValue().toUpperCase(java.util.Locale.ROOT).contains("ENCRYPTED")) {
                return true;
            }
        }
        return false;
    }

    /** {@code dir/server.key} → {@code dir/server-plain.key}. */
    private static Path plainName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String plain = dot > 0 ? name.substring(0, dot) + "-plain" + name.substring(dot) : name + "-plain";
        return file.resolveSibling(plain);
    }

    /** A DER decoding step; BouncyCastle reports bad input as IOException or as assorted runtime exceptions. */
    private interface Decoder<T> {
        T decode() throws Exception;
    }

    private static <T> T parse(Path file, PemObject block, Decoder<T> decoder) throws PkiException {
        try {
            return decoder.decode();
        } catch (PkiException e) {
            throw e;
        } catch (Exception e) {
            throw new PkiException(file + ": the " + block.getType() + " block is corrupt (its content is not"
                    + " valid DER)", e);
        }
    }
}
