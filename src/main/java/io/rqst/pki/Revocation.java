package io.rqst.pki;

import java.math.BigInteger;
import java.time.Instant;

/**
 * One entry of a certificate revocation list.
 *
 * @param serial the revoked certificate's serial number
 * @param date   when it was revoked
 * @param reason why ({@link RevocationReason#UNSPECIFIED} if the CRL does not say)
 */
public record Revocation(BigInteger serial, Instant date, RevocationReason reason) {
    /** {@return e.g. {@code keyCompromise, 2026-01-02T03:04:05Z}} */
    public String describe() {
        return reason.label() + ", " + date;
    }
}
