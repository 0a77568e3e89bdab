package io.rqst.pki;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager that always presents one {@link Identity}, whatever CA names the peer asks for.
 *
 * <p>A standard key manager offers no client certificate when the server's list of acceptable CAs does not contain
 * the certificate's issuer; the server then only learns "no certificate". Presenting it anyway lets the server's
 * {@link ClientCertificateVerifier} say what is wrong ("... is not issued by our CA ...").
 */
public final class IdentityKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "rqst";
    private final Identity identity;

    /**
     * A key manager for one identity.
     *
     * @param identity the key and chain to present
     */
    public IdentityKeyManager(Identity identity) {
        this.identity = identity;
    }

    private String aliasFor(String... keyTypes) {
        String algorithm = identity.key().getAlgorithm();
        return keyTypes == null || Arrays.asList(keyTypes).contains(algorithm) ? ALIAS : null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyTypes);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return aliasFor(keyTypes);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return aliasFor(keyType) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return getClientAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? identity.chain().toArray(X509Certificate[]::new) : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? identity.key() : null;
    }
}
