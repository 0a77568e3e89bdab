package io.rqst.ca;

import java.util.Locale;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/** What an issued certificate is for: a VPN server (EKU serverAuth) or a VPN client (EKU clientAuth). */
public enum CertificateKind {
    /** A server: {@code server.key}/{@code server.crt}, extended key usage serverAuth, subjectAltNames. */
    SERVER(KeyPurposeId.id_kp_serverAuth),
    /** A client: {@code client.key}/{@code client.crt}, extended key usage clientAuth; its name is the session's user. */
    CLIENT(KeyPurposeId.id_kp_clientAuth);

    private final KeyPurposeId purpose;

    CertificateKind(KeyPurposeId purpose) {
        this.purpose = purpose;
    }

    /** {@return the extended key usage its certificates carry} */
    public KeyPurposeId purpose() {
        return purpose;
    }

    /** {@return "server" or "client", as the command line and the register name it} */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@return the file name rqst looks for by default: {@code server.crt}, {@code client.key}, ...} */
    public String fileName(String extension) {
        return label() + "." + extension;
    }

    /**
     * {@return the kind labelled {@code text} ({@code server} or {@code client})}
     *
     * @throws IllegalArgumentException otherwise
     */
    public static CertificateKind parse(String text) {
        for (CertificateKind k : values()) {
            if (k.label().equals(text)) {
                return k;
            }
        }
        throw new IllegalArgumentException("\"" + text + "\" is not a certificate type (server or client)");
    }

    @Override
    public String toString() {
        return label();
    }
}
