package io.rqst.pki;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Why a certificate was revoked: RFC 5280 §5.3.1 CRLReason, named as OpenSSL names them
 * ({@code openssl ca -revoke FILE -crl_reason keyCompromise}).
 */
public enum RevocationReason {
    /** No reason given (RFC 5280: the reason code extension is left out). */
    UNSPECIFIED(0, "unspecified"),
    /** The certificate's private key is known or suspected to be in the wrong hands. */
    KEY_COMPROMISE(1, "keyCompromise"),
    /** The CA's key is compromised. */
    CA_COMPROMISE(2, "CACompromise"),
    /** The subject's name or affiliation changed. */
    AFFILIATION_CHANGED(3, "affiliationChanged"),
    /** A new certificate replaces this one. */
    SUPERSEDED(4, "superseded"),
    /** The certificate is no longer needed (the device or user is gone). */
    CESSATION_OF_OPERATION(5, "cessationOfOperation"),
    /** Suspended (OpenSSL's {@code -crl_hold}); rqst treats it as revoked. */
    CERTIFICATE_HOLD(6, "certificateHold"),
    /** Delta CRLs only. */
    REMOVE_FROM_CRL(8, "removeFromCRL"),
    /** The subject's rights were withdrawn. */
    PRIVILEGE_WITHDRAWN(9, "privilegeWithdrawn"),
    /** The attribute authority is compromised. */
    AA_COMPROMISE(10, "AACompromise");

    private final int code;
    private final String label;

    RevocationReason(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** {@return the RFC 5280 CRLReason code} */
    public int code() {
        return code;
    }

    /** {@return the name OpenSSL uses, e.g. {@code keyCompromise}} */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }

    /** {@return the reason with this RFC 5280 code, if there is one} */
    public static Optional<RevocationReason> ofCode(int code) {
        return Arrays.stream(values()).filter(r -> r.code == code).findFirst();
    }

    /**
     * The reason named {@code text}, case-insensitively, with or without dashes or underscores
     * ({@code keyCompromise}, {@code key-compromise}).
     *
     * @throws IllegalArgumentException naming the choices, if there is no such reason
     */
    public static RevocationReason parse(String text) {
        String t = text.strip().replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
        for (RevocationReason r : values()) {
            if (r.label.toLowerCase(Locale.ROOT).equals(t) && r != REMOVE_FROM_CRL) {
                return r;
            }
        }
        throw new IllegalArgumentException("\"" + text + "\" is not a revocation reason (one of " + choices() + ")");
    }

    /** {@return the reasons a person may give, comma-separated} */
    public static String choices() {
        return Arrays.stream(values()).filter(r -> r != REMOVE_FROM_CRL).map(RevocationReason::label)
                .collect(Collectors.joining(", "));
    }
}
