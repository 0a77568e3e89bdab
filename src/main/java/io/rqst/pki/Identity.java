package io.rqst.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * Our side's TLS identity: a private key and the certificate chain that goes with it, the key's own
 * certificate first.
 *
 * @param key   the private key
 * @param chain the key's certificate, then (optionally) the CA certificates above it; never empty
 */
public record Identity(PrivateKey key, List<X509Certificate> chain) {
    /** Copies the chain; it must not be empty. */
    public Identity {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("an identity needs a certificate");
        }
    }

    /**
     * Loads a key file and a certificate file (as the RQST manual names them: {@code server.key}/{@code server.crt}
     * or {@code client.key}/{@code client.crt}) and checks that they belong together.
     *
     * @param keyFile  PEM private key, see {@link Pem#readPrivateKey(Path)}
     * @param certFile PEM certificate, optionally followed by its issuers, see {@link Pem#readCertificates(Path)}
     * @return the identity
     * @throws PkiException if a file is unusable, or the key is not the one the first certificate was issued for
     */
    public static Identity load(Path keyFile, Path certFile) throws PkiException {
        PrivateKey key = Pem.readPrivateKey(keyFile);
        List<X509Certificate> chain = Pem.readCertificates(certFile);
        PublicKey certKey = chain.getFirst().getPublicKey();
        if (!key.getAlgorithm().equals(certKey.getAlgorithm())) {
            throw new PkiException(keyFile + " does not belong to " + certFile + " (the key is " + key.getAlgorithm()
                    + ", the certificate's is " + certKey.getAlgorithm() + ")");
        }
        if (!belongTogether(key, certKey)) {
            throw new PkiException(keyFile + " does not belong to " + certFile + " (the certificate was issued for"
                    + " another key)");
        }
        return new Identity(key, chain);
    }

    /** {@return the key's own certificate (the first of the chain)} */
    public X509Certificate certificate() {
        return chain.getFirst();
    }

    /** {@return the common name of {@link #certificate()}, or its whole subject if it has no CN; for logs} */
    public String subjectCn() {
        return commonName(certificate());
    }

    /** {@return the common name of {@code cert}, or its whole subject if it has no CN; for logs} */
    public static String commonName(X509Certificate cert) {
        var subject = cert.getSubjectX500Principal();
        return Names.commonName(subject).orElseGet(() -> Names.full(subject));
    }

    /**
     * For an EC key that carries its public point (RFC 5915's optional {@code publicKey}, which OpenSSL writes,
     * and rqst's {@link Pem#encode(PrivateKey, PublicKey)}): whether that point is the certificate's. Empty when the
     * key does not carry it. Cheaper than signing, which on a cold start costs hundreds of milliseconds
     * of interpreted curve arithmetic.
     */
    static Optional<Boolean> ecPublicPointMatches(PrivateKey key, PublicKey publicKey) {
        if (!key.getAlgorithm().equals("EC") || key.getEncoded() == null || publicKey.getEncoded() == null) {
            return Optional.empty();
        }
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(publicKey.getEncoded());
            if (!info.getPrivateKeyAlgorithm().equals(spki.getAlgorithm())) {
                return Optional.empty(); // another curve, or the same one spelled differently: the signature decides
            }
            ASN1BitString embedded = ECPrivateKey.getInstance(info.parsePrivateKey()).getPublicKey();
            if (embedded == null) {
                return Optional.empty();
            }
            return Optional.of(Arrays.equals(embedded.getBytes(), spki.getPublicKeyData().getBytes()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // let the signature decide
        }
    }

    /** Whether the private key and the public key are a pair: a signature made with one verifies with the other. */
    public static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "RSASSA-PSS", "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        if (key instanceof java.security.interfaces.RSAPrivateCrtKey k && publicKey instanceof java.security.interfaces.RSAPublicKey p) {
            // an RSA key in CRT form carries its public half: compare instead of signing (a cold start's
            // 2048/4096-bit signature costs tens of milliseconds before the JIT has compiled BigInteger)
            return k.getModulus().equals(p.getModulus()) && k.getPublicExponent().equals(p.getPublicExponent());
        }
        Optional<Boolean> byEmbeddedPoint = ecPublicPointMatches(key, publicKey);
        if (byEmbeddedPoint.isPresent()) {
            return byEmbeddedPoint.get();
        }
        try {
            byte[] probe = "rqst key/certificate pairing check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
