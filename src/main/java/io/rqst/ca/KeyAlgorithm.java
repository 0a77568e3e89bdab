package io.rqst.ca;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;

/**
 * The kind of key the CA makes: RSA of a size, or EC on P-256. A CA's leaves get keys of the CA's family: RSA
 * 2048 (as the RQST manual's server and client keys) under an RSA CA, P-256 under an EC CA.
 *
 * @param algorithm "RSA" or "EC"
 * @param bits      the RSA modulus size, or 256 for P-256
 */
public record KeyAlgorithm(String algorithm, int bits) {
    /** RSA 4096, the RQST manual's CA key. */
    public static final KeyAlgorithm RSA_4096 = new KeyAlgorithm("RSA", 4096);
    /** RSA 2048, the RQST manual's server and client keys. */
    public static final KeyAlgorithm RSA_2048 = new KeyAlgorithm("RSA", 2048);
    /** EC on NIST P-256 (secp256r1, prime256v1). */
    public static final KeyAlgorithm EC_P256 = new KeyAlgorithm("EC", 256);

    /**
     * An RSA key size.
     *
     * @throws IllegalArgumentException unless 2048, 3072 or 4096
     */
    public static KeyAlgorithm rsa(int bits) {
        if (bits != 2048 && bits != 3072 && bits != 4096) {
            throw new IllegalArgumentException("--rsa " + bits + ": RSA keys are 2048, 3072 or 4096 bits");
        }
        return new KeyAlgorithm("RSA", bits);
    }

    /** {@return the algorithm of an existing key, e.g. the CA's} */
    public static KeyAlgorithm of(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return new KeyAlgorithm("RSA", rsa.getModulus().bitLength());
        } else if (key instanceof ECPublicKey ec) {
            return new KeyAlgorithm("EC", ec.getParams().getCurve().getField().getFieldSize());
        }
        return new KeyAlgorithm(key.getAlgorithm(), 0);
    }

    /** {@return the algorithm for leaves under a CA with this one} */
    public KeyAlgorithm forLeaves() {
        return algorithm.equals("RSA") ? RSA_2048 : EC_P256;
    }

    /** {@return the JCA signature algorithm for signing with such a key} */
    public String signatureAlgorithm() {
        return switch (algorithm) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> bits > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
            default -> throw new IllegalArgumentException("rqst ca signs with RSA or EC keys, not " + algorithm);
        };
    }

    /** {@return a new key pair} */
    public KeyPair generate(SecureRandom random) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("EC")) {
                generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            } else {
                generator.initialize(bits, random);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a " + this + " key: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return algorithm.equals("EC") ? "EC P-" + bits : algorithm + " " + bits;
    }
}
